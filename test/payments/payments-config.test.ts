/** The payment variables: defaults, the mode rule, and what PAYMENTS=daraja insists on. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PaymentsConfigSchema, PaymentsConfigShape, paymentsConfigProblems, paymentsMode } from '../../src/adapters/payments/payments-config.ts';
import { createPaymentsModule } from '../../src/adapters/payments/payments-module.ts';
import { DEV_CALLBACK_TOKEN, SmsConfigShape } from '../../src/adapters/sms/sms-config.ts';
import type { Core } from '../../src/core/core.ts';
import { DARAJA_ENV } from './payments-harness.ts';

describe('payments configuration', () => {
  it('defaults to the simulator without Daraja credentials, to Daraja with them', () => {
    const bare = PaymentsConfigSchema.parse({});
    expect(paymentsMode(bare)).toBe('simulator');
    expect(bare).toMatchObject({
      MPESA_BASE_URL: 'https://sandbox.safaricom.co.ke',
      MPESA_TRANSACTION_TYPE: 'paybill',
      MPESA_TIMEOUT_MS: 5000,
      RECONCILER: 'on',
      RECONCILE_AFTER_SECONDS: 120,
      RECONCILE_INTERVAL_MS: 30000,
      MPESA_ALLOWED_IPS: '',
      TRUSTED_PROXIES: '',
      SIMULATOR_DELAY_MS: 3000,
      CALLBACK_TOKEN: DEV_CALLBACK_TOKEN,
    });
    expect(paymentsConfigProblems(bare)).toEqual([]);
    expect(paymentsMode(PaymentsConfigSchema.parse({ MPESA_CONSUMER_KEY: 'k' }))).toBe('daraja');
    expect(paymentsMode(PaymentsConfigSchema.parse({ MPESA_CONSUMER_KEY: 'k', PAYMENTS: 'simulator' }))).toBe('simulator');
  });

  it('merges with the SMS variables: one CALLBACK_TOKEN, same rules either way round', () => {
    const a = z.object({ ...SmsConfigShape, ...PaymentsConfigShape }).parse({});
    const b = z.object({ ...PaymentsConfigShape, ...SmsConfigShape }).parse({ CALLBACK_TOKEN: 'a-long-secret-token-0123' });
    expect(a.CALLBACK_TOKEN).toBe(DEV_CALLBACK_TOKEN);
    expect(b.CALLBACK_TOKEN).toBe('a-long-secret-token-0123');
    expect(PaymentsConfigSchema.safeParse({ CALLBACK_TOKEN: 'short' }).success).toBe(false);
  });

  it('PAYMENTS=daraja names every missing variable', () => {
    const problems = paymentsConfigProblems(PaymentsConfigSchema.parse({ PAYMENTS: 'daraja', PUBLIC_BASE_URL: 'http://bet.example.co.ke' }));
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'MPESA_CONSUMER_KEY',
      'MPESA_CONSUMER_SECRET',
      'MPESA_SHORTCODE',
      'MPESA_PASSKEY',
      'MPESA_B2C_SHORTCODE',
      'MPESA_INITIATOR_NAME',
      'MPESA_SECURITY_CREDENTIAL',
      'PUBLIC_BASE_URL',
      'CALLBACK_TOKEN',
    ]);
    expect(paymentsConfigProblems(PaymentsConfigSchema.parse(DARAJA_ENV))).toEqual([]);
    const withPassword = { ...DARAJA_ENV, MPESA_SECURITY_CREDENTIAL: '', MPESA_INITIATOR_PASSWORD: 'pw', MPESA_CERT_PATH: '/etc/cert.cer' };
    expect(paymentsConfigProblems(PaymentsConfigSchema.parse(withPassword))).toEqual([]);
  });

  it('the module refuses to start on a configuration problem', () => {
    const config = PaymentsConfigSchema.parse({ PAYMENTS: 'daraja' });
    expect(() =>
      createPaymentsModule({ core: {} as Core, logger: pino({ level: 'silent' }), config, selfBaseUrl: () => 'http://127.0.0.1:1' }),
    ).toThrow(/MPESA_CONSUMER_KEY: required when PAYMENTS=daraja/);
  });
});
