import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeBet } from '../../src/core/bets.ts';
import type { Core } from '../../src/core/core.ts';
import { drawDueEvents, eventOutcomes, upcomingEvents, verifyEvent } from '../../src/core/events.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { leaderTick, roundAt, SCHEDULER_LOCK, schedulerTick } from '../../src/core/schedule.ts';
import { newPlayer, testCore, type TestClock } from '../support/core.ts';
import { backends, describeOnPostgres, type TestDb } from '../support/databases.ts';

const INTERVAL = 120;

describe.each(backends)('virtual-sports schedule on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  let clock: TestClock;
  beforeAll(async () => {
    t = await backend.open();
    ({ core, clock } = await testCore(t.db, { eventIntervalSeconds: INTERVAL, roundsAhead: 3 }));
  });
  afterAll(() => t.cleanup());

  it('keeps the next three rounds of every sport open for betting', async () => {
    const first = await schedulerTick(core, clock());
    expect(first.created).toBe(3 * (8 + 6 + 8));
    const football = await upcomingEvents(core.db, { sport: 'football', now: clock(), limit: 100 });
    const current = roundAt(clock(), INTERVAL);
    expect([...new Set(football.map((e) => e.roundNo))]).toEqual([current + 1, current + 2, current + 3]);
    expect(football[0]!.kickoffAt.getTime()).toBe((current + 1) * INTERVAL * 1000);
    expect((await schedulerTick(core, clock())).created).toBe(0);
  });

  it('closes betting at kickoff, draws, settles and opens the next round', async () => {
    const [ev] = await upcomingEvents(core.db, { sport: 'football', now: clock(), limit: 1 });
    const p = await newPlayer(core, 1000_00);
    const outcomes = await eventOutcomes(core.db, ev!.id);
    const stakes = outcomes.filter((o) => o.market === '1X2');
    for (const [i, o] of stakes.entries()) {
      const r = await placeBet(core, {
        playerId: p.id,
        selections: [{ eventId: ev!.id, outcomeId: o.id, odds: o.odds }],
        stake: 100_00,
        key: `sched-${i}`,
        now: clock(),
      });
      expect(r.ok).toBe(true);
    }
    clock.set(ev!.kickoffAt);
    const late = await placeBet(core, {
      playerId: p.id,
      selections: [{ eventId: ev!.id, outcomeId: stakes[0]!.id, odds: stakes[0]!.odds }],
      stake: 100_00,
      key: 'sched-late',
      now: clock(),
    });
    expect(late).toMatchObject({ ok: false, reason: 'event_closed' });
    const tick = await schedulerTick(core, clock());
    expect(tick.drawn).toBe(8 + 6 + 8);
    expect(tick.created).toBe(8 + 6 + 8);
    const mine = tick.settled.find((s) => s.eventId === ev!.id);
    expect(mine).toMatchObject({ bets: 3, won: 1, lost: 2 });
    const verification = await verifyEvent(core.db, ev!.id);
    expect(verification).toMatchObject({ verified: true, seedMatchesHash: true, resultMatches: true, oddsMatch: true });
    expect(await checkLedger(core.db)).toEqual([]);
  });

  it('hides the server seed until the result is drawn', async () => {
    const [next] = await upcomingEvents(core.db, { sport: 'tennis', now: clock(), limit: 1 });
    expect(await verifyEvent(core.db, next!.id)).toMatchObject({ serverSeed: null, verified: false, status: 'open' });
  });

  it('catches up after a crash between draw and settlement without repeating anything', async () => {
    const [ev] = await upcomingEvents(core.db, { sport: 'basketball', now: clock(), limit: 1 });
    const p = await newPlayer(core, 1000_00);
    const win = (await eventOutcomes(core.db, ev!.id)).filter((o) => o.market === 'WIN');
    for (const [i, o] of win.entries()) {
      await placeBet(core, {
        playerId: p.id,
        selections: [{ eventId: ev!.id, outcomeId: o.id, odds: o.odds }],
        stake: 50_00,
        key: `crash-${i}`,
        now: clock(),
      });
    }
    // the process "dies" after drawing the round, before settling it, and stays down for three intervals
    clock.set(ev!.kickoffAt);
    await drawDueEvents(core.db, clock());
    clock.advance(3 * INTERVAL * 1000);
    const recovery = await schedulerTick(core, clock());
    expect(recovery.settled.find((s) => s.eventId === ev!.id)).toMatchObject({ bets: 2, won: 1, lost: 1 });
    const again = await schedulerTick(core, clock());
    expect(again).toEqual({ created: 0, drawn: 0, settled: [] });
    const { rows } = await core.db.query<{ status: string; n: string }>(
      `SELECT status, count(*)::text AS n FROM events WHERE kickoff_at <= $1 GROUP BY status`,
      [clock()],
    );
    expect(rows).toEqual([{ status: 'settled', n: expect.any(String) }]);
    const open = await upcomingEvents(core.db, { sport: 'basketball', now: clock(), limit: 100 });
    expect(new Set(open.map((e) => e.roundNo)).size).toBe(3);
    expect(await checkLedger(core.db)).toEqual([]);
  });

  it('detects a result or seed that was tampered with', async () => {
    const { rows } = await core.db.query<{ id: string }>(
      `SELECT id::text FROM events WHERE status = 'settled' AND sport = 'football' ORDER BY id LIMIT 2`,
    );
    const [a, b] = rows.map((r) => Number(r.id));
    await core.db.query(`UPDATE events SET result = '{"home": 9, "away": 9}' WHERE id = $1`, [a]);
    expect(await verifyEvent(core.db, a!)).toMatchObject({ verified: false, resultMatches: false, seedMatchesHash: true });
    await core.db.query(`UPDATE events SET server_seed = repeat('0', 64) WHERE id = $1`, [b]);
    expect(await verifyEvent(core.db, b!)).toMatchObject({ verified: false, seedMatchesHash: false });
  });
});

describeOnPostgres('scheduler leadership', (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(() => t.cleanup());

  it('lets one instance schedule at a time, and another take over when it is gone', async () => {
    const follower = await testCore(t.connect(3), { eventIntervalSeconds: INTERVAL });
    const leader = t.connect(1);
    await leader.session(async (conn) => {
      await conn.query('SELECT pg_advisory_lock($1)', [SCHEDULER_LOCK]);
      expect(await leaderTick(follower.core, follower.clock)).toBeNull();
      const { rows } = await follower.core.db.query<{ n: string }>('SELECT count(*)::text AS n FROM events');
      expect(rows[0]!.n).toBe('0');
      await conn.query('SELECT pg_advisory_unlock($1)', [SCHEDULER_LOCK]);
    });
    expect(await leaderTick(follower.core, follower.clock)).toMatchObject({ created: 3 * 22 });
  });
});
