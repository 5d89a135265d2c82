/**
 * While Daraja fails, the circuit opens: deposits answer "payments unavailable" at once without a request (and
 * without a deposit row), payouts wait for reconciliation; after the cool-down one trial request decides.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getWithdrawal, reserveWithdrawal } from '../../src/core/wallet.ts';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { conversationAccepted, DARAJA, envelope, id, stkAccepted } from './daraja-fixtures.ts';
import { darajaTokens, interceptPost, startPaymentsHarness, type PaymentsHarness } from './payments-harness.ts';

const PUSH = '/mpesa/stkpush/v1/processrequest';

describe.each(backends)('Daraja outage on $name', (backend) => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1/);
    h = await startPaymentsHarness(backend, { env: { MPESA_BREAKER_FAILURES: '3', MPESA_BREAKER_OPEN_MS: '30000' } });
    darajaTokens();
  });
  afterEach(() => {
    nock.abortPendingRequests();
  });
  afterAll(async () => {
    nock.cleanAll();
    await h?.close();
    nock.enableNetConnect();
  });

  const rows = async (playerId: number) =>
    (await h.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM deposits WHERE player_id = $1', [playerId])).rows[0]!.n;

  it('opens after consecutive failures, fails fast while open, and closes after a good trial', async () => {
    const player = await newPlayer(h.core);
    const deposit = () => h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 100_00 });

    // a customer with a prompt open is not an outage: it does not count
    interceptPost(PUSH, 500, envelope('500.001.1001', 'Unable to lock subscriber'));
    expect(await deposit()).toEqual({ ok: false, reason: 'payments_busy' });
    nock(DARAJA).post(PUSH).times(3).reply(503, 'Service Unavailable');
    for (let i = 0; i < 3; i++) expect(await deposit()).toEqual({ ok: false, reason: 'payments_unavailable' });
    expect(h.module.client.circuit()).toBe('open');
    expect(nock.isDone()).toBe(true);

    // open: no request leaves (nothing is intercepted, and net connect is off) and no row is written
    const before = await rows(player.id);
    const started = Date.now();
    expect(await deposit()).toEqual({ ok: false, reason: 'payments_unavailable' });
    expect(Date.now() - started).toBeLessThan(200);
    expect(await rows(player.id)).toBe(before);

    // a payout during the outage is kept for reconciliation, not refunded
    const rich = await newPlayer(h.core, 1000_00);
    const w = await reserveWithdrawal(h.core, { playerId: rich.id, amount: 100_00, key: id('wd-'), now: h.clock() });
    if (!w.ok) throw new Error(w.reason);
    await h.module.port.startPayout({ withdrawalId: w.value.id, msisdn: rich.msisdn, amount: w.value.net });
    const payout = await h.t.db.query('SELECT state, result_code FROM payouts WHERE withdrawal_id = $1', [w.value.id]);
    expect(payout.rows).toEqual([{ state: 'pending', result_code: 'circuit_open' }]);
    expect(await getWithdrawal(h.core.db, w.value.id)).toMatchObject({ state: 'reserved' });

    // after the cool-down: one trial; a good one closes the circuit
    h.ms.now += 30_000;
    expect(h.module.client.circuit()).toBe('half_open');
    const checkout = id('ws_CO_');
    interceptPost(PUSH, 200, stkAccepted(checkout));
    expect(await deposit()).toEqual({ ok: true, value: { reference: checkout } });
    expect(h.module.client.circuit()).toBe('closed');

    // and reconciliation now sends the payout that waited
    h.clock.advance(121_000);
    interceptPost('/mpesa/b2c/v3/paymentrequest', 200, conversationAccepted(String(w.value.id)));
    expect(await h.module.reconcileOnce()).toMatchObject({ payoutsResent: 1 });
    expect((await h.t.db.query('SELECT state FROM payouts WHERE withdrawal_id = $1', [w.value.id])).rows).toEqual([{ state: 'accepted' }]);
  });

  it('a failed trial opens the circuit again', async () => {
    const player = await newPlayer(h.core);
    const deposit = () => h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 100_00 });
    nock(DARAJA).post(PUSH).times(3).reply(502, 'Bad Gateway');
    for (let i = 0; i < 3; i++) await deposit();
    expect(h.module.client.circuit()).toBe('open');
    h.ms.now += 30_000;
    nock(DARAJA).post(PUSH).reply(504, 'Gateway Timeout');
    expect(await deposit()).toEqual({ ok: false, reason: 'payments_unavailable' });
    expect(h.module.client.circuit()).toBe('open');
    h.ms.now += 30_000;
    interceptPost(PUSH, 200, stkAccepted());
    expect((await deposit()).ok).toBe(true);
    expect(h.module.client.circuit()).toBe('closed');
  });
});
