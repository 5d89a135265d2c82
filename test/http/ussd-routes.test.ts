/**
 * The USSD HTTP edge, machine-agnostic: validation, retries, the hop log, session-end notifications, readiness and a
 * dead Redis. Runs the real app over HTTP on every database backend × session store.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import { appVariants, startTestApp, type TestApp } from '../support/app.ts';
import { newPlayer } from '../support/core.ts';

const hopForm = (overrides: Record<string, string> = {}) => ({
  sessionId: `ATUid_routes_${Math.random().toString(36).slice(2)}`,
  serviceCode: '*290*290#',
  phoneNumber: '+254712300001',
  networkCode: '63902',
  text: '',
  ...overrides,
});

describe.each(appVariants)('USSD routes on $name', (variant) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(variant);
  });
  afterAll(() => app.close());

  it('answers a hop with 200 text/plain CON/END', async () => {
    const res = await app.post(hopForm());
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^(CON|END) \S/);
  });

  it.each([
    ['sessionId missing', { sessionId: undefined }, /sessionId: missing/],
    ['sessionId blank', { sessionId: '  ' }, /sessionId: empty/],
    ['serviceCode missing', { serviceCode: undefined }, /serviceCode: missing/],
    ['phoneNumber missing', { phoneNumber: undefined }, /phoneNumber: missing/],
    ['phoneNumber not Kenyan', { phoneNumber: '+15551234567' }, /phoneNumber: not a Kenyan mobile number/],
    ['networkCode not digits', { networkCode: 'safaricom' }, /networkCode: must be digits/],
    ['text too long', { text: '1*'.repeat(600) }, /text: longer than 1000/],
    ['text with a NUL', { text: '1*\u00002' }, /text: contains control characters/],
  ])('rejects a malformed hop with 400 and the reason: %s', async (_label, overrides, reason) => {
    const form = Object.fromEntries(
      Object.entries({ ...hopForm(), ...overrides }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const res = await app.post(form);
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as { error: string; message: string };
    expect(body.error).toBe('invalid_request');
    expect(body.message).toMatch(reason);
  });

  it('rejects a body that is not form-encoded (415) or too large (413)', async () => {
    const json = await fetch(`${app.url}/ussd/africastalking`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hopForm()),
    });
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ error: 'unsupported_media_type' });
    const big = await app.post({ ...hopForm(), padding: 'x'.repeat(10_000) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('serves the hop path in front of Koa: GET gets a 405 JSON, a query string still reaches the hop', async () => {
    const get = await fetch(`${app.url}/ussd/africastalking`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect(await get.json()).toEqual({ error: 'method_not_allowed', message: '/ussd/africastalking accepts POST only' });
    const tagged = await fetch(`${app.url}/ussd/africastalking?via=ke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(hopForm()),
    });
    expect([tagged.status, (await tagged.text()).slice(0, 4)]).toEqual([200, 'CON ']);
  });

  it('answers an aggregator retry with the same body, and logs each handled hop to PostgreSQL once', async () => {
    const form = hopForm({ phoneNumber: '0712300002' });
    const first = await app.post(form);
    const retry = await app.post(form);
    expect(retry).toEqual(first);
    const second = await app.post({ ...form, text: '9' });
    expect(second.status).toBe(200);
    await app.drain();
    const { rows } = await app.db.db.query<Record<string, unknown>>(
      'SELECT seq, phone, network, service_code, text, input, reply, state, latency_ms FROM ussd_hops WHERE session_id = $1 ORDER BY seq',
      [form.sessionId],
    );
    expect(rows).toEqual([
      expect.objectContaining({ seq: 1, phone: '254712300002', network: '63902', service_code: '*290*290#', text: '', input: '', reply: first.body }),
      expect.objectContaining({ seq: 2, text: '9', input: '9', reply: second.body }),
    ]);
    for (const r of rows) {
      expect(typeof r.state === 'string' && r.state.length > 0).toBe(true);
      expect(r.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('stores a session-end notification once, however often it is re-posted', async () => {
    const form = {
      date: '2026-11-25 15:04:05',
      sessionId: `ATUid_end_${Math.random().toString(36).slice(2)}`,
      serviceCode: '*290*290#',
      networkCode: '63902',
      phoneNumber: '+254712300003',
      status: 'Success',
      cost: 'KES 0.10',
      durationInMillis: '23450',
      hopsCount: '4',
      input: '1*1*100*1',
      lastAppResponse: 'END Bet placed',
      errorMessage: '',
    };
    expect(await app.postEnd(form)).toMatchObject({ status: 200, body: 'OK' });
    expect((await app.postEnd(form)).status).toBe(200);
    const { rows } = await app.db.db.query<Record<string, unknown>>(
      'SELECT session_id, phone, status, cost, duration_ms, hops_count, input, last_app_response, reported_date FROM ussd_session_ends WHERE session_id = $1',
      [form.sessionId],
    );
    expect(rows).toHaveLength(1);
    expect({ ...rows[0], duration_ms: Number(rows[0]!.duration_ms) }).toEqual({
      session_id: form.sessionId,
      phone: '254712300003',
      status: 'Success',
      cost: 'KES 0.10',
      duration_ms: 23450,
      hops_count: 4,
      input: '1*1*100*1',
      last_app_response: 'END Bet placed',
      reported_date: '2026-11-25 15:04:05',
    });
  });

  it('lets go of the session it kept once AT reports it ended; a late hop is still answered from the store', async () => {
    const form = hopForm();
    const first = await app.post(form);
    expect(first.body).toMatch(/^CON /);
    const peek = async () => {
      const s = await app.store.open(form.sessionId, form.phoneNumber);
      await s!.release();
      return s!.record;
    };
    const kept = await peek();
    expect(await peek()).toBe(kept);
    expect(await app.postEnd({ sessionId: form.sessionId, phoneNumber: form.phoneNumber, status: 'Incomplete' })).toMatchObject({ status: 200 });
    const read = await peek();
    expect(read).not.toBe(kept);
    expect(read).toEqual(kept);
    expect((await app.post(form)).body).toBe(first.body);
  });

  it('rejects a malformed session-end notification with the reason', async () => {
    const res = await app.postEnd({ sessionId: 'ATUid_x', phoneNumber: '+254712300004', status: 'Maybe' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/status: must be Incomplete, Success or Failed/);
  });

  it('answers a session-end notification carrying a NUL with 400, not a server error AT would re-post', async () => {
    const res = await app.postEnd({ sessionId: 'ATUid_nul', phoneNumber: '+254712300004', status: 'Failed', input: '1\u0000' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/input: contains control characters/);
  });

  it('reports the session store on /readyz', async () => {
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: true, sessions: true } });
  });
});

describe('USSD routes when Redis is unreachable', () => {
  let app: TestApp;
  let client: Redis;
  beforeAll(async () => {
    client = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 200,
      retryStrategy: () => 1_000,
    });
    client.on('error', () => undefined);
    app = await startTestApp(appVariants[0]!, { store: new RedisSessionStore(client, { prefix: 'test:dead:' }) });
  });
  afterAll(async () => {
    await app.close();
    client.disconnect();
  });

  it('answers 200 END busy at once and moves no money', async () => {
    const player = await newPlayer(app.core, 500_00);
    const before = await app.db.db.query<{ n: unknown }>('SELECT count(*) AS n FROM transfers');
    const started = Date.now();
    // a whole slip in one batched text: had anything run, it would have tried to place a bet
    const res = await app.post(hopForm({ phoneNumber: player.msisdn, text: '1*1*1*1*1*100*1' }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res).toMatchObject({ status: 200, body: 'END Service busy, please try again shortly.' });
    const after = await app.db.db.query<{ n: unknown }>('SELECT count(*) AS n FROM transfers');
    expect(Number(after.rows[0]!.n)).toBe(Number(before.rows[0]!.n));
    // nothing reached the store, and the drainer cannot read it either
    await expect(app.drain()).rejects.toThrow();
  });

  it('reports the store down on /readyz (503)', async () => {
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', checks: { database: true, sessions: false } });
  });
});
