/**
 * The Daraja client's token handling against nock standing in for Safaricom: one token cached and shared, one
 * refresh in flight however many requests wait, a refresh and one retry after 404.001.03.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDarajaClient, darajaTimestamp, DarajaError, stkPassword } from '../../src/adapters/payments/daraja-client.ts';
import { memoryTokenStore, parseExpiresIn, type TokenStore } from '../../src/adapters/payments/daraja-oauth.ts';
import { SANDBOX } from '../../src/adapters/payments/payments-module.ts';
import { DARAJA, envelope, stkAccepted } from './daraja-fixtures.ts';

const PUSH = '/mpesa/stkpush/v1/processrequest';
const push = { amount: 100, msisdn: '254708374149', accountReference: 'DEP1', description: 'Deposit', callbackUrl: 'https://bet.example.co.ke/payments/stk/callback/x' };

function client(clock: { now: number }, store?: TokenStore) {
  return createDarajaClient({
    baseUrl: DARAJA,
    consumerKey: 'key',
    consumerSecret: 'secret',
    shortcode: SANDBOX.shortcode,
    passkey: SANDBOX.passkey,
    transactionType: 'paybill',
    timeoutMs: 2_000,
    now: () => clock.now,
    tokenStore: store,
  });
}

/** each OAuth call answers the next token of `tokens`, after `delayMs` */
function oauth(tokens: string[], opts: { delayMs?: number; expiresIn?: unknown } = {}) {
  const seen: string[] = [];
  let n = 0;
  nock(DARAJA)
    .get('/oauth/v1/generate')
    .query({ grant_type: 'client_credentials' })
    .times(tokens.length)
    .delay(opts.delayMs ?? 0)
    .reply(function () {
      seen.push(String(this.req.headers.authorization));
      return [200, { access_token: tokens[n++], expires_in: opts.expiresIn ?? '3599' }];
    });
  return seen;
}

/** STK pushes answered by `answer(bearer)`; returns the bearers seen */
function pushes(times: number, answer: (bearer: string) => [number, unknown]) {
  const bearers: string[] = [];
  nock(DARAJA)
    .post(PUSH)
    .times(times)
    .reply(function () {
      const bearer = String(this.req.headers.authorization);
      bearers.push(bearer);
      return answer(bearer);
    });
  return bearers;
}

describe('Daraja OAuth', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => nock.enableNetConnect());

  it('asks for a token with Basic auth once and reuses it for every request', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    const basic = oauth(['tok-1']);
    const bearers = pushes(3, () => [200, stkAccepted()]);
    const c = client(clock);
    for (let i = 0; i < 3; i++) await c.stkPush(push);
    expect(basic).toEqual([`Basic ${Buffer.from('key:secret').toString('base64')}`]);
    expect(bearers).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
    expect(nock.isDone()).toBe(true);
  });

  it('makes one refresh for twenty concurrent requests', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    const basic = oauth(['tok-1'], { delayMs: 100 });
    const bearers = pushes(20, () => [200, stkAccepted()]);
    const c = client(clock);
    await Promise.all(Array.from({ length: 20 }, () => c.stkPush(push)));
    expect(basic).toHaveLength(1);
    expect(new Set(bearers)).toEqual(new Set(['Bearer tok-1']));
  });

  it('refreshes about a minute before expiry, with expires_in sent as a string', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    oauth(['tok-1', 'tok-2'], { expiresIn: '3599' });
    const bearers = pushes(3, () => [200, stkAccepted()]);
    const c = client(clock);
    await c.stkPush(push);
    clock.now += 3_500_000; // 58 minutes 20 s: still more than a minute left
    await c.stkPush(push);
    clock.now += 60_000; // now inside the last minute
    await c.stkPush(push);
    expect(bearers).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('on 404.001.03 refreshes once and retries once', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    oauth(['tok-1', 'tok-2']);
    const bearers = pushes(2, (b) => (b === 'Bearer tok-1' ? [404, envelope('404.001.03', 'Invalid Access Token')] : [200, stkAccepted('ws_CO_ok')]));
    const reply = await client(clock).stkPush(push);
    expect(reply.checkoutRequestId).toBe('ws_CO_ok');
    expect(bearers).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(nock.isDone()).toBe(true);
  });

  it('ten requests refused with the same stale token share one refresh', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    const basic = oauth(['tok-1', 'tok-2'], { delayMs: 50 });
    const bearers = pushes(20, (b) => (b === 'Bearer tok-1' ? [404, envelope('404.001.03')] : [200, stkAccepted()]));
    const c = client(clock);
    await c.stkPush(push); // tok-1 refused, tok-2 works
    expect(basic).toHaveLength(2);
    await Promise.all(Array.from({ length: 9 }, () => c.stkPush(push)));
    expect(basic).toHaveLength(2);
    expect(bearers.filter((b) => b === 'Bearer tok-2')).toHaveLength(10);
  });

  it('concurrent requests refused together trigger exactly one refresh', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    const c = client(clock);
    oauth(['tok-1']);
    pushes(1, () => [200, stkAccepted()]);
    await c.stkPush(push); // tok-1 cached
    // tok-1 is now knocked out (another instance got a new token): every one of five concurrent calls is refused once
    const basic = oauth(['tok-2'], { delayMs: 50 });
    const bearers = pushes(10, (b) => (b === 'Bearer tok-1' ? [404, envelope('404.001.03')] : [200, stkAccepted()]));
    await Promise.all(Array.from({ length: 5 }, () => c.stkPush(push)));
    expect(basic).toHaveLength(1);
    expect(bearers.filter((b) => b === 'Bearer tok-1')).toHaveLength(5);
    expect(bearers.filter((b) => b === 'Bearer tok-2')).toHaveLength(5);
  });

  it('gives up after the one retry: a second 404.001.03 is an auth error', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    oauth(['tok-1', 'tok-2']);
    const bearers = pushes(2, () => [404, envelope('404.001.03')]);
    const err = await client(clock).stkPush(push).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DarajaError);
    expect(err).toMatchObject({ kind: 'auth', errorCode: '404.001.03' });
    expect(bearers).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('a refused OAuth request is an auth error, not an outage', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    nock(DARAJA).get('/oauth/v1/generate').query(true).reply(400, envelope('400.008.01', 'Invalid Authentication passed'));
    await expect(client(clock).stkPush(push)).rejects.toMatchObject({ kind: 'auth' });
  });

  it('instances sharing a token store share the token', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 9, 0, 0) };
    const store = memoryTokenStore();
    const basic = oauth(['tok-1']);
    const bearers = pushes(2, () => [200, stkAccepted()]);
    await client(clock, store).stkPush(push);
    await client(clock, store).stkPush(push);
    expect(basic).toHaveLength(1);
    expect(bearers).toEqual(['Bearer tok-1', 'Bearer tok-1']);
  });

  it('sends the STK password and timestamp in Nairobi time', async () => {
    const clock = { now: Date.UTC(2026, 10, 25, 21, 30, 5) };
    oauth(['tok-1']);
    let body: any;
    nock(DARAJA)
      .post(PUSH, (b) => {
        body = b;
        return true;
      })
      .reply(200, stkAccepted());
    await client(clock).stkPush({ ...push, accountReference: 'DEP123456789012', description: 'Deposit to wallet' });
    expect(body).toMatchObject({
      BusinessShortCode: '174379',
      Timestamp: '20261126003005',
      Password: stkPassword('174379', SANDBOX.passkey, '20261126003005'),
      TransactionType: 'CustomerPayBillOnline',
      Amount: 100,
      PartyA: '254708374149',
      PartyB: '174379',
      PhoneNumber: '254708374149',
      AccountReference: 'DEP123456789',
      TransactionDesc: 'Deposit to wa',
    });
    expect(darajaTimestamp(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe('20260101030000');
  });

  it('reads expires_in as a number or a string', () => {
    expect(parseExpiresIn(3599)).toBe(3599);
    expect(parseExpiresIn('3599')).toBe(3599);
    expect(parseExpiresIn(' 120 ')).toBe(120);
    expect(parseExpiresIn('soon')).toBe(3599);
    expect(parseExpiresIn(undefined)).toBe(3599);
  });
});
