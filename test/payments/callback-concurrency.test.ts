/**
 * Safaricom has been seen posting the same callback several times at once. On real PostgreSQL (many connections),
 * twenty parallel copies of one STK callback — and of one B2C result — must move money exactly once.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getWithdrawal, reserveWithdrawal } from '../../src/core/wallet.ts';
import { newPlayer } from '../support/core.ts';
import { describeOnPostgres } from '../support/databases.ts';
import { b2cSuccess, conversationAccepted, id, mpesaReceipt, stkAccepted, stkSuccess } from './daraja-fixtures.ts';
import { darajaTokens, interceptPost, startPaymentsHarness, type PaymentsHarness } from './payments-harness.ts';

describeOnPostgres('parallel duplicate callbacks', (backend) => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1/);
    h = await startPaymentsHarness(backend);
  });
  beforeEach(() => {
    darajaTokens();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(async () => {
    await h?.close();
    nock.enableNetConnect();
  });

  it('the same STK callback twenty times in parallel credits exactly once', async () => {
    const player = await newPlayer(h.core);
    const checkout = id('ws_CO_');
    interceptPost('/mpesa/stkpush/v1/processrequest', 200, stkAccepted(checkout));
    expect((await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 1000_00 })).ok).toBe(true);

    const body = stkSuccess({ checkout, amount: 1000, phone: player.msisdn, receipt: mpesaReceipt() });
    const replies = await Promise.all(Array.from({ length: 20 }, () => h.callback('stk/callback', body)));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));

    expect(await h.wallet(player.id)).toBe(950_00);
    const { rows } = await h.t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transfers t JOIN entries e ON e.transfer_id = t.id
        WHERE t.kind = 'deposit' AND e.account_id = (SELECT wallet_account_id FROM players WHERE id = $1)`,
      [player.id],
    );
    expect(rows[0]!.n).toBe(1);
    expect(await h.outbox(player.id, 'deposit_credited')).toHaveLength(1);
    const outcomes = (await h.callbacks('ref = $1', [checkout])).map((c) => c.outcome).sort();
    expect(outcomes).toEqual(['applied', ...Array(19).fill('duplicate')]);
    await h.ledgerOk();
  });

  it('the same B2C result twenty times in parallel completes the withdrawal once', async () => {
    const player = await newPlayer(h.core, 1000_00);
    const r = await reserveWithdrawal(h.core, { playerId: player.id, amount: 500_00, key: id('wd-'), now: h.clock() });
    if (!r.ok) throw new Error(r.reason);
    interceptPost('/mpesa/b2c/v3/paymentrequest', 200, conversationAccepted(String(r.value.id)));
    await h.module.port.startPayout({ withdrawalId: r.value.id, msisdn: player.msisdn, amount: r.value.net });

    const receipt = mpesaReceipt();
    const body = b2cSuccess({ originator: String(r.value.id), receipt, amount: 475 });
    const replies = await Promise.all(Array.from({ length: 20 }, () => h.callback('b2c/result', body)));
    expect(replies.map((x) => x.status)).toEqual(Array(20).fill(200));
    expect(await getWithdrawal(h.core.db, r.value.id)).toMatchObject({ state: 'completed', receipt });
    expect(await h.wallet(player.id)).toBe(450_00);
    expect(await h.outbox(player.id, 'withdrawal_paid')).toHaveLength(1);
    await h.ledgerOk();
  });
});
