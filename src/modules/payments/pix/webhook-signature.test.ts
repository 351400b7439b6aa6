import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { signPixWebhook, verifyPixWebhook, type PixWebhookCheck } from './webhook-signature.js';

const SECRET = 'whsec_test_0123456789abcdef';
const NOW = new Date('2026-01-15T12:00:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const BODY = '{"txid":"ORDER0001ABC","amount":"12.50","status":"CONCLUIDA"}';

function signedCheck(overrides: Partial<PixWebhookCheck> = {}): PixWebhookCheck {
  return {
    secret: SECRET,
    timestampHeader: String(NOW_SECONDS),
    signatureHeader: signPixWebhook(SECRET, NOW_SECONDS, BODY),
    rawBody: BODY,
    now: NOW,
    ...overrides,
  };
}

function flipFirstCharacter(hex: string): string {
  return (hex[0] === 'a' ? 'b' : 'a') + hex.slice(1);
}

describe('PIX webhook signature', () => {
  it('is the hex HMAC-SHA-256 of "timestamp.body"', () => {
    const expected = createHmac('sha256', SECRET).update(`${NOW_SECONDS}.${BODY}`).digest('hex');

    expect(signPixWebhook(SECRET, NOW_SECONDS, BODY)).toBe(expected);
    expect(signPixWebhook(SECRET, NOW_SECONDS, Buffer.from(BODY))).toBe(expected);
  });

  it('refuses to sign with an empty secret', () => {
    expect(() => signPixWebhook('', NOW_SECONDS, BODY)).toThrow(
      expect.objectContaining({ code: 'POS_ERR_INTERNAL' }),
    );
  });

  it('accepts a request signed just now', () => {
    expect(verifyPixWebhook(signedCheck())).toBe('ok');
  });

  it('accepts an upper-case hex signature', () => {
    const signature = signPixWebhook(SECRET, NOW_SECONDS, BODY).toUpperCase();

    expect(verifyPixWebhook(signedCheck({ signatureHeader: signature }))).toBe('ok');
  });

  it('accepts a request exactly at the edge of the window, 300 s either way', () => {
    for (const timestamp of [NOW_SECONDS - 300, NOW_SECONDS + 300]) {
      const check = signedCheck({
        timestampHeader: String(timestamp),
        signatureHeader: signPixWebhook(SECRET, timestamp, BODY),
      });
      expect(verifyPixWebhook(check)).toBe('ok');
    }
  });

  describe('security', () => {
    it('rejects a signature with one character flipped', () => {
      const signature = flipFirstCharacter(signPixWebhook(SECRET, NOW_SECONDS, BODY));

      expect(verifyPixWebhook(signedCheck({ signatureHeader: signature }))).toBe('bad_signature');
    });

    it('rejects a request signed with another secret', () => {
      const signature = signPixWebhook('whsec_attacker', NOW_SECONDS, BODY);

      expect(verifyPixWebhook(signedCheck({ signatureHeader: signature }))).toBe('bad_signature');
    });

    it('rejects a body changed after signing', () => {
      const tampered = BODY.replace('12.50', '0.01');

      expect(verifyPixWebhook(signedCheck({ rawBody: tampered }))).toBe('bad_signature');
    });

    it('rejects a signature moved to another timestamp', () => {
      const check = signedCheck({ timestampHeader: String(NOW_SECONDS + 1) });

      expect(verifyPixWebhook(check)).toBe('bad_signature');
    });

    it.each([
      ['301 s old', NOW_SECONDS - 301],
      ['301 s in the future', NOW_SECONDS + 301],
      ['a day old', NOW_SECONDS - 86_400],
    ])('rejects a genuine request signed %s as stale', (_label, timestamp) => {
      const check = signedCheck({
        timestampHeader: String(timestamp),
        signatureHeader: signPixWebhook(SECRET, timestamp, BODY),
      });

      expect(verifyPixWebhook(check)).toBe('stale');
    });

    it('honours a custom tolerance', () => {
      const timestamp = NOW_SECONDS - 61;
      const check = signedCheck({
        timestampHeader: String(timestamp),
        signatureHeader: signPixWebhook(SECRET, timestamp, BODY),
      });

      expect(verifyPixWebhook({ ...check, toleranceSeconds: 60 })).toBe('stale');
      expect(verifyPixWebhook({ ...check, toleranceSeconds: 61 })).toBe('ok');
    });

    it('calls an old request with a forged signature bad_signature, not stale', () => {
      const timestamp = NOW_SECONDS - 3600;
      const check = signedCheck({
        timestampHeader: String(timestamp),
        signatureHeader: signPixWebhook('whsec_attacker', timestamp, BODY),
      });

      expect(verifyPixWebhook(check)).toBe('bad_signature');
    });

    it.each([
      ['a missing timestamp', { timestampHeader: undefined }],
      ['an empty timestamp', { timestampHeader: '' }],
      ['a timestamp longer than 12 digits', { timestampHeader: '1768478400000000' }],
      ['a non-numeric timestamp', { timestampHeader: 'yesterday' }],
      ['a negative timestamp', { timestampHeader: '-1768478400' }],
      ['a fractional timestamp', { timestampHeader: '1768478400.5' }],
      ['a timestamp with a leading zero', { timestampHeader: '01768478400' }],
      ['a repeated timestamp header', { timestampHeader: ['1768478400', '1768478400'] }],
      ['a missing signature', { signatureHeader: undefined }],
      ['an empty signature', { signatureHeader: '' }],
      ['a signature that is not hex', { signatureHeader: 'z'.repeat(64) }],
      ['a truncated signature', { signatureHeader: 'ab'.repeat(31) }],
      ['an over-long signature', { signatureHeader: 'ab'.repeat(33) }],
      ['a prefixed signature', { signatureHeader: `sha256=${'ab'.repeat(32)}` }],
      ['a repeated signature header', { signatureHeader: ['ab'.repeat(32), 'ab'.repeat(32)] }],
    ])('answers malformed to %s', (_label, overrides) => {
      expect(verifyPixWebhook(signedCheck(overrides))).toBe('malformed');
    });
  });
});
