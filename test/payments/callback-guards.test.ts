/**
 * The optional source allowlist (MPESA_ALLOWED_IPS), with X-Forwarded-For believed only from TRUSTED_PROXIES.
 * A refused source is a 403 before anything is read or stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { c2bPayment } from './daraja-fixtures.ts';
import { startPaymentsHarness, TOKEN, type PaymentsHarness } from './payments-harness.ts';

const SAFARICOM = '196.201.214.200';

describe.each(backends)('callback source allowlist on $name', (backend) => {
  describe('behind a trusted proxy', () => {
    let h: PaymentsHarness;
    beforeAll(async () => {
      h = await startPaymentsHarness(backend, { env: { MPESA_ALLOWED_IPS: '196.201.214.0/24, 196.201.212.127', TRUSTED_PROXIES: '127.0.0.1' } });
    });
    afterAll(async () => {
      await h?.close();
    });

    const validate = async (xff?: string) => {
      const player = await newPlayer(h.core);
      return h.post(`/payments/c2b/validation/${TOKEN}`, c2bPayment({ amount: '10', billRef: player.msisdn }), xff ? { 'X-Forwarded-For': xff } : {});
    };

    it('accepts an allowed address forwarded by the proxy', async () => {
      expect((await validate(SAFARICOM)).status).toBe(200);
      expect((await validate('196.201.212.127')).status).toBe(200);
      // the right-most untrusted hop counts, not what the client claimed further left
      expect((await validate(`10.9.9.9, ${SAFARICOM}`)).status).toBe(200);
    });

    it('refuses anyone else with 403 and stores nothing', async () => {
      const before = (await h.callbacks()).length;
      expect((await validate('10.1.1.1')).status).toBe(403);
      expect((await validate(`${SAFARICOM}, 10.1.1.1`)).status).toBe(403);
      // the proxy itself is not Safaricom
      expect((await validate()).status).toBe(403);
      expect((await h.callbacks()).length).toBe(before);
    });

    it('a wrong token is still a 404 first', async () => {
      expect((await h.post('/payments/c2b/validation/nope', {}, { 'X-Forwarded-For': '10.1.1.1' })).status).toBe(404);
    });
  });

  describe('without trusted proxies', () => {
    let h: PaymentsHarness;
    beforeAll(async () => {
      h = await startPaymentsHarness(backend, { env: { MPESA_ALLOWED_IPS: '196.201.214.0/24' } });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('ignores X-Forwarded-For: anyone can write that header', async () => {
      const player = await newPlayer(h.core);
      const res = await h.post(`/payments/c2b/validation/${TOKEN}`, c2bPayment({ amount: '10', billRef: player.msisdn }), {
        'X-Forwarded-For': SAFARICOM,
      });
      expect(res.status).toBe(403);
    });
  });

  it('the allowlist is off when empty, and a bad entry is a configuration error', async () => {
    const { PaymentsConfigSchema } = await import('../../src/adapters/payments/payments-module.ts');
    expect(PaymentsConfigSchema.safeParse({ MPESA_ALLOWED_IPS: '' }).success).toBe(true);
    expect(PaymentsConfigSchema.safeParse({ MPESA_ALLOWED_IPS: '196.201.214.0/24,::1' }).success).toBe(true);
    expect(PaymentsConfigSchema.safeParse({ MPESA_ALLOWED_IPS: 'safaricom.com' }).success).toBe(false);
    expect(PaymentsConfigSchema.safeParse({ TRUSTED_PROXIES: '10.0.0.0/99' }).success).toBe(false);
  });
});
