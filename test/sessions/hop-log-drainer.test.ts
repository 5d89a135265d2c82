import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/core/db.ts';
import { createHopLogDrainer, type HopSource } from '../../src/sessions/hop-log-drainer.ts';
import { MemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import type { HopRecord } from '../../src/sessions/session-store.ts';
import { backends, type TestDb } from '../support/databases.ts';

const silent = pino({ level: 'silent' });
let n = 0;

function hopRecord(overrides: Partial<HopRecord> = {}): HopRecord {
  return {
    sessionId: `ATUid_drain_${++n}`,
    seq: 1,
    phone: '254712000001',
    network: '63902',
    serviceCode: '*290*290#',
    text: '1*2',
    input: '2',
    reply: 'CON Stake?',
    state: 'bet.stake',
    latencyMs: 12,
    at: Date.UTC(2026, 10, 25, 12, 0, 0),
    ...overrides,
  };
}

/** a real in-memory session store holding these hop records, each written as a hop writes it (open, then commit) */
async function storeWith(...initial: HopRecord[]) {
  const store = new MemorySessionStore();
  const push = async (...hops: HopRecord[]) => {
    for (const hop of hops) {
      const session = await store.open(hop.sessionId, hop.phone);
      const record = { snapshot: null, lastText: hop.text, lastReply: hop.reply, seq: hop.seq, ended: false, phone: hop.phone, updatedAt: hop.at };
      expect(await session!.commit(record, hop, 180)).toBe('committed');
    }
  };
  await push(...initial);
  return Object.assign(store, { push });
}

describe.each(backends)('the hop log drainer on $name', (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(() => t.cleanup());

  const rowsOf = (sessionId: string) =>
    t.db.query<Record<string, unknown>>('SELECT * FROM ussd_hops WHERE session_id = $1 ORDER BY seq', [sessionId]);

  it('moves hop records into ussd_hops in one batch and acks them after the insert', async () => {
    const a = hopRecord();
    const b = { ...a, seq: 2, text: '1*2*100', input: '100', reply: 'END Bet placed', state: 'bet.placed', latencyMs: 30, at: a.at + 5_000 };
    const store = await storeWith(a, b);
    const drainer = createHopLogDrainer({ store, db: t.db, logger: silent });
    expect(await drainer.drainOnce()).toBe(2);
    expect(await store.readHops(10)).toEqual([]);
    const { rows } = await rowsOf(a.sessionId);
    expect(rows.map((r) => ({ ...r, id: undefined, at: new Date(r.at as string).getTime() }))).toEqual([
      expect.objectContaining({ session_id: a.sessionId, seq: 1, phone: a.phone, network: '63902', service_code: '*290*290#', text: '1*2', input: '2', reply: 'CON Stake?', state: 'bet.stake', latency_ms: 12, at: a.at }),
      expect.objectContaining({ seq: 2, text: '1*2*100', input: '100', reply: 'END Bet placed', state: 'bet.placed', latency_ms: 30, at: b.at }),
    ]);
    expect(await drainer.drainOnce()).toBe(0);
  });

  it('a re-drain of records already inserted is harmless (ack lost after commit)', async () => {
    const hop = hopRecord();
    const inner = await storeWith(hop);
    let ackFails = true;
    const store: HopSource = {
      readHops: (max) => inner.readHops(max),
      ackHops: (ids) => (ackFails ? Promise.reject(new Error('redis blip')) : inner.ackHops(ids)),
    };
    const drainer = createHopLogDrainer({ store, db: t.db, logger: silent });
    await expect(drainer.drainOnce()).rejects.toThrow('redis blip');
    ackFails = false;
    expect(await drainer.drainOnce()).toBe(1);
    expect((await rowsOf(hop.sessionId)).rows).toHaveLength(1);
  });

  /** the monthly child each of the session's rows is stored in, by seq */
  const childrenOf = async (q: Queryable, sessionId: string) =>
    (
      await q.query<{ part: string; seq: number; id: unknown }>(
        'SELECT tableoid::regclass::text AS part, seq, id FROM ussd_hops WHERE session_id = $1 ORDER BY seq',
        [sessionId],
      )
    ).rows.map((r) => ({ part: r.part.replace(/^.*\./, ''), seq: r.seq, id: String(r.id) }));

  const drain = async (q: Queryable, hops: HopRecord[]) =>
    createHopLogDrainer({ store: await storeWith(...hops), db: q, logger: silent }).drainAll();

  it('puts a batch spanning two months into the child of each hop\'s UTC month, whatever the session time zone', async () => {
    const first = hopRecord({ at: Date.UTC(2026, 10, 30, 23, 59, 59, 999) });
    const second = { ...first, seq: 2, at: Date.UTC(2026, 11, 1, 0, 0, 0) };
    // Nairobi is UTC+3: its local month turns three hours before the UTC month does
    const parts = await t.db.session(async (q) => {
      await q.query("SET TIME ZONE 'Africa/Nairobi'");
      try {
        await drain(q, [first, second]);
        return await childrenOf(q, first.sessionId);
      } finally {
        await q.query('RESET TIME ZONE');
      }
    });
    expect(parts.map(({ part, seq }) => ({ part, seq }))).toEqual([
      { part: 'ussd_hops_2026_11', seq: 1 },
      { part: 'ussd_hops_2026_12', seq: 2 },
    ]);
    expect((await t.db.query('SELECT 1 FROM ONLY ussd_hops UNION ALL SELECT 1 FROM ussd_hops_default')).rows).toEqual([]);
  });

  it('a re-drain of a batch spanning two months inserts nothing and changes nothing', async () => {
    const first = hopRecord({ at: Date.UTC(2026, 11, 31, 23, 0) });
    const batch = [first, { ...first, seq: 2, at: Date.UTC(2027, 0, 1, 1, 0) }];
    await drain(t.db, batch);
    const before = await childrenOf(t.db, first.sessionId);
    expect(before.map((r) => r.part)).toEqual(['ussd_hops_2026_12', 'ussd_hops_2027_01']);
    // a repeat is ignored, not merged: the row first stored stays as it was
    await drain(t.db, batch.map((h) => ({ ...h, text: 'changed' })));
    expect(await childrenOf(t.db, first.sessionId)).toEqual(before);
    expect((await rowsOf(first.sessionId)).rows.map((r) => r.text)).toEqual([first.text, first.text]);
  });

  it('creates the child of a month that has none yet, instead of using the default child', async () => {
    const hop = hopRecord({ at: Date.UTC(2040, 2, 15) });
    expect((await t.db.query("SELECT to_regclass('ussd_hops_2040_03') IS NULL AS missing")).rows).toEqual([{ missing: true }]);
    await drain(t.db, [hop]);
    expect((await childrenOf(t.db, hop.sessionId)).map((r) => r.part)).toEqual(['ussd_hops_2040_03']);
    expect((await t.db.query('SELECT 1 FROM ussd_hops_default')).rows).toEqual([]);
  });

  it('drains a late record for a month whose child retention has dropped, into a new child of that month', async () => {
    const early = hopRecord({ at: Date.UTC(2025, 0, 10) });
    const late = hopRecord({ at: Date.UTC(2025, 0, 20) });
    // one connection throughout, so a plan cached before the DROP would be reused after it
    const parts = await t.db.session(async (q) => {
      await drain(q, [early]);
      await q.query('DROP TABLE ussd_hops_2025_01');
      await drain(q, [late]);
      return childrenOf(q, late.sessionId);
    });
    expect(parts.map((r) => r.part)).toEqual(['ussd_hops_2025_01']);
    expect((await rowsOf(early.sessionId)).rows).toEqual([]);
  });

  it.runIf(backend.name === 'postgres')('two drainers creating the same new month at once both succeed', async () => {
    const creator = t.connect(1);
    const drainer = t.connect(1);
    const drainerPid = (await drainer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const hop = hopRecord({ at: Date.UTC(2041, 4, 10) });
    let drained: Promise<number> | undefined;
    await creator.tx(async (q) => {
      // the other instance has created the child but not committed yet
      await q.query('SELECT ussd_hops_ensure_partition($1)', [new Date(Date.UTC(2041, 4, 1))]);
      drained = drain(drainer, [hop]);
      drained.catch(() => undefined);
      await expect
        .poll(async () => (await t.db.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [drainerPid])).rows.length, {
          timeout: 5_000,
        })
        .toBe(1);
    });
    expect(await drained).toBe(1);
    expect((await childrenOf(t.db, hop.sessionId)).map((r) => r.part)).toEqual(['ussd_hops_2041_05']);
  });

  it('keeps the records in the store when the insert fails', async () => {
    const hop = hopRecord();
    const store = await storeWith(hop);
    const broken: Queryable = { query: () => Promise.reject(new Error('database down')), exec: () => Promise.resolve() };
    await expect(createHopLogDrainer({ store, db: broken, logger: silent }).drainOnce()).rejects.toThrow('database down');
    expect((await store.readHops(10)).map((x) => x.hop)).toEqual([hop]);
    expect(await createHopLogDrainer({ store, db: t.db, logger: silent }).drainOnce()).toBe(1);
  });

  it('runs on an interval and drains what is left when stopped', async () => {
    const store = await storeWith();
    const drainer = createHopLogDrainer({ store, db: t.db, logger: silent, batchSize: 2 });
    drainer.start(20);
    const first = hopRecord();
    await store.push(first);
    await expect.poll(async () => (await rowsOf(first.sessionId)).rows.length, { timeout: 2_000 }).toBe(1);
    const late = Array.from({ length: 5 }, () => hopRecord());
    await store.push(...late);
    await drainer.stop();
    expect(await store.readHops(10)).toEqual([]);
    for (const h of late) expect((await rowsOf(h.sessionId)).rows).toHaveLength(1);
  });
});
