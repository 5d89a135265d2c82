import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenRoundsCache } from '../../src/adapters/open-rounds-cache.ts';
import type { Core } from '../../src/core/core.ts';
import type { Queryable } from '../../src/core/db.ts';
import { eventOutcomes, upcomingEvents } from '../../src/core/events.ts';
import { testCore, type TestClock } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { openRound } from '../support/events.ts';

/** the real database, with the statements it was asked counted */
function counted(db: Queryable) {
  const seen = { queries: 0 };
  const q: Queryable = {
    query: (sql, params) => {
      seen.queries += 1;
      return db.query(sql, params);
    },
    exec: (sql) => db.exec(sql),
  };
  return { q, seen };
}

describe.each(backends)('open rounds cache on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  let clock: TestClock;
  beforeAll(async () => {
    t = await backend.open();
    ({ core, clock } = await testCore(t.db));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('lists what the database lists, and reads it once per TTL however many sessions ask', async () => {
    await openRound(core, 'tennis', 60_000);
    const { q, seen } = counted(core.db);
    const cache = createOpenRoundsCache(q, clock, { listTtlMs: 1_000 });
    const page = { limit: 5, offset: 2 };
    const direct = await upcomingEvents(core.db, { sport: 'tennis', now: clock(), ...page });
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.upcoming('tennis', page)));
    for (const a of answers) expect(a).toEqual(direct);
    expect(seen.queries).toBe(1);
    clock.advance(999);
    await cache.upcoming('tennis', page);
    expect(seen.queries).toBe(1);
    clock.advance(1);
    await cache.upcoming('tennis', page);
    expect(seen.queries).toBe(2);
  });

  it('asks the database for a page deeper than the rows it read, and serves shallower pages from memory', async () => {
    const round = await openRound(core, 'tennis', 120_000);
    expect(round.length).toBeGreaterThan(3);
    const { q, seen } = counted(core.db);
    const cache = createOpenRoundsCache(q, clock, { listRows: 3 });
    const direct = (page: { limit: number; offset: number }) => upcomingEvents(core.db, { sport: 'tennis', now: clock(), ...page });
    expect(await cache.upcoming('tennis', { limit: 3, offset: 0 })).toEqual(await direct({ limit: 3, offset: 0 }));
    expect(await cache.upcoming('tennis', { limit: 2, offset: 1 })).toEqual(await direct({ limit: 2, offset: 1 }));
    expect(seen.queries).toBe(1);
    expect(await cache.upcoming('tennis', { limit: 5, offset: 2 })).toEqual(await direct({ limit: 5, offset: 2 }));
    expect(seen.queries).toBe(2);
  });

  it('shows a round created after the list was read once the TTL has passed', async () => {
    const cache = createOpenRoundsCache(core.db, clock, { listTtlMs: 1_000 });
    const before = await cache.upcoming('basketball', { limit: 100, offset: 0 });
    const round = await openRound(core, 'basketball', 90_000);
    const ids = (events: { id: number }[]) => events.map((e) => e.id);
    expect(ids(await cache.upcoming('basketball', { limit: 100, offset: 0 }))).toEqual(ids(before));
    clock.advance(1_000);
    expect(ids(await cache.upcoming('basketball', { limit: 100, offset: 0 }))).toEqual(
      expect.arrayContaining(ids(round)),
    );
  });

  it('never lists a match whose kickoff has passed, even from a fresh list', async () => {
    const round = await openRound(core, 'football', 500);
    const cache = createOpenRoundsCache(core.db, clock, { listTtlMs: 60_000 });
    const ids = async () => (await cache.upcoming('football', { limit: 100, offset: 0 })).map((e) => e.id);
    expect(await ids()).toEqual(expect.arrayContaining(round.map((e) => e.id)));
    clock.advance(500);
    const after = await ids();
    for (const e of round) expect(after).not.toContain(e.id);
  });

  it('serves markets of an open match from memory until kickoff, then asks the database again', async () => {
    const [event] = await openRound(core, 'football', 10_000);
    const { q, seen } = counted(core.db);
    const cache = createOpenRoundsCache(q, clock);
    const first = await cache.markets(event!.id);
    expect(first!.event.id).toBe(event!.id);
    expect(first!.outcomes).toEqual(await eventOutcomes(core.db, event!.id));
    const reads = seen.queries;
    await Promise.all(Array.from({ length: 10 }, () => cache.markets(event!.id)));
    expect(seen.queries).toBe(reads);
    clock.advance(10_000);
    const late = await cache.markets(event!.id);
    expect(late!.event.id).toBe(event!.id);
    expect(seen.queries).toBe(reads + 2);
  });

  it('answers null for a match that does not exist, and does not keep the answer', async () => {
    const { q, seen } = counted(core.db);
    const cache = createOpenRoundsCache(q, clock);
    expect(await cache.markets(987_654_321)).toBeNull();
    expect(await cache.markets(987_654_321)).toBeNull();
    expect(seen.queries).toBe(4);
  });
});
