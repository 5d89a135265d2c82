/**
 * Paybill payments from the M-Pesa menu (C2B): validation by account number, confirmation credited once per TransID,
 * unknown accounts parked in suspense for support.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { c2bPayment, mpesaReceipt } from './daraja-fixtures.ts';
import { startPaymentsHarness, type PaymentsHarness } from './payments-harness.ts';

describe.each(backends)('C2B paybill payments on $name', (backend) => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    h = await startPaymentsHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });

  const local = (msisdn: string) => `0${msisdn.slice(3)}`;

  it('validation accepts a player in any usual number form and rejects an unknown account with C2B00012', async () => {
    const player = await newPlayer(h.core);
    for (const account of [player.msisdn, local(player.msisdn), `+${player.msisdn}`, ` ${local(player.msisdn)} `]) {
      const res = await h.callback('c2b/validation', c2bPayment({ amount: '100', billRef: account }));
      expect(res).toEqual({ status: 200, body: { ResultCode: '0', ResultDesc: 'Accepted' } });
    }
    for (const account of ['0799000000', 'ACME-123', '', 'DEP999999']) {
      const res = await h.callback('c2b/validation', c2bPayment({ amount: '100', billRef: account }));
      expect(res).toEqual({ status: 200, body: { ResultCode: 'C2B00012', ResultDesc: 'Rejected' } });
    }
    const bad = await h.callback('c2b/validation', c2bPayment({ amount: 'ten', billRef: player.msisdn }));
    expect(bad.body).toEqual({ ResultCode: 'C2B00013', ResultDesc: 'Rejected' });
    // validation never moves money
    expect(await h.wallet(player.id)).toBe(0);
  });

  it('confirmation credits a known player once per TransID (amounts are strings)', async () => {
    const player = await newPlayer(h.core);
    const transId = mpesaReceipt();
    const body = c2bPayment({ transId, amount: '500.00', billRef: local(player.msisdn) });
    const res = await h.callback('c2b/confirmation', body);
    expect(res).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Success' } });
    expect(await h.wallet(player.id)).toBe(475_00);
    await h.callback('c2b/confirmation', body);
    await h.callback('c2b/confirmation', { ...body, TransAmount: '500' });
    expect(await h.wallet(player.id)).toBe(475_00);
    const sms = await h.outbox(player.id, 'deposit_credited');
    expect(sms).toHaveLength(1);
    expect(sms[0]!.params).toMatchObject({ receipt: transId, amount: 500_00 });
    const { rows } = await h.t.db.query('SELECT state, player_id FROM c2b_payments WHERE trans_id = $1', [transId]);
    expect(rows).toEqual([{ state: 'credited', player_id: expect.anything() }]);
    expect((await h.callbacks('ref = $1', [transId])).map((c) => c.outcome)).toEqual(['applied', 'duplicate', 'duplicate']);
    await h.ledgerOk();
  });

  it('an unknown account is parked in suspense and recorded for support, once', async () => {
    const suspense = await h.system('suspense');
    const clearing = await h.system('mpesa_clearing');
    const transId = mpesaReceipt();
    const body = c2bPayment({ transId, amount: '250', billRef: 'BETTING' });
    expect((await h.callback('c2b/confirmation', body)).status).toBe(200);
    expect((await h.callback('c2b/confirmation', body)).status).toBe(200);
    expect(await h.system('suspense')).toBe(suspense + 250_00);
    expect(await h.system('mpesa_clearing')).toBe(clearing - 250_00);
    const { rows } = await h.t.db.query('SELECT source, amount, account, receipt, state FROM payment_suspense WHERE ref = $1', [transId]);
    expect(rows).toEqual([{ source: 'c2b_unknown_account', amount: expect.anything(), account: 'BETTING', receipt: transId, state: 'open' }]);
    expect(Number((rows[0] as { amount: unknown }).amount)).toBe(250_00);
    expect((await h.t.db.query('SELECT state FROM c2b_payments WHERE trans_id = $1', [transId])).rows).toEqual([{ state: 'suspense' }]);
    await h.ledgerOk();
  });

  it('a confirmation without a usable amount or TransID is a 400 and changes nothing', async () => {
    const player = await newPlayer(h.core);
    expect((await h.callback('c2b/confirmation', c2bPayment({ amount: '-5', billRef: player.msisdn }))).status).toBe(400);
    expect((await h.callback('c2b/confirmation', { ...c2bPayment({ amount: '10', billRef: player.msisdn }), TransID: '' })).status).toBe(400);
    expect((await h.callback('c2b/confirmation', 'TransID=1')).status).toBe(400);
    expect(await h.wallet(player.id)).toBe(0);
    expect((await h.post('/payments/c2b/confirmation/not-the-token', c2bPayment({ amount: '10', billRef: player.msisdn }))).status).toBe(404);
    expect((await h.post('/payments/c2b/validation/not-the-token', c2bPayment({ amount: '10', billRef: player.msisdn }))).status).toBe(404);
  });

  it('parallel copies of one confirmation credit once', async () => {
    const player = await newPlayer(h.core);
    const body = c2bPayment({ amount: '100', billRef: player.msisdn });
    const replies = await Promise.all(Array.from({ length: 10 }, () => h.callback('c2b/confirmation', body)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(await h.wallet(player.id)).toBe(95_00);
    await h.ledgerOk();
  });
});
