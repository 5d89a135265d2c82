import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/core/db.ts';
import { createHopLogDrainer } from '../../src/sessions/hop-log-drainer.ts';
import { MemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import type { HopRecord, SessionRecord, SessionStore } from '../../src/sessions/session-store.ts';
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

function sessionRecord(hop: HopRecord): SessionRecord {
  return { snapshot: {}, lastText: hop.text, lastReply: hop.reply, seq: hop.seq, ended: false, phone: hop.phone, updatedAt: hop.at };
}

async function put(store: SessionStore, hop: HopRecord) {
  await store.save(hop.sessionId, sessionRecord(hop), hop, 180);
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
    const store = new MemorySessionStore();
    const a = hopRecord();
    const b = { ...a, seq: 2, text: '1*2*100', input: '100', reply: 'END Bet placed', state: 'bet.placed', latencyMs: 30, at: a.at + 5_000 };
    await put(store, a);
    await put(store, b);
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
    const inner = new MemorySessionStore();
    let ackFails = true;
    const store: SessionStore = Object.assign(Object.create(inner) as MemorySessionStore, {
      ackHops: (ids: string[]) => (ackFails ? Promise.reject(new Error('redis blip')) : inner.ackHops(ids)),
    });
    const hop = hopRecord();
    await put(inner, hop);
    const drainer = createHopLogDrainer({ store, db: t.db, logger: silent });
    await expect(drainer.drainOnce()).rejects.toThrow('redis blip');
    ackFails = false;
    expect(await drainer.drainOnce()).toBe(1);
    expect((await rowsOf(hop.sessionId)).rows).toHaveLength(1);
  });

  it('keeps the records in the store when the insert fails', async () => {
    const store = new MemorySessionStore();
    const hop = hopRecord();
    await put(store, hop);
    const broken: Queryable = { query: () => Promise.reject(new Error('database down')), exec: () => Promise.resolve() };
    await expect(createHopLogDrainer({ store, db: broken, logger: silent }).drainOnce()).rejects.toThrow('database down');
    expect((await store.readHops(10)).map((x) => x.hop)).toEqual([hop]);
    expect(await createHopLogDrainer({ store, db: t.db, logger: silent }).drainOnce()).toBe(1);
  });

  it('runs on an interval and drains what is left when stopped', async () => {
    const store = new MemorySessionStore();
    const drainer = createHopLogDrainer({ store, db: t.db, logger: silent, batchSize: 2 });
    drainer.start(20);
    const first = hopRecord();
    await put(store, first);
    await expect.poll(async () => (await rowsOf(first.sessionId)).rows.length, { timeout: 2_000 }).toBe(1);
    const late = Array.from({ length: 5 }, () => hopRecord());
    for (const h of late) await put(store, h);
    await drainer.stop();
    expect(await store.readHops(10)).toEqual([]);
    for (const h of late) expect((await rowsOf(h.sessionId)).rows).toHaveLength(1);
  });
});
