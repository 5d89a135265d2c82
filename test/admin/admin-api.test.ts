/**
 * The support API over HTTP against sessions driven through the real USSD endpoint: access (401/403), the audit log,
 * sessions, players, bets, events, and the rerun of a session on today's menus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHops } from '../../src/adapters/admin/session-log.ts';
import { createRerunner } from '../../src/adapters/admin/rerunner.ts';
import { formatRerun, formatSession, rerunSession } from '../../src/adapters/admin/session-rerun.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { newPlayer } from '../support/core.ts';
import { openRound } from '../support/events.ts';
import { ADMIN_ENV, adminGet, adminVariants, betInputs, FINANCE_TOKEN, SUPPORT_TOKEN } from './support.ts';

describe.each(adminVariants)('admin API on $name', (variant) => {
  let app: TestApp;
  let msisdn: string;
  let betSession: string;
  let droppedSession: string;
  let idleSession: string;
  let reference: string;
  let eventId: number;

  beforeAll(async () => {
    app = await startTestApp(variant, { env: ADMIN_ENV });
    const events = await openRound(app.core, 'football', 10 * 60_000);
    eventId = events[0]!.id;
    const player = await newPlayer(app.core, 1_000_00);
    msisdn = player.msisdn;

    // 1: a full bet, ended by our END
    const d = app.dial(`+${msisdn}`);
    await d.start();
    let last = await d.send(betInputs('100')[0]!);
    for (const input of betInputs('100').slice(1)) {
      app.clock.advance(1_500);
      last = await d.send(input);
    }
    expect(last.body).toMatch(/^END Bet (B[0-9A-Z]{5}) placed/);
    reference = /^END Bet (B[0-9A-Z]{5})/.exec(last.body)![1]!;
    betSession = d.sessionId;

    // 2: a balance check the aggregator ended (the player hung up)
    app.clock.advance(60_000);
    const d2 = app.dial(msisdn);
    await d2.start();
    await d2.send('2');
    await app.postEnd({ sessionId: d2.sessionId, phoneNumber: `+${msisdn}`, status: 'Incomplete', serviceCode: '*290*290#' });
    droppedSession = d2.sessionId;

    // 3: left on the main menu, never heard of again
    app.clock.advance(60_000);
    const d3 = app.dial(msisdn);
    await d3.start();
    idleSession = d3.sessionId;
    await app.drain();
    app.clock.advance(10 * 60_000);
  });
  afterAll(() => app.close());

  describe('access', () => {
    it('answers 401 JSON without a token', async () => {
      const res = await adminGet(app, `/admin/players/${msisdn}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('answers 401 with a wrong token, even one that shares a prefix with a real one', async () => {
      expect((await adminGet(app, `/admin/players/${msisdn}`, 'nope')).status).toBe(401);
      expect((await adminGet(app, `/admin/players/${msisdn}`, `${SUPPORT_TOKEN}x`)).status).toBe(401);
      expect((await adminGet(app, `/admin/players/${msisdn}`, SUPPORT_TOKEN.slice(0, -1))).status).toBe(401);
    });

    it('answers 403 when the support role asks for a finance view', async () => {
      const res = await adminGet(app, `/admin/players/${msisdn}/statement`, SUPPORT_TOKEN);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'forbidden' });
      const ok = await adminGet(app, `/admin/players/${msisdn}/statement`, FINANCE_TOKEN);
      expect(ok.status).toBe(200);
      expect(ok.body.lines.length).toBeGreaterThanOrEqual(2);
    });

    it('writes an audit row for every admin read: who, what, when, status', async () => {
      const before = app.clock();
      await adminGet(app, `/admin/sessions/${betSession}`, SUPPORT_TOKEN);
      await adminGet(app, `/admin/players/${msisdn}/statement`, SUPPORT_TOKEN);
      const { rows } = await app.db.db.query<Record<string, unknown>>(
        `SELECT actor, role, method, path, resource, status, at FROM admin_audit WHERE actor = 'alice' AND at >= $1 ORDER BY id`,
        [before],
      );
      expect(rows.slice(-2).map((r) => ({ ...r, at: new Date(r.at as string).getTime() }))).toEqual([
        { actor: 'alice', role: 'support', method: 'GET', path: `/admin/sessions/${betSession}`, resource: `session:${betSession}`, status: 200, at: before.getTime() },
        { actor: 'alice', role: 'support', method: 'GET', path: `/admin/players/${msisdn}/statement`, resource: null, status: 403, at: before.getTime() },
      ]);
    });

    it('serves the admin page without a token', async () => {
      const res = await adminGet(app, '/admin/');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.body).toContain('sessionStorage');
      expect(res.body).not.toContain('innerHTML');
    });
  });

  describe('sessions', () => {
    it('lists the phone sessions newest first with how each ended, by any phone format', async () => {
      for (const phone of [`0${msisdn.slice(3)}`, msisdn, `+${msisdn}`]) {
        const res = await adminGet(app, `/admin/sessions?phone=${encodeURIComponent(phone)}`, SUPPORT_TOKEN);
        expect(res.status).toBe(200);
        expect(res.body.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual([idleSession, droppedSession, betSession]);
      }
      const { body } = await adminGet(app, `/admin/sessions?phone=${msisdn}`, SUPPORT_TOKEN);
      const [idle, dropped, bet] = body.sessions;
      expect(bet).toMatchObject({ network: '63902', hops: 9, ending: { how: 'end_by_us' } });
      expect(bet.lastScreen).toMatch(/^END Bet B/);
      expect(dropped).toMatchObject({ hops: 2, ending: { how: 'aggregator_end', status: 'Incomplete' } });
      expect(idle).toMatchObject({ hops: 1, ending: { how: 'timeout' } });
      expect(idle.lastScreen).toMatch(/Main menu/);
    });

    it('honours limit and the time window', async () => {
      const one = await adminGet(app, `/admin/sessions?phone=${msisdn}&limit=1`, SUPPORT_TOKEN);
      expect(one.body.sessions).toHaveLength(1);
      const none = await adminGet(app, `/admin/sessions?phone=${msisdn}&to=2000-01-01T00:00:00Z`, SUPPORT_TOKEN);
      expect(none.body.sessions).toEqual([]);
    });

    it('rejects a malformed phone or limit with 400 JSON naming the field', async () => {
      const res = await adminGet(app, '/admin/sessions?phone=12345&limit=0', SUPPORT_TOKEN);
      expect(res.status).toBe(400);
      expect(res.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['limit', 'phone']);
      expect((await adminGet(app, '/admin/sessions', SUPPORT_TOKEN)).status).toBe(400);
    });

    it('shows every hop of a session in order with input, raw text, screen, state and latency', async () => {
      const res = await adminGet(app, `/admin/sessions/${betSession}`, SUPPORT_TOKEN);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sessionId: betSession, phone: msisdn, ending: { how: 'end_by_us' } });
      const hops = res.body.hops;
      expect(hops.map((h: { seq: number }) => h.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(hops[0]).toMatchObject({ input: '', text: '', kind: 'CON' });
      expect(hops[0].screen).toMatch(/Main menu/);
      expect(hops[1]).toMatchObject({ input: '1', text: '1', kind: 'CON' });
      expect(hops[8]).toMatchObject({ input: '1', text: '1*1*1*1*1*2*100*1', kind: 'END' });
      for (const h of hops) {
        expect(typeof h.state).toBe('string');
        expect(h.latencyMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('answers 404 for an unknown session and 400 for a malformed id', async () => {
      expect((await adminGet(app, '/admin/sessions/ATUid_nothing_here', SUPPORT_TOKEN)).status).toBe(404);
      expect((await adminGet(app, `/admin/sessions/${encodeURIComponent('bad id!')}`, SUPPORT_TOKEN)).status).toBe(400);
    });
  });

  describe('players, bets, events', () => {
    it('shows the player: profile, limits, balance, bets, deposits with receipts, SMS; no statement for support', async () => {
      const res = await adminGet(app, `/admin/players/0${msisdn.slice(3)}`, SUPPORT_TOKEN);
      expect(res.status).toBe(200);
      const p = res.body;
      expect(p.profile).toMatchObject({ msisdn, status: 'active', language: 'en' });
      expect(p.exclusion).toEqual({ excludedUntil: null, selfExcluded: false });
      expect(p.limits).toMatchObject({ dailyDepositLimit: null, dailyStakeLimit: null });
      expect(p.balance).toMatchObject({ balance: 850_00, openBets: 1, openStakes: 100_00 });
      expect(p.bets).toEqual([expect.objectContaining({ reference, stake: 100_00, state: 'open' })]);
      expect(p.sms).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'bet_placed' })]));
      expect(p).not.toHaveProperty('statement');
    });

    it('adds statement lines for finance', async () => {
      const res = await adminGet(app, `/admin/players/${msisdn}`, FINANCE_TOKEN);
      expect(res.body.statement.map((l: { kind: string }) => l.kind)).toEqual(['bet_place', expect.any(String)]);
      expect(res.body.statement[0]).toMatchObject({ amount: -100_00, balanceAfter: 850_00 });
    });

    it('answers 404 for an unknown player and 400 for a non-Kenyan number', async () => {
      expect((await adminGet(app, '/admin/players/0799999999', SUPPORT_TOKEN)).status).toBe(404);
      expect((await adminGet(app, '/admin/players/4412345', SUPPORT_TOKEN)).status).toBe(400);
    });

    it('shows a bet: selections and odds for support, ledger entries only for finance', async () => {
      const support = await adminGet(app, `/admin/bets/${reference.toLowerCase()}`, SUPPORT_TOKEN);
      expect(support.status).toBe(200);
      expect(support.body).toMatchObject({ reference, stake: 100_00, state: 'open', legs: 1, msisdn });
      expect(support.body.selections).toEqual([expect.objectContaining({ eventId, market: expect.any(String), odds: expect.any(Number) })]);
      expect(support.body).not.toHaveProperty('entries');
      const finance = await adminGet(app, `/admin/bets/${reference}`, FINANCE_TOKEN);
      expect(finance.body.entries.length).toBeGreaterThanOrEqual(2);
      expect(finance.body.entries.reduce((s: number, e: { amount: number }) => s + e.amount, 0)).toBe(0);
      expect((await adminGet(app, '/admin/bets/BZZZZZ', SUPPORT_TOKEN)).status).toBe(404);
      expect((await adminGet(app, '/admin/bets/B-1', SUPPORT_TOKEN)).status).toBe(400);
    });

    it('shows an event with its markets and fairness proof', async () => {
      const res = await adminGet(app, `/admin/events/${eventId}`, SUPPORT_TOKEN);
      expect(res.status).toBe(200);
      expect(res.body.event).toMatchObject({ id: eventId, status: 'open' });
      expect(res.body.outcomes.length).toBeGreaterThan(3);
      expect(res.body.fairness).toMatchObject({ eventId, serverSeed: null, oddsMatch: true, verified: false });
      expect((await adminGet(app, '/admin/events/99999999', SUPPORT_TOKEN)).status).toBe(404);
      expect((await adminGet(app, '/admin/events/abc', SUPPORT_TOKEN)).status).toBe(400);
    });
  });

  describe('replay and rerun', () => {
    it('prints the session screen by screen with inputs and timings', async () => {
      const text = formatSession(betSession, await sessionHops(app.db.db, betSession));
      expect(text).toContain(`session ${betSession}  phone ${msisdn}`);
      expect(text).toMatch(/#1 .* dial .*\n {2}\| CON /);
      expect(text).toMatch(/#2 .*\(\+0\.0s\) {2}> 1 /);
      expect(text).toMatch(/#3 .*\(\+1\.5s\) {2}> 1 /);
      expect(text).toMatch(/#9 .*> 1 .*\n {2}\| END Bet B/);
    });

    it('reruns a session on today\'s menus over HTTP: every screen the same, nothing written', async () => {
      const count = async () =>
        (await app.db.db.query<{ n: string }>(`SELECT (SELECT count(*) FROM bets) + (SELECT count(*) FROM entries) + (SELECT count(*) FROM deposits) AS n`)).rows[0]!.n;
      const before = await count();
      const res = await adminGet(app, `/admin/sessions/${betSession}/rerun`, SUPPORT_TOKEN);
      expect(res.status).toBe(200);
      expect(res.body.hops).toHaveLength(9);
      const differing = res.body.hops.filter((h: { same: boolean }) => !h.same);
      expect(differing).toEqual([]);
      expect(res.body.hops[8].today.screen).toContain(reference);
      expect(await count()).toBe(before);
    });

    it('marks the screens that differ when today\'s menus changed', async () => {
      const config = loadConfig({ ...ADMIN_ENV });
      const { conversation, services } = createRerunner(app.db.db, config, { maxChars: 70 })();
      const hops = await sessionHops(app.db.db, betSession);
      const result = await rerunSession(betSession, hops, conversation, services);
      expect(result.differing).toBeGreaterThan(0);
      const first = result.hops[0]!;
      expect(first.same).toBe(false);
      const printed = formatRerun(result);
      expect(printed).toMatch(/#1 dial {2}DIFFERS/);
      expect(printed).toContain('--- recorded');
      expect(printed).toMatch(/\n {2}- /);
      expect(printed).toMatch(/\n {2}\+ /);
    });
  });
});
