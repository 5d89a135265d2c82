/**
 * Reconciliation of deposits: lost, late and unmatched callbacks, STK queries, and the one-instance lock. A pass looks
 * at everything pending, so each test starts with earlier tests' leftovers settled (harness `quiesce`).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordCallback } from '../../src/adapters/payments/payments-store.ts';
import { RECONCILE_LOCK, startReconciler } from '../../src/adapters/payments/reconcile.ts';
import { newPlayer } from '../support/core.ts';
import { backends, describeOnPostgres } from '../support/databases.ts';
import { c2bPayment, DARAJA, envelope, id, mpesaReceipt, stkAccepted, stkFailure, stkSuccess } from './daraja-fixtures.ts';
import { darajaTokens, eventually, interceptPost, silent, startPaymentsHarness, type PaymentsHarness } from './payments-harness.ts';

const PUSH = '/mpesa/stkpush/v1/processrequest';
const QUERY = '/mpesa/stkpushquery/v1/query';
const AFTER = 121_000;

describe.each(backends)('deposit reconciliation on $name', (backend) => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1/);
    h = await startPaymentsHarness(backend, { env: { RECONCILE_MAX_ATTEMPTS: '2', MPESA_TIMEOUT_MS: '600', MPESA_BREAKER_FAILURES: '100' } });
  });
  beforeEach(async () => {
    // a pass looks at everything pending: earlier tests' leftovers are settled first
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

  async function pushed(shillings: number) {
    const player = await newPlayer(h.core);
    const checkout = id('ws_CO_');
    interceptPost(PUSH, 200, stkAccepted(checkout));
    const res = await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: shillings * 100 });
    expect(res.ok).toBe(true);
    return { player, checkout };
  }

  const queryAnswer = (code: string, desc = 'x') => ({
    ResponseCode: '0',
    ResponseDescription: 'The service request has been accepted successsfully',
    MerchantRequestID: '1',
    CheckoutRequestID: 'ignored',
    ResultCode: code,
    ResultDesc: desc,
  });

  it('a lost callback: the STK query credits the deposit; the late callback and the C2B copy credit nothing more', async () => {
    const { player, checkout } = await pushed(200);
    // not yet due: nothing asked
    expect(await h.module.reconcileOnce()).toMatchObject({ ran: true, depositsQueried: 0 });

    h.clock.advance(AFTER);
    const seen = interceptPost(QUERY, 200, queryAnswer('0', 'The service request is processed successfully.'));
    expect(await h.module.reconcileOnce()).toMatchObject({ ran: true, depositsQueried: 1, depositsCredited: 1, errors: 0 });
    expect(seen[0]!.body).toMatchObject({ BusinessShortCode: '174379', CheckoutRequestID: checkout });
    const dep = await h.depositByCheckout(checkout);
    expect(dep).toMatchObject({ state: 'credited', credit_key: `stkq:${checkout}`, receipt: null });
    expect(await h.wallet(player.id)).toBe(190_00);

    const receipt = mpesaReceipt();
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 200, phone: player.msisdn, receipt }));
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', credit_key: `stkq:${checkout}`, receipt });
    const echo = await h.callback('c2b/confirmation', c2bPayment({ transId: receipt, amount: '200.00', billRef: `DEP${dep.id}` }));
    expect(echo).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Success' } });
    expect(await h.wallet(player.id)).toBe(190_00);
    expect(await h.outbox(player.id, 'deposit_credited')).toHaveLength(1);
    const { rows } = await h.t.db.query(`SELECT count(*)::int AS n FROM transfers WHERE kind = 'deposit'`);
    expect(rows[0]).toEqual({ n: 1 });
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsQueried: 0 });
    await h.ledgerOk();
  });

  it('a query that answers a failure code fails the deposit and tells the player why', async () => {
    const { player, checkout } = await pushed(150);
    h.clock.advance(AFTER);
    interceptPost(QUERY, 200, queryAnswer('1032', 'Request cancelled by user'));
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsFailed: 1 });
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'failed', result_code: '1032' });
    expect((await h.outbox(player.id, 'deposit_failed'))[0]!.params).toMatchObject({ reason: 'You cancelled the M-Pesa request' });
    await h.ledgerOk();
  });

  it('"still being processed" is asked again later, then flagged unresolved; a late callback still resolves it', async () => {
    const { player, checkout } = await pushed(150);
    h.clock.advance(AFTER);
    interceptPost(QUERY, 500, envelope('500.001.1001', 'The transaction is being processed'));
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsQueried: 1, depositsUnresolved: 0 });
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'pending', attempts: 1 });
    // not due again until another RECONCILE_AFTER_SECONDS
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsQueried: 0 });
    h.clock.advance(AFTER);
    interceptPost(QUERY, 500, envelope('500.001.1001', 'The transaction is being processed'));
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsQueried: 1, depositsUnresolved: 1 });
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'unresolved', flag: 'no_answer', attempts: 2 });

    await h.callback('stk/callback', stkSuccess({ checkout, amount: 150, phone: player.msisdn }));
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', flag: 'late_result' });
    expect(await h.wallet(player.id)).toBe(142_50);
    await h.ledgerOk();
  });

  it('an outage during reconciliation does not count against the deposit', async () => {
    const { checkout } = await pushed(150);
    h.clock.advance(AFTER);
    nock(DARAJA).post(QUERY).reply(503, 'down');
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsQueried: 1, depositsUnresolved: 0 });
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('a push that timed out is claimed by its unmatched callback (same phone and amount)', async () => {
    const player = await newPlayer(h.core);
    nock(DARAJA).post(PUSH).delay(2_000).reply(200, stkAccepted());
    expect(await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 80_00 })).toEqual({
      ok: false,
      reason: 'payments_unavailable',
    });
    // the prompt did reach the phone, and the player paid
    const checkout = id('ws_CO_orphan_');
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 80, phone: player.msisdn }));
    expect((await h.callbacks('ref = $1', [checkout]))[0]).toMatchObject({ outcome: 'unmatched' });
    h.clock.advance(AFTER);
    expect(await h.module.reconcileOnce()).toMatchObject({ callbacksReplayed: 1 });
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', player_id: expect.anything() });
    expect(await h.wallet(player.id)).toBe(76_00);
    expect((await h.callbacks('ref = $1', [checkout]))[0]).toMatchObject({ outcome: 'applied' });
    await h.ledgerOk();
  });

  it('a timed-out push nobody claims fails quietly; a payment arriving later is still adopted', async () => {
    const player = await newPlayer(h.core);
    nock(DARAJA).post(PUSH).delay(2_000).reply(200, stkAccepted());
    await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 80_00 });
    h.clock.advance(AFTER);
    expect(await h.module.reconcileOnce()).toMatchObject({ depositsFailed: 1 });
    const { rows } = await h.t.db.query('SELECT state, result_code FROM deposits WHERE player_id = $1', [player.id]);
    expect(rows).toEqual([{ state: 'failed', result_code: 'no_response' }]);
    expect(await h.outbox(player.id, 'deposit_failed')).toHaveLength(0);

    const checkout = id('ws_CO_late_');
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 80, phone: player.msisdn }));
    h.clock.advance(AFTER);
    await h.module.reconcileOnce();
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', flag: 'paid_after_failure' });
    expect(await h.wallet(player.id)).toBe(76_00);
    await h.ledgerOk();
  });

  it('a payment for a push we never made is parked in suspense; a failure for one is ignored', async () => {
    const suspense = await h.system('suspense');
    const paid = id('ws_CO_stranger_');
    const failed = id('ws_CO_stranger_');
    await h.callback('stk/callback', stkSuccess({ checkout: paid, amount: 70, phone: '254711000000' }));
    await h.callback('stk/callback', stkFailure(failed, 1032));
    h.clock.advance(AFTER);
    expect(await h.module.reconcileOnce()).toMatchObject({ callbacksReplayed: 2 });
    expect((await h.callbacks('ref = $1', [paid]))[0]).toMatchObject({ outcome: 'suspense' });
    expect((await h.callbacks('ref = $1', [failed]))[0]).toMatchObject({ outcome: 'ignored' });
    expect(await h.system('suspense')).toBe(suspense + 70_00);
    // replays are done: nothing again
    expect(await h.module.reconcileOnce()).toMatchObject({ callbacksReplayed: 0 });
    await h.ledgerOk();
  });

  it('the in-process reconciler runs passes on its interval until stopped', async () => {
    const { player, checkout } = await pushed(40);
    h.clock.advance(AFTER);
    nock(DARAJA).post(QUERY).reply(200, queryAnswer('0'));
    const reconciler = startReconciler({
      core: h.core,
      client: h.module.client,
      payments: h.module.payments,
      logger: silent,
      afterMs: AFTER - 1_000,
      maxAttempts: 2,
      intervalMs: 50,
    });
    try {
      await eventually(async () => expect((await h.depositByCheckout(checkout)).state).toBe('credited'));
    } finally {
      await reconciler.stop();
    }
    expect(await h.wallet(player.id)).toBe(38_00);
    await h.ledgerOk();
  });

  it('a callback stored but never applied (we crashed mid-way) is applied by the next pass', async () => {
    const { player, checkout } = await pushed(60);
    await recordCallback(h.core.db, {
      kind: 'stk',
      ref: checkout,
      sourceIp: '196.201.214.200',
      body: JSON.stringify(stkSuccess({ checkout, amount: 60, phone: player.msisdn })),
      now: h.clock(),
    });
    h.clock.advance(AFTER);
    // the deposit is also due a query; the replayed callback resolves it first, so nothing is asked
    expect(await h.module.reconcileOnce()).toMatchObject({ callbacksReplayed: 1, depositsQueried: 0 });
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited' });
    expect(await h.wallet(player.id)).toBe(57_00);
    await h.ledgerOk();
  });
});

describeOnPostgres('reconciliation lock', (backend) => {
  it('a pass is skipped while another instance holds the lock', async () => {
    const h = await startPaymentsHarness(backend);
    const other = h.t.connect(1);
    try {
      await other.session(async (s) => {
        await s.query('SELECT pg_advisory_lock($1)', [RECONCILE_LOCK]);
        expect(await h.module.reconcileOnce()).toMatchObject({ ran: false });
        await s.query('SELECT pg_advisory_unlock($1)', [RECONCILE_LOCK]);
      });
      expect(await h.module.reconcileOnce()).toMatchObject({ ran: true });
    } finally {
      await h.close();
    }
  });
});
