import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/core/db.ts';
import { createHopLogDrainer, type HopSource } from '../../src/sessions/hop-log-drainer.ts';
import { MemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import { hopRow, type HopEntry, type HopRecord, type SessionStore } from '../../src/sessions/session-store.ts';
import { backends, type TestDb } from '../support/databases.ts';

const REDIS_URL = process.env.REDIS_URL;
const silent = pino({ level: 'silent' });
let n = 0;

function hopRecord(overrides: Partial<HopRecord> = {}): HopRecord {
  return {
    sessionId: `ATUid_drain_${process.pid}_${++n}`,
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

/** commits each hop record to the store as a hop does (open, then commit) */
async function commitHops(store: SessionStore, hops: HopRecord[]): Promise<void> {
  for (const hop of hops) {
    const session = await store.open(hop.sessionId, hop.phone);
    const record = { snapshot: null, lastText: hop.text, lastReply: hop.reply, seq: hop.seq, ended: false, phone: hop.phone, updatedAt: hop.at };
    expect(await session!.commit(record, hop, 180)).toBe('committed');
  }
}

/** a real in-memory session store holding these hop records */
async function storeWith(...initial: HopRecord[]) {
  const store = new MemorySessionStore();
  const push = (...hops: HopRecord[]) => commitHops(store, hops);
  await push(...initial);
  return Object.assign(store, { push });
}

/** a hop log the drainer reads, on one of the stores */
interface Feed {
  source: HopSource;
  /** what the store still holds */
  left(): Promise<HopEntry[]>;
  /** hops committed as a hop commits them */
  push(...hops: HopRecord[]): Promise<void>;
  /** an entry written by someone else: the previous version (camelCase records) or a stray writer */
  pushRaw(json: string): Promise<void>;
  cleanup(): Promise<void>;
}

const feeds: { name: string; make: () => Promise<Feed> }[] = [
  {
    name: 'memory store',
    // the memory store only ever holds what its commits wrote: a raw entry is a committed placeholder shown as that text
    make: async () => {
      const store = new MemorySessionStore();
      const shownAs = new Map<string, string>();
      const left = async () => (await store.readHops(1_000_000)).map((e) => ({ id: e.id, json: shownAs.get(e.id) ?? e.json }));
      return {
        source: { readHops: async (max) => (await left()).slice(0, max), ackHopsThrough: (id) => store.ackHopsThrough(id) },
        left,
        push: (...hops) => commitHops(store, hops),
        async pushRaw(json) {
          await commitHops(store, [hopRecord()]);
          shownAs.set((await store.readHops(1_000_000)).at(-1)!.id, json);
        },
        cleanup: () => store.close(),
      };
    },
  },
];
if (REDIS_URL) {
  feeds.push({
    name: 'redis store',
    make: async () => {
      const prefix = `test:drain:${randomUUID()}:`;
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      const store = new RedisSessionStore(client, { prefix });
      const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      return {
        source: store,
        left: () => store.readHops(1_000_000),
        push: (...hops) => commitHops(store, hops),
        async pushRaw(json) {
          // an entry without a hop field is read as ''
          await (json === '' ? admin.xadd(`${prefix}hops`, '*', 'other', 'x') : admin.xadd(`${prefix}hops`, '*', 'hop', json));
        },
        async cleanup() {
          await admin.del(`${prefix}hops`);
          await store.close();
          admin.disconnect();
        },
      };
    },
  });
}

/** a logger whose error lines the test reads */
function errorLog(): { logger: Logger; errors: Record<string, unknown>[] } {
  const errors: Record<string, unknown>[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, errors };
}

describe.each(backends)('the hop log drainer on $name', (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(() => t.cleanup());

  const rowsOf = (sessionId: string) =>
    t.db.query<Record<string, unknown>>('SELECT * FROM ussd_hops WHERE session_id = $1 ORDER BY seq', [sessionId]);

  /** the session's rows with every column but id, `at` as epoch ms */
  const columnsOf = async (sessionId: string) =>
    (await rowsOf(sessionId)).rows.map(({ id: _id, at, ...columns }) => ({ ...columns, at: new Date(at as string).getTime() }));

  /** the columns a hop record's row should have */
  const expectedColumns = (hop: HopRecord) => ({ ...hopRow(hop), at: hop.at });

  describe.each(feeds)('fed by the $name', ({ make }) => {
    let feed: Feed;
    beforeEach(async () => {
      feed = await make();
    });
    afterEach(() => feed.cleanup());

    /** the database, with every query it is sent */
    const recording = () => {
      const queries: { sql: string; params: readonly unknown[] | undefined }[] = [];
      const db: Queryable = {
        query: (sql, params) => {
          queries.push({ sql, params });
          return t.db.query(sql, params);
        },
        exec: (sql) => t.db.exec(sql),
      };
      return { db, queries };
    };

    it('inserts exactly the rows the hops were committed as, in one statement, and acks them', async () => {
      const a = hopRecord({ latencyMs: 0 });
      const b = { ...a, seq: 2, text: '1*2*100', input: '100', reply: 'END Bet placed\nRef BX1', state: 'bet.placed', latencyMs: 30, at: a.at + 5_007 };
      await feed.push(a, b);
      const { db, queries } = recording();
      expect(await createHopLogDrainer({ store: feed.source, db, logger: silent }).drainOnce()).toBe(2);
      expect(queries).toHaveLength(1);
      expect(await feed.left()).toEqual([]);
      expect(await columnsOf(a.sessionId)).toEqual([expectedColumns(a), expectedColumns(b)]);
    });

    it('hands PostgreSQL the entries joined as they are stored, never parsed and written again', async () => {
      const hop = hopRecord();
      const { seq, ...rest } = hopRow(hop);
      // spacing and key order JSON.stringify would not reproduce
      const stored = `{ ${JSON.stringify(rest).slice(1, -1)}, "seq": ${seq} }`;
      await feed.pushRaw(stored);
      const { db, queries } = recording();
      expect(await createHopLogDrainer({ store: feed.source, db, logger: silent }).drainOnce()).toBe(1);
      expect(queries.map((q) => q.params)).toEqual([[`[${stored}]`]]);
      expect(await columnsOf(hop.sessionId)).toEqual([expectedColumns(hop)]);
    });

    it('drains records the previous version left (camelCase HopRecords) alongside new ones', async () => {
      const old = hopRecord({ latencyMs: 7.6, at: Date.UTC(2026, 10, 25, 11, 59, 58, 250) });
      const current = hopRecord();
      await feed.pushRaw(JSON.stringify(old));
      await feed.push(current);
      expect(await createHopLogDrainer({ store: feed.source, db: t.db, logger: silent }).drainOnce()).toBe(2);
      expect(await feed.left()).toEqual([]);
      expect(await columnsOf(old.sessionId)).toEqual([{ ...expectedColumns(old), latency_ms: 8 }]);
      expect(await columnsOf(current.sessionId)).toEqual([expectedColumns(current)]);
    });

    it('drops and logs an unreadable entry without losing its neighbours', async () => {
      const before = hopRecord();
      const after = hopRecord();
      const unreadable = [
        '{not json',
        '',
        '42',
        JSON.stringify({ session_id: 'ATUid_x', phone: '254712000001' }),
        JSON.stringify({ ...hopRow(hopRecord()), seq: 0 }),
      ];
      await feed.push(before);
      for (const json of unreadable) await feed.pushRaw(json);
      await feed.push(after);
      const log = errorLog();
      expect(await createHopLogDrainer({ store: feed.source, db: t.db, logger: log.logger }).drainOnce()).toBe(7);
      expect(await feed.left()).toEqual([]);
      expect(await columnsOf(before.sessionId)).toEqual([expectedColumns(before)]);
      expect(await columnsOf(after.sessionId)).toEqual([expectedColumns(after)]);
      expect(log.errors.map((e) => [e.msg, e.entry])).toEqual(
        unreadable.map((json) => ['unreadable hop record dropped from the hop log', json]),
      );
    });

    it('drops and logs only the row of a value PostgreSQL cannot hold (a NUL in the text the aggregator sent)', async () => {
      const before = hopRecord();
      const nul = hopRecord({ text: '1*\u00002', input: '\u00002' });
      const after = hopRecord();
      await feed.push(before, nul, after);
      const log = errorLog();
      expect(await createHopLogDrainer({ store: feed.source, db: t.db, logger: log.logger }).drainOnce()).toBe(3);
      expect(await feed.left()).toEqual([]);
      expect(await columnsOf(before.sessionId)).toEqual([expectedColumns(before)]);
      expect(await columnsOf(after.sessionId)).toEqual([expectedColumns(after)]);
      expect(await columnsOf(nul.sessionId)).toEqual([]);
      expect(log.errors).toEqual([expect.objectContaining({ msg: 'hop record PostgreSQL cannot store dropped from the hop log', row: hopRow(nul) })]);
    });

    it('acks exactly what it read: a hop committed while the batch was being inserted stays for the next drain', async () => {
      const read = [hopRecord(), hopRecord()];
      const during = hopRecord();
      await feed.push(...read);
      const db: Queryable = {
        query: async (sql, params) => {
          await feed.push(during);
          return t.db.query(sql, params);
        },
        exec: (sql) => t.db.exec(sql),
      };
      expect(await createHopLogDrainer({ store: feed.source, db, logger: silent }).drainOnce()).toBe(2);
      const left = await feed.left();
      expect(left.map((e) => (JSON.parse(e.json) as { session_id: string }).session_id)).toEqual([during.sessionId]);
      expect(await createHopLogDrainer({ store: feed.source, db: t.db, logger: silent }).drainOnce()).toBe(1);
      expect(await columnsOf(during.sessionId)).toEqual([expectedColumns(during)]);
    });

    it('keeps every entry when the insert fails (database down), also a batch the careful path would take', async () => {
      const hops = [hopRecord(), hopRecord()];
      const old = hopRecord();
      await feed.push(hops[0]!);
      await feed.pushRaw(JSON.stringify(old));
      await feed.pushRaw('{not json');
      await feed.push(hops[1]!);
      const stored = await feed.left();
      const broken: Queryable = { query: () => Promise.reject(new Error('database down')), exec: () => Promise.resolve() };
      const log = errorLog();
      await expect(createHopLogDrainer({ store: feed.source, db: broken, logger: log.logger }).drainOnce()).rejects.toThrow('database down');
      expect(await feed.left()).toEqual(stored);
      // nothing was dropped, so nothing is said to be
      expect(log.errors).toEqual([]);
      expect(await createHopLogDrainer({ store: feed.source, db: t.db, logger: silent }).drainOnce()).toBe(4);
      for (const hop of [...hops, old]) expect(await columnsOf(hop.sessionId)).toEqual([expectedColumns(hop)]);
    });

    it('a re-drain of records already inserted is harmless (ack lost after commit)', async () => {
      const hop = hopRecord();
      await feed.push(hop);
      let ackFails = true;
      const store: HopSource = {
        readHops: (max) => feed.source.readHops(max),
        ackHopsThrough: (id) => (ackFails ? Promise.reject(new Error('redis blip')) : feed.source.ackHopsThrough(id)),
      };
      const drainer = createHopLogDrainer({ store, db: t.db, logger: silent });
      await expect(drainer.drainOnce()).rejects.toThrow('redis blip');
      ackFails = false;
      expect(await drainer.drainOnce()).toBe(1);
      expect(await columnsOf(hop.sessionId)).toEqual([expectedColumns(hop)]);
    });
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
