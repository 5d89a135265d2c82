/**
 * Deposits by STK push: the real payments module and Daraja client against nock standing in for Safaricom, and the
 * callbacks posted over HTTP to the real routes. After each scenario the ledger adds up and balances are exact.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newPlayer } from '../support/core.ts';
import { backends } from '../support/databases.ts';
import { envelope, id, mpesaReceipt, stkAccepted, stkFailure, stkSuccess, DARAJA } from './daraja-fixtures.ts';
import { darajaTokens, interceptPost, startPaymentsHarness, TOKEN, type PaymentsHarness } from './payments-harness.ts';

const PUSH = '/mpesa/stkpush/v1/processrequest';

describe.each(backends)('STK deposits on $name', (backend) => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1/);
    h = await startPaymentsHarness(backend, { env: { MPESA_BREAKER_FAILURES: '100', MPESA_TIMEOUT_MS: '600' } });
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

  /** a player with an accepted STK push for `shillings`; returns the player, the CheckoutRequestID and the push body */
  async function pushed(shillings: number) {
    const player = await newPlayer(h.core);
    const checkout = id('ws_CO_');
    const seen = interceptPost(PUSH, 200, stkAccepted(checkout));
    const res = await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: shillings * 100 });
    expect(res).toEqual({ ok: true, value: { reference: checkout } });
    return { player, checkout, push: seen[0]!.body };
  }

  it('records the deposit, pushes the prompt, and a success callback credits the wallet once', async () => {
    const clearing = await h.system('mpesa_clearing');
    const { player, checkout, push } = await pushed(100);
    const dep = await h.depositByCheckout(checkout);
    expect(dep).toMatchObject({ state: 'pending', msisdn: player.msisdn });
    expect(push).toMatchObject({
      Amount: 100,
      PartyA: player.msisdn,
      PhoneNumber: player.msisdn,
      PartyB: '174379',
      TransactionType: 'CustomerPayBillOnline',
      CallBackURL: `https://bet.example.co.ke/payments/stk/callback/${TOKEN}`,
      AccountReference: `DEP${dep.id}`,
    });

    const receipt = mpesaReceipt();
    const first = await h.callback('stk/callback', stkSuccess({ checkout, amount: 100.0, phone: player.msisdn, receipt, shuffle: true }));
    expect(first).toEqual({ status: 200, body: { ResultCode: 0, ResultDesc: 'Accepted' } });
    expect(await h.wallet(player.id)).toBe(95_00); // 5% excise
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', receipt, credit_key: receipt, result_code: '0' });
    const sms = await h.outbox(player.id, 'deposit_credited');
    expect(sms).toHaveLength(1);
    expect(sms[0]!.params).toMatchObject({ receipt, amount: 100_00, excise: 5_00, credited: 95_00 });

    // the same callback again, and late: nothing changes
    expect((await h.callback('stk/callback', stkSuccess({ checkout, amount: 100, phone: player.msisdn, receipt }))).status).toBe(200);
    expect(await h.wallet(player.id)).toBe(95_00);
    expect(await h.outbox(player.id, 'deposit_credited')).toHaveLength(1);
    expect((await h.callbacks('ref = $1', [checkout])).map((c) => c.outcome)).toEqual(['applied', 'duplicate']);
    expect(await h.system('mpesa_clearing')).toBe(clearing - 100_00);
    await h.ledgerOk();
  });

  it.each([
    [1, 'Not enough money in your M-Pesa'],
    [1032, 'You cancelled the M-Pesa request'],
    [1037, 'Your phone could not be reached'],
    [2001, 'Wrong M-Pesa PIN'],
    ['1032', 'You cancelled the M-Pesa request'],
    ['SFC_IC0003', 'M-Pesa refused the request'],
    [1019, 'The M-Pesa request expired before you answered'],
    [9999, 'M-Pesa could not send the request to your phone'],
  ])('result code %s fails the deposit and queues one deposit_failed SMS: "%s"', async (code, reason) => {
    const { player, checkout } = await pushed(250);
    expect((await h.callback('stk/callback', stkFailure(checkout, code, 'whatever Safaricom says'))).status).toBe(200);
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'failed', result_code: String(code), result_desc: 'whatever Safaricom says' });
    await h.callback('stk/callback', stkFailure(checkout, code));
    const sms = await h.outbox(player.id, 'deposit_failed');
    expect(sms).toHaveLength(1);
    expect(sms[0]!.params).toMatchObject({ amount: 250_00, code: String(code), reason });
    expect(await h.wallet(player.id)).toBe(0);
    await h.ledgerOk();
  });

  it('a success after a failure for the same checkout still credits (M-Pesa took the money), flagged', async () => {
    const { player, checkout } = await pushed(300);
    await h.callback('stk/callback', stkFailure(checkout, 1037, 'DS timeout user cannot be reached'));
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 300, phone: player.msisdn }));
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', flag: 'paid_after_failure' });
    expect(await h.wallet(player.id)).toBe(285_00);
    expect(await h.outbox(player.id, 'deposit_failed')).toHaveLength(1);
    expect(await h.outbox(player.id, 'deposit_credited')).toHaveLength(1);
    await h.ledgerOk();
  });

  it('a failure after a success changes nothing', async () => {
    const { player, checkout } = await pushed(300);
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 300, phone: player.msisdn }));
    expect((await h.callback('stk/callback', stkFailure(checkout, 1032))).status).toBe(200);
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', flag: null });
    expect(await h.outbox(player.id, 'deposit_failed')).toHaveLength(0);
    expect(await h.wallet(player.id)).toBe(285_00);
    await h.ledgerOk();
  });

  it('a callback that arrives before the push reply is recorded is applied once the reply is', async () => {
    const player = await newPlayer(h.core);
    const checkout = id('ws_CO_early_');
    const receipt = mpesaReceipt();
    let early: { status: number } | undefined;
    nock(DARAJA)
      .post(PUSH)
      .reply(async () => {
        // Safaricom's callback overtakes its own reply
        early = await h.callback('stk/callback', stkSuccess({ checkout, amount: 120, phone: player.msisdn, receipt }));
        return [200, stkAccepted(checkout)];
      });
    const res = await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 120_00 });
    expect(res.ok).toBe(true);
    expect(early?.status).toBe(200);
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'credited', receipt });
    expect(await h.wallet(player.id)).toBe(114_00);
    expect((await h.callbacks('ref = $1', [checkout])).map((c) => c.outcome)).toEqual(['applied']);
    await h.ledgerOk();
  });

  it('an amount that differs from the push is parked in suspense, not credited, and flagged', async () => {
    const suspense = await h.system('suspense');
    const { player, checkout } = await pushed(100);
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 1000, phone: player.msisdn }));
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'unresolved', flag: 'amount_mismatch', paid_amount: expect.anything() });
    expect(Number((await h.depositByCheckout(checkout)).paid_amount)).toBe(1000_00);
    expect(await h.wallet(player.id)).toBe(0);
    expect(await h.system('suspense')).toBe(suspense + 1000_00);
    // neither a repeat nor a "correct" one moves more money
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 1000, phone: player.msisdn }));
    await h.callback('stk/callback', stkSuccess({ checkout, amount: 100, phone: player.msisdn }));
    expect(await h.system('suspense')).toBe(suspense + 1000_00);
    expect(await h.wallet(player.id)).toBe(0);
    const { rows } = await h.t.db.query('SELECT source, amount FROM payment_suspense WHERE ref = $1', [checkout]);
    expect(rows).toEqual([{ source: 'stk_mismatch', amount: expect.anything() }]);
    await h.ledgerOk();
  });

  it('another phone is parked in suspense; a masked phone that matches is credited', async () => {
    const a = await pushed(100);
    await h.callback('stk/callback', stkSuccess({ checkout: a.checkout, amount: 100, phone: '254799999999' }));
    expect(await h.depositByCheckout(a.checkout)).toMatchObject({ state: 'unresolved', flag: 'phone_mismatch' });
    expect(await h.wallet(a.player.id)).toBe(0);

    const b = await pushed(100);
    const masked = `${b.player.msisdn.slice(0, 4)}****${b.player.msisdn.slice(-3)}`;
    await h.callback('stk/callback', stkSuccess({ checkout: b.checkout, amount: 100, phone: masked }));
    expect(await h.depositByCheckout(b.checkout)).toMatchObject({ state: 'credited' });
    expect(await h.wallet(b.player.id)).toBe(95_00);
    await h.ledgerOk();
  });

  it('a wrong token is a 404: nothing stored, nothing applied', async () => {
    const { player, checkout } = await pushed(100);
    const before = (await h.callbacks()).length;
    const res = await h.post(`/payments/stk/callback/not-the-token`, stkSuccess({ checkout, amount: 100, phone: player.msisdn }));
    expect(res.status).toBe(404);
    expect((await h.callbacks()).length).toBe(before);
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'pending' });
    expect(await h.wallet(player.id)).toBe(0);
  });

  it('a malformed body is a 400: stored as received, marked malformed, nothing applied', async () => {
    const { player, checkout } = await pushed(100);
    const bad = await h.callback('stk/callback', `{"Body":{"stkCallback":{"CheckoutRequestID":"${checkout}",`);
    expect(bad.status).toBe(400);
    const noCode = await h.callback('stk/callback', { Body: { stkCallback: { CheckoutRequestID: checkout, ResultDesc: 'x' } } });
    expect(noCode.status).toBe(400);
    expect(noCode.body.message).toMatch(/ResultCode/);
    const empty = await h.callback('stk/callback', '');
    expect(empty.status).toBe(400);
    const stored = await h.callbacks(`outcome = 'malformed' AND body LIKE $1`, [`%${checkout}%`]);
    expect(stored).toHaveLength(2);
    expect(await h.depositByCheckout(checkout)).toMatchObject({ state: 'pending' });
    expect(await h.wallet(player.id)).toBe(0);
  });

  it('a body over the size limit is refused with 413', async () => {
    const res = await h.callback('stk/callback', { pad: 'x'.repeat(70 * 1024) });
    expect(res.status).toBe(413);
  });

  it('a callback for a push we never made is stored as unmatched and answered 200', async () => {
    const checkout = id('ws_CO_unknown_');
    const res = await h.callback('stk/callback', stkSuccess({ checkout, amount: 50, phone: '254708374149' }));
    expect(res.status).toBe(200);
    expect((await h.callbacks('ref = $1', [checkout])).map((c) => c.outcome)).toEqual(['unmatched']);
    await h.ledgerOk();
  });

  it.each([
    ['spike arrest', 500, envelope('500.003.02', 'Spike arrest violation'), 'payments_busy', 'failed'],
    ['quota', 500, envelope('500.003.03', 'Quota violation'), 'payments_busy', 'failed'],
    ['a prompt already open', 500, envelope('500.001.1001', 'Unable to lock subscriber, a transaction is already in process for the current subscriber'), 'payments_busy', 'failed'],
    ['HTTP 429', 429, 'Too Many Requests', 'payments_busy', 'failed'],
    ['an outage (503)', 503, '<html>Service Unavailable</html>', 'payments_unavailable', 'failed'],
    ['a bad request', 400, envelope('400.002.02', 'Bad Request - Invalid PhoneNumber'), 'payments_unavailable', 'failed'],
    ['a product not enabled', 401, envelope('401.003.01', 'Error Occurred - Invalid Access Token - product not enabled'), 'payments_unavailable', 'failed'],
    ['a non-zero ResponseCode', 200, { ...stkAccepted(), ResponseCode: '1', ResponseDescription: 'Rejected' }, 'payments_unavailable', 'failed'],
  ])('a push refused with %s answers %s and fails the deposit row', async (_what, status, body, refusal, state) => {
    const player = await newPlayer(h.core);
    nock(DARAJA)
      .post(PUSH)
      .reply(status, typeof body === 'string' ? body : JSON.stringify(body));
    const res = await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 100_00 });
    expect(res).toEqual({ ok: false, reason: refusal });
    const { rows } = await h.t.db.query<{ state: string; checkout_request_id: string | null }>(
      'SELECT state, checkout_request_id FROM deposits WHERE player_id = $1',
      [player.id],
    );
    expect(rows).toEqual([{ state, checkout_request_id: null }]);
    // the player saw the refusal on the screen: no SMS
    expect(await h.outbox(player.id, 'deposit_failed')).toHaveLength(0);
  });

  it('a push that gets no answer in time answers payments_unavailable quickly and leaves the row pending', async () => {
    const player = await newPlayer(h.core);
    nock(DARAJA).post(PUSH).delay(3_000).reply(200, stkAccepted());
    const started = Date.now();
    const res = await h.module.port.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: 100_00 });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(res).toEqual({ ok: false, reason: 'payments_unavailable' });
    const { rows } = await h.t.db.query('SELECT state, result_code, checkout_request_id FROM deposits WHERE player_id = $1', [player.id]);
    expect(rows).toEqual([{ state: 'pending', result_code: 'no_response', checkout_request_id: null }]);
  });
});
