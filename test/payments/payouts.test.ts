/**
 * Withdrawals paid by B2C: results, failures, queue timeouts answered by Transaction Status, resends that cannot pay
 * twice, and the whole-shilling rule. nock stands in for Safaricom; callbacks come over HTTP.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Player } from '../../src/core/players.ts';
import { getWithdrawal, reserveWithdrawal } from '../../src/core/wallet.ts';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { b2cFailure, b2cSuccess, b2cTimeout, conversationAccepted, DARAJA, envelope, id, mpesaReceipt, statusResult } from './daraja-fixtures.ts';
import { darajaTokens, interceptPost, startPaymentsHarness, TOKEN, type PaymentsHarness } from './payments-harness.ts';

const B2C = '/mpesa/b2c/v3/paymentrequest';
const STATUS = '/mpesa/transactionstatus/v1/query';
const AFTER = 121_000;

describe.each(backends)('B2C payouts on $name', (backend) => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1/);
    h = await startPaymentsHarness(backend, { env: { RECONCILE_MAX_ATTEMPTS: '2', MPESA_BREAKER_FAILURES: '100', MPESA_TIMEOUT_MS: '600' } });
  });
  beforeEach(async () => {
    await h.quiesce();
    darajaTokens();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(async () => {
    await h?.close();
    nock.enableNetConnect();
  });

  /** a player with KES 950 (1,000 deposited less excise) and a reserved withdrawal of `shillings` */
  async function reserved(shillings: number): Promise<{ player: Player; withdrawalId: number; net: number }> {
    const player = await newPlayer(h.core, 1000_00);
    const r = await reserveWithdrawal(h.core, { playerId: player.id, amount: shillings * 100, key: id('wd-'), now: h.clock() });
    if (!r.ok) throw new Error(r.reason);
    return { player, withdrawalId: r.value.id, net: r.value.net };
  }

  async function started(shillings: number) {
    const w = await reserved(shillings);
    const originator = String(w.withdrawalId);
    const conversation = id('AG_');
    const seen = interceptPost(B2C, 200, conversationAccepted(originator, conversation));
    await h.module.port.startPayout({ withdrawalId: w.withdrawalId, msisdn: w.player.msisdn, amount: w.net });
    return { ...w, originator, conversation, request: seen[0]?.body };
  }

  const payout = async (withdrawalId: number) =>
    (await h.t.db.query<Record<string, any>>('SELECT * FROM payouts WHERE withdrawal_id = $1', [withdrawalId])).rows[0]!;

  it('sends B2C keyed by the withdrawal; a success result completes the withdrawal once', async () => {
    const clearing = await h.system('mpesa_clearing');
    const p = await started(100);
    expect(p.request).toMatchObject({
      OriginatorConversationID: p.originator,
      InitiatorName: 'testapi',
      SecurityCredential: 'test-security-credential',
      CommandID: 'BusinessPayment',
      Amount: 95,
      PartyA: '600000',
      PartyB: p.player.msisdn,
      ResultURL: `https://bet.example.co.ke/payments/b2c/result/${TOKEN}`,
      QueueTimeOutURL: `https://bet.example.co.ke/payments/b2c/timeout/${TOKEN}`,
    });
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'accepted', conversation_id: p.conversation });

    const receipt = mpesaReceipt();
    const res = await h.callback('b2c/result', b2cSuccess({ originator: p.originator, conversation: p.conversation, receipt, amount: 95 }));
    expect(res).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } });
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'completed', receipt });
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'paid', receipt });
    await h.callback('b2c/result', b2cSuccess({ originator: p.originator, conversation: p.conversation, receipt, amount: 95 }));
    expect(await h.wallet(p.player.id)).toBe(850_00);
    expect(await h.outbox(p.player.id, 'withdrawal_paid')).toHaveLength(1);
    expect(await h.system('mpesa_clearing')).toBe(clearing - 1000_00 + 95_00);
    await h.ledgerOk();
  });

  it('reads a single ResultParameter object and finds the payout by ConversationID alone', async () => {
    const p = await started(200);
    const receipt = mpesaReceipt();
    const body = b2cSuccess({ originator: 'not-ours', conversation: p.conversation, receipt, amount: 190, single: true });
    await h.callback('b2c/result', body);
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'completed', receipt });
    await h.ledgerOk();
  });

  it('a failure result fails the withdrawal, returns the money and says why', async () => {
    const p = await started(100);
    await h.callback('b2c/result', b2cFailure({ originator: p.originator, code: 2040, desc: 'Credit Party customer type can not be supported' }));
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'failed', failureReason: 'this number is not registered for M-Pesa' });
    expect(await h.wallet(p.player.id)).toBe(950_00);
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'failed', result_code: '2040' });
    await h.callback('b2c/result', b2cFailure({ originator: p.originator, code: 2040, desc: 'again' }));
    expect(await h.outbox(p.player.id, 'withdrawal_failed')).toHaveLength(1);
    expect(await h.wallet(p.player.id)).toBe(950_00);
    await h.ledgerOk();
  });

  it('a success after a refund is flagged for support and moves nothing', async () => {
    const p = await started(100);
    await h.callback('b2c/result', b2cFailure({ originator: p.originator, code: 1, desc: 'insufficient funds' }));
    await h.callback('b2c/result', b2cSuccess({ originator: p.originator, receipt: mpesaReceipt(), amount: 95 }));
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'unresolved', flag: 'paid_after_refund' });
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'failed' });
    expect(await h.wallet(p.player.id)).toBe(950_00);
    await h.ledgerOk();
  });

  it('a queue timeout never refunds: Transaction Status is asked, and "Completed" pays', async () => {
    const p = await started(100);
    const query = id('AG_Q_');
    const seen = interceptPost(STATUS, 200, conversationAccepted('status-1', query));
    expect((await h.callback('b2c/timeout', b2cTimeout(p.originator, p.conversation))).status).toBe(200);
    await h.module.idle();
    expect(seen[0]!.body).toMatchObject({
      Initiator: 'testapi',
      SecurityCredential: 'test-security-credential',
      CommandID: 'TransactionStatusQuery',
      OriginalConversationID: p.originator,
      PartyA: '600000',
      IdentifierType: '4',
      ResultURL: `https://bet.example.co.ke/payments/status/result/${TOKEN}`,
      QueueTimeOutURL: `https://bet.example.co.ke/payments/status/timeout/${TOKEN}`,
      Occasion: p.originator,
    });
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'timed_out', status_conversation_id: query });
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'reserved' });
    expect(await h.wallet(p.player.id)).toBe(850_00);

    const receipt = mpesaReceipt();
    await h.callback('status/result', statusResult({ conversation: query, originator: 'status-1', status: 'Completed', receipt }));
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'completed', receipt });
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'paid', receipt });
    expect(await h.wallet(p.player.id)).toBe(850_00);
    // the B2C result turning up after all changes nothing
    await h.callback('b2c/result', b2cSuccess({ originator: p.originator, receipt, amount: 95 }));
    expect(await h.outbox(p.player.id, 'withdrawal_paid')).toHaveLength(1);
    await h.ledgerOk();
  });

  it('a queue timeout whose status says "Failed" refunds', async () => {
    const p = await started(100);
    const query = id('AG_Q_');
    interceptPost(STATUS, 200, conversationAccepted('status-2', query));
    await h.callback('b2c/timeout', b2cTimeout(p.originator, p.conversation));
    await h.module.idle();
    await h.callback('status/result', statusResult({ conversation: query, originator: 'status-2', status: 'Failed' }));
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'failed', failureReason: 'M-Pesa reports the payout failed' });
    expect(await h.wallet(p.player.id)).toBe(950_00);
    await h.ledgerOk();
  });

  it('a status answer that settles nothing is asked again, then the payout is flagged unresolved, still reserved', async () => {
    const p = await started(100);
    interceptPost(STATUS, 200, conversationAccepted('status-3', 'AG_Q_3'));
    await h.callback('b2c/timeout', b2cTimeout(p.originator));
    await h.module.idle();
    await h.callback('status/result', statusResult({ conversation: 'AG_Q_3', originator: 'status-3', status: '', code: 'R000001' }));
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'timed_out', attempts: 1 });

    h.clock.advance(AFTER);
    const again = interceptPost(STATUS, 200, conversationAccepted('status-4', 'AG_Q_4'));
    expect(await h.module.reconcileOnce()).toMatchObject({ statusQueries: 1 });
    expect(again[0]!.body).toMatchObject({ OriginalConversationID: p.originator });
    h.clock.advance(AFTER);
    expect(await h.module.reconcileOnce()).toMatchObject({ payoutsUnresolved: 1 });
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'unresolved', flag: 'no_answer' });
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'reserved' });
    await h.ledgerOk();
  });

  it('an accepted payout whose result never comes is checked by Transaction Status', async () => {
    const p = await started(100);
    h.clock.advance(AFTER);
    const seen = interceptPost(STATUS, 200, conversationAccepted('status-5', 'AG_Q_5'));
    expect(await h.module.reconcileOnce()).toMatchObject({ statusQueries: 1 });
    expect(seen).toHaveLength(1);
    const receipt = mpesaReceipt();
    await h.callback('status/result', statusResult({ conversation: 'unknown', originator: 'unknown', status: 'Completed', receipt, occasion: p.originator }));
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'completed', receipt });
    await h.ledgerOk();
  });

  it('a request without an answer is resent with the same OriginatorConversationID and pays once', async () => {
    const w = await reserved(300);
    nock(DARAJA).post(B2C).delay(2_000).reply(200, conversationAccepted(String(w.withdrawalId)));
    await h.module.port.startPayout({ withdrawalId: w.withdrawalId, msisdn: w.player.msisdn, amount: w.net });
    expect(await payout(w.withdrawalId)).toMatchObject({ state: 'pending' });
    // a second start (a retried request) sends nothing new
    await h.module.port.startPayout({ withdrawalId: w.withdrawalId, msisdn: w.player.msisdn, amount: w.net });
    nock.cleanAll();
    darajaTokens();

    h.clock.advance(AFTER);
    // Daraja did take the first one: the resend is refused as a duplicate, which means "accepted"
    const resent = interceptPost(B2C, 500, envelope('500.002.1001', 'Duplicate OriginatorConversationID.'));
    expect(await h.module.reconcileOnce()).toMatchObject({ payoutsResent: 1 });
    expect(resent[0]!.body).toMatchObject({ OriginatorConversationID: String(w.withdrawalId), Amount: 285 });
    expect(await payout(w.withdrawalId)).toMatchObject({ state: 'accepted' });
    const receipt = mpesaReceipt();
    await h.callback('b2c/result', b2cSuccess({ originator: String(w.withdrawalId), receipt, amount: 285 }));
    expect(await getWithdrawal(h.core.db, w.withdrawalId)).toMatchObject({ state: 'completed', receipt });
    expect(await h.wallet(w.player.id)).toBe(650_00);
    await h.ledgerOk();
  });

  it('a payout Daraja refuses outright is failed and refunded', async () => {
    const w = await reserved(100);
    interceptPost(B2C, 400, envelope('400.002.02', 'Bad Request - Invalid PartyB'));
    await h.module.port.startPayout({ withdrawalId: w.withdrawalId, msisdn: w.player.msisdn, amount: w.net });
    expect(await getWithdrawal(h.core.db, w.withdrawalId)).toMatchObject({ state: 'failed', failureReason: 'M-Pesa refused the payout' });
    expect(await payout(w.withdrawalId)).toMatchObject({ state: 'failed', result_code: '400.002.02' });
    expect(await h.wallet(w.player.id)).toBe(950_00);
    await h.ledgerOk();
  });

  it('B2C pays whole shillings: the cents of the net it cannot pay go back to the wallet', async () => {
    const clearing = await h.system('mpesa_clearing');
    const p = await started(101); // wht 5.05, net 95.95
    expect(p.net).toBe(95_95);
    expect(p.request).toMatchObject({ Amount: 95 });
    await h.callback('b2c/result', b2cSuccess({ originator: p.originator, receipt: mpesaReceipt(), amount: 95 }));
    expect(await h.wallet(p.player.id)).toBe(950_00 - 101_00 + 95);
    // what left M-Pesa is exactly what B2C paid
    expect(await h.system('mpesa_clearing')).toBe(clearing - 1000_00 + 95_00);
    await h.ledgerOk();
  });

  it('a net below the B2C minimum of KES 10 is failed without a request', async () => {
    const w = await reserved(10); // net 9.50
    await h.module.port.startPayout({ withdrawalId: w.withdrawalId, msisdn: w.player.msisdn, amount: w.net });
    expect(await getWithdrawal(h.core.db, w.withdrawalId)).toMatchObject({ state: 'failed' });
    expect(await h.wallet(w.player.id)).toBe(950_00);
    await h.ledgerOk();
  });

  it('a reserved withdrawal whose payout never started is started by reconciliation', async () => {
    const w = await reserved(100);
    h.clock.advance(AFTER);
    const seen = interceptPost(B2C, 200, conversationAccepted(String(w.withdrawalId)));
    expect(await h.module.reconcileOnce()).toMatchObject({ payoutsStarted: 1 });
    expect(seen[0]!.body).toMatchObject({ OriginatorConversationID: String(w.withdrawalId), Amount: 95 });
    expect(await payout(w.withdrawalId)).toMatchObject({ state: 'accepted' });
  });

  it('wrong tokens are 404 and malformed results are 400 on every payout route', async () => {
    const p = await started(100);
    for (const path of ['b2c/result', 'b2c/timeout', 'status/result', 'status/timeout']) {
      expect((await h.post(`/payments/${path}/wrong-token-wrong-token`, b2cTimeout(p.originator))).status).toBe(404);
    }
    expect((await h.callback('b2c/result', { Result: { ResultCode: 0 } })).status).toBe(400);
    expect((await h.callback('b2c/timeout', '[1,2')).status).toBe(400);
    expect((await h.callback('status/result', { Result: {} })).status).toBe(400);
    expect(await payout(p.withdrawalId)).toMatchObject({ state: 'accepted' });
    expect(await getWithdrawal(h.core.db, p.withdrawalId)).toMatchObject({ state: 'reserved' });
  });
});
