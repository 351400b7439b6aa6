import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../../../test/helpers/app.js';
import { seedRestaurant, signIn, type SignedInUser } from '../../../test/helpers/auth.js';
import { testDialects } from '../../../test/helpers/database.js';
import { captureLogs } from '../../../test/helpers/logs.js';
import { storedData } from '../../../test/helpers/stored-data.js';
import { auditEntries } from '../../../test/helpers/audit.js';
import {
  countRows,
  newKey,
  openDrawer,
  pay,
  seedOrder,
} from '../../modules/payments/payments.test-helpers.js';

const PAN = '4539148803436467';
const PAN_SPACED = '4539 1488 0343 6467';
const PAN_DASHED = '4539-1488-0343-6467';
/** First 6 and last 4: the only form of the number allowed at rest (SPEC 5.6). */
const PAN_MASKED = '453914******6467';
const CVV = '987';
const TRACK_2 = `;${PAN}=25121011000012300000?`;

/**
 * Ciphertexts, keys and hashes are long runs of base64, where three random characters spell
 * "cvv" about once in 30,000 positions: the scan for a field name skips those runs, and would
 * otherwise fail now and then with nothing leaked.
 */
function withoutEncodedRuns(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_-]{24,}/g, (run) =>
    /\d/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run) ? ' ' : run,
  );
}

describe.each(testDialects())('card data (PCI DSS) on %s', (dialect) => {
  const logs = captureLogs();
  let t: TestApp;
  let cashier: SignedInUser;
  let drawer: string;
  let orderId: string;

  beforeAll(async () => {
    t = await buildTestApp({ dialect, logger: logs.logger });
    const restaurant = await seedRestaurant(t);
    cashier = await signIn(t, restaurant, 'cashier');
    drawer = await openDrawer(t, cashier);
    orderId = await seedOrder(t, restaurant, cashier.id, { totalCents: 50_000 });
  });
  afterAll(() => t.close());

  const refusals: Array<[string, () => Promise<{ statusCode: number; body: string }>]> = [
    [
      'a CVV beside a keyed PAN',
      () =>
        pay(t, cashier, orderId, {
          method: 'credit',
          amountCents: 100,
          card: { pan: PAN, cvv: CVV },
        }),
    ],
    [
      'a CVC under another spelling at the top level',
      () => pay(t, cashier, orderId, { method: 'debit', amountCents: 100, Card_CVC2: CVV }),
    ],
    [
      'a security code nested in an array',
      () => pay(t, cashier, orderId, { method: 'credit', extra: [{ securityCode: CVV }] }),
    ],
    [
      'track 2 data as a value',
      () =>
        pay(t, cashier, orderId, { method: 'credit', amountCents: 100, card: { pan: TRACK_2 } }),
    ],
    [
      'a PIN on an unrelated route',
      () =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/cashier/sessions/${drawer}/deposits`,
          headers: cashier.headers,
          payload: { amountCents: 100, reason: 'troco', pin: '4321' },
        }),
    ],
    [
      'a CVV in the query string',
      () =>
        t.app.inject({
          method: 'GET',
          url: `/api/v1/payments?cvv=${CVV}`,
          headers: cashier.headers,
        }),
    ],
  ];

  it.each(refusals)('rejects %s before validation, without echoing it', async (_, send) => {
    const paymentsBefore = await countRows(t, 'payments');
    const keysBefore = await countRows(t, 'idempotency_keys');
    const alertsBefore = (await auditEntries(t, { action: 'card_data.rejected' })).length;

    const response = await send();

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 400,
      code: 'POS_ERR_SENSITIVE_CARD_DATA',
      error: 'Bad Request',
      message: 'Card security data (CVV, track data or PIN) must never be sent.',
    });
    expect(response.body).not.toContain(PAN);
    expect(await countRows(t, 'payments')).toBe(paymentsBefore);
    expect(await countRows(t, 'idempotency_keys')).toBe(keysBefore);

    const alerts = await auditEntries(t, { action: 'card_data.rejected' });
    expect(alerts).toHaveLength(alertsBefore + 1);
    expect(alerts.at(-1)).toMatchObject({
      event_type: 'security_alert',
      outcome: 'denied',
      actor_id: cashier.id,
    });
    expect(alerts.at(-1)!.risk_score).toBeGreaterThan(7);
  });

  it('lets ordinary text that merely mentions a PIN through', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/v1/cashier/sessions/${drawer}/deposits`,
      headers: cashier.headers,
      payload: { amountCents: 100, reason: 'pin the bill to table 4' },
    });

    expect(response.statusCode).toBe(201);
  });

  it('leaves no PAN, CVV or track data in the database or in the logs', async () => {
    const refused = await pay(t, cashier, orderId, {
      method: 'credit',
      amountCents: 1_000,
      card: { pan: PAN, cvv: CVV },
    });
    expect(refused.statusCode).toBe(400);
    const accepted = await pay(
      t,
      cashier,
      orderId,
      { method: 'credit', amountCents: 1_000, card: { pan: PAN_SPACED } },
      newKey(),
    );
    expect(accepted.statusCode).toBe(201);
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/payments/${accepted.json().id}`,
      headers: cashier.headers,
    });
    expect(read.json().card.maskedPan).toBe(PAN_MASKED);

    const stored = (await storedData(t)).map((bytes) => bytes.toString('latin1'));
    // The masked number is kept on purpose: finding it proves the scan sees the payment's row.
    expect(stored.some((text) => text.includes(PAN_MASKED))).toBe(true);
    expect(logs.lines.length).toBeGreaterThan(0);

    for (const haystack of [...stored, logs.text()]) {
      expect(haystack).not.toContain(PAN);
      expect(haystack).not.toContain(PAN_SPACED);
      expect(haystack).not.toContain(PAN_DASHED);
      expect(haystack).not.toContain('=25121011');
      expect(withoutEncodedRuns(haystack)).not.toMatch(/cvv|cvc2/i);
      expect(haystack).not.toContain(`"${CVV}"`);
      // A column of its own: pg_dump separates values with tabs, one row per line.
      expect(haystack).not.toMatch(new RegExp(`(^|\\t)${CVV}(\\t|$)`, 'm'));
      expect(haystack).not.toContain('"4321"');
    }
  });
});
