import { describe, expect, it } from 'vitest';

import { testMasterKey } from '../../../test/helpers/app.js';
import { loadConfig } from '../../config/index.js';

const base = {
  NODE_ENV: 'test',
  CHEFIA_DATA_DIR: '/tmp/chefia-settings',
  CHEFIA_TLS: 'false',
  CHEFIA_MASTER_KEY: testMasterKey(),
};

describe('payment settings', () => {
  it('defaults the withdrawal approval limit to R$ 200,00 and leaves the PIX webhook off', () => {
    const config = loadConfig(base);

    expect(config.payments.cashWithdrawalApprovalCents).toBe(20_000);
    expect(config.payments.pixWebhookSecret).toBeUndefined();
  });

  it('refuses a PIX webhook secret shorter than 32 characters', () => {
    expect(() => loadConfig({ ...base, CHEFIA_PIX_WEBHOOK_SECRET: 'short-secret' })).toThrow(
      'CHEFIA_PIX_WEBHOOK_SECRET must be at least 32 characters.',
    );
  });

  it('refuses a placeholder PIX webhook secret in production', () => {
    expect(() =>
      loadConfig({
        ...base,
        NODE_ENV: 'production',
        CHEFIA_HOST: '127.0.0.1',
        CHEFIA_PIX_WEBHOOK_SECRET: 'change-me-change-me-change-me-change-me',
      }),
    ).toThrow('CHEFIA_PIX_WEBHOOK_SECRET looks like a placeholder; generate one.');
  });

  it('refuses a negative withdrawal limit', () => {
    expect(() => loadConfig({ ...base, CHEFIA_CASH_WITHDRAWAL_APPROVAL_CENTS: '-1' })).toThrow(
      /CHEFIA_CASH_WITHDRAWAL_APPROVAL_CENTS/,
    );
  });
});
