import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import { hopRow } from '../../src/sessions/session-store.ts';
import { hop, record, rowsOf, runSessionStoreContract } from './session-store.contract.ts';

const REDIS_URL = process.env.REDIS_URL;

/** test clients fail fast instead of queueing/retrying forever */
const TEST_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: 1, connectTimeout: 2_000 };

function newClient(url: string, opts: RedisOptions = {}): Redis {
  const client = new Redis(url, { ...TEST_REDIS_OPTIONS, ...opts });
  client.on('error', () => {}); // connection errors surface as rejected commands; avoid noisy unhandled-error logs
  return client;
}

async function deleteByPrefix(admin: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== '0');
}

function uniquePrefix(): string {
  return `test:ussd:${randomUUID()}:`;
}

/** clock that follows real time but can be jumped forward */
function jumpClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

/**
 * MONITOR over a raw socket (the ioredis monitor client mis-parses events that arrive while it
 * is switching modes, which happens when other tests hit the same Redis in parallel).
 * Calls `onEvent(source, args)` for every command Redis reports.
 */
async function rawMonitor(url: string, onEvent: (source: string, args: string[]) => void): Promise<() => void> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
  socket.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (u.password) socket.write(`AUTH ${u.username ? `${decodeURIComponent(u.username)} ` : ''}${decodeURIComponent(u.password)}\r\n`);
  socket.write('MONITOR\r\n');
  let buf = '';
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
      if (!m) continue; // +OK and anything else
      const args = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!);
      onEvent(m[1]!, args);
    }
  });
  socket.on('error', () => {});
  return () => socket.destroy();
}

// ------------------------------------------------------------------ hop rows

describe('the row a hop is logged as', () => {
  it('writes `at` exactly as toISOString does, for times in the same second, in other seconds and out of order', () => {
    const now = Date.UTC(2026, 10, 25, 23, 59, 59, 998);
    const times = [now, now + 1, now + 2, now + 1_001, now - 5, 0, 1, 999, 1_000, 951_782_400_000, now + 86_400_000, 253_402_300_799_999];
    for (const at of times) expect(hopRow(hop({ at })).at).toBe(new Date(at).toISOString());
  });

  it('writes a time toISOString writes differently as it does (before 1970, from year 10000), and an invalid one as the epoch', () => {
    for (const at of [-1, -86_400_001, 253_402_300_800_000, 1_732_500_000_000.7]) expect(hopRow(hop({ at })).at).toBe(new Date(at).toISOString());
    for (const at of [Number.NaN, Number.POSITIVE_INFINITY, 9e15]) expect(hopRow(hop({ at })).at).toBe('1970-01-01T00:00:00.000Z');
  });
});

// ------------------------------------------------------------------ memory

runSessionStoreContract('memory', async () => {
  const clock = jumpClock();
  const store = new MemorySessionStore({ now: clock.now });
  return { store, advance: clock.advance, cleanup: () => store.close() };
});

describe('MemorySessionStore specifics', () => {
  const commitOn = async (store: MemorySessionStore, sessionId: string, seq: number) => {
    const s = await store.open(sessionId, '+254700000000');
    return s!.commit(record({ seq }), hop({ sessionId, seq }), 180);
  };

  it('uses the injected clock for lock expiry (takeover without real waiting)', async () => {
    const clock = jumpClock();
    const store = new MemorySessionStore({ now: clock.now });
    const a = await store.open('s1', '+254700000000', { ttlMs: 60_000 });
    expect(a).not.toBeNull();
    expect(await store.open('s1', '+254700000000', { waitMs: 0 })).toBeNull();
    clock.advance(60_000);
    const b = await store.open('s1', '+254700000000', { waitMs: 0 });
    expect(b).not.toBeNull();
    expect(await a!.commit(record(), hop({ sessionId: 's1' }), 180)).toBe('lock-lost');
    await a!.release();
    expect(await store.open('s1', '+254700000000', { waitMs: 0 })).toBeNull();
    await b!.release();
  });

  it('waiters are served in arrival order', async () => {
    const store = new MemorySessionStore();
    const first = await store.open('s1', '+254700000000');
    const order: number[] = [];
    const waiters = [1, 2, 3].map((i) =>
      store.open('s1', '+254700000000', { waitMs: 5_000 }).then(async (s) => {
        order.push(i);
        await s!.release();
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    await first!.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('close wakes lock waiters, which reject', async () => {
    const store = new MemorySessionStore();
    await store.open('s1', '+254700000000');
    const waiting = store.open('s1', '+254700000000', { waitMs: 10_000 });
    const t0 = Date.now();
    await store.close();
    await expect(waiting).rejects.toThrow(/closed/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('maxHops drops the oldest hop records', async () => {
    const store = new MemorySessionStore({ maxHops: 3 });
    for (let seq = 1; seq <= 5; seq++) await commitOn(store, 's1', seq);
    expect(rowsOf(await store.readHops(10)).map((x) => x.seq)).toEqual([3, 4, 5]);
  });

  it('rejects a record that is not JSON-serialisable and writes nothing', async () => {
    const store = new MemorySessionStore();
    const s = await store.open('s1', '+254700000000');
    await expect(s!.commit(record({ snapshot: { n: 1n } }), hop(), 180)).rejects.toThrow(TypeError);
    await s!.release();
    const again = await store.open('s1', '+254700000000');
    expect(again!.record).toBeNull();
    expect(await store.readHops(10)).toEqual([]);
  });
});

// ------------------------------------------------------------------ redis

describe.runIf(REDIS_URL !== undefined && REDIS_URL !== '')('redis', () => {
  const url = REDIS_URL as string;

  runSessionStoreContract('redis', async () => {
    const prefix = uniquePrefix();
    const client = newClient(url);
    const secondClient = newClient(url);
    const admin = newClient(url);
    const store = new RedisSessionStore(client, { prefix });
    const second = new RedisSessionStore(secondClient, { prefix });
    const keyOf = { session: 's:', resume: 'resume:', lock: 'lock:' } as const;
    return {
      store,
      second,
      ttlMs: (kind, id) => admin.pttl(`${prefix}${keyOf[kind]}${id}`),
      cleanup: async () => {
        await store.close();
        await second.close();
        await deleteByPrefix(admin, prefix);
        await admin.quit();
      },
    };
  });

  describe('RedisSessionStore specifics', () => {
    let admin: Redis;
    const prefixes: string[] = [];
    const clients: Redis[] = [];
    const makeStore = (opts: { maxHops?: number } = {}): { store: RedisSessionStore; client: Redis; prefix: string } => {
      const prefix = uniquePrefix();
      const client = newClient(url);
      prefixes.push(prefix);
      clients.push(client);
      return { store: new RedisSessionStore(client, { prefix, ...opts }), client, prefix };
    };
    const commitOn = async (store: RedisSessionStore, sessionId: string, seq: number, phone = '+254700000000') => {
      const s = await store.open(sessionId, phone);
      return s!.commit(record({ seq, phone }), hop({ sessionId, seq, phone }), 180);
    };

    beforeAll(() => {
      admin = newClient(url);
    });

    afterAll(async () => {
      for (const c of clients) c.disconnect();
      for (const p of prefixes) await deleteByPrefix(admin, p);
      await admin.quit();
    });

    it('sends the scripts of one event-loop turn in one write, and each hop still gets its own answer', async () => {
      const { store, client } = makeStore();
      await client.ping();
      const socket = client.stream;
      const phone = '+254711000333';
      const opening = Promise.all(['ATUid_c1', 'ATUid_c2', 'ATUid_c3'].map((id) => store.open(id, phone)));
      // corked until the turn ends: the three opens leave together
      expect(socket.writableCorked).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(socket.writableCorked).toBe(0);
      const sessions = await opening;
      expect(sessions.map((s) => s?.record)).toEqual([null, null, null]);
      const results = await Promise.all(
        sessions.map((s, i) => s!.commit(record({ phone }), hop({ sessionId: `ATUid_c${i + 1}`, phone }), 180)),
      );
      expect(results).toEqual(['committed', 'committed', 'committed']);
      const again = await store.open('ATUid_c2', phone);
      expect(again?.record).toMatchObject({ phone });
      await again!.release();
    });

    it('keeps every key under the prefix, with the documented names and JSON values', async () => {
      const { store, prefix } = makeStore();
      const r = record({ phone: '+254711000111' });
      const x = hop({ sessionId: 'ATUid_k', phone: '+254711000111' });
      const s = await store.open('ATUid_k', '+254711000111');
      expect(await s!.commit(r, x, 180, { kind: 'set', value: { v: 1 }, ttlSeconds: 600 })).toBe('committed');
      const held = await store.open('ATUid_k', '+254711000111');
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await admin.scan(cursor, 'MATCH', `${prefix}*`);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
      expect(keys.sort()).toEqual(
        [`${prefix}hops`, `${prefix}lock:ATUid_k`, `${prefix}resume:+254711000111`, `${prefix}s:ATUid_k`].sort(),
      );
      expect(await admin.type(`${prefix}hops`)).toBe('stream');
      const [version, json] = (await admin.get(`${prefix}s:ATUid_k`))!.split('\n');
      expect(version).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(json!)).toEqual(r);
      expect(JSON.parse((await admin.get(`${prefix}resume:+254711000111`))!)).toEqual({ v: 1 });
      const entries = await admin.xrange(`${prefix}hops`, '-', '+');
      expect(entries).toHaveLength(1);
      expect(entries[0]![1]).toEqual(['hop', JSON.stringify(hopRow(x))]);
      await held!.release();
      expect(await admin.exists(`${prefix}lock:ATUid_k`)).toBe(0);
    });

    it('a hop is two round trips: open and commit are one script each, and release after a commit sends nothing', async () => {
      const { store, client, prefix } = makeStore();
      await client.ping();
      const info = await client.client('INFO');
      const addr = /addr=(\S+)/.exec(String(info))?.[1];
      expect(addr).toBeDefined();
      const seen: { source: string; args: string[] }[] = [];
      const waiters: [string, () => void][] = [];
      const stopMonitor = await rawMonitor(url, (source, args) => {
        // commands run by a script show up with source "lua"; ours are told apart by the key prefix
        if (source !== addr && !(source === 'lua' && args[1]?.startsWith(prefix))) return;
        seen.push({ source, args });
        for (const [marker, done] of waiters) if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) done();
      });
      /** sends ECHO marker until MONITOR reports it, so nothing before/after it is missed or mixed in */
      const sync = async (marker: string): Promise<void> => {
        let seenIt = false;
        waiters.push([marker, () => void (seenIt = true)]);
        for (let i = 0; !seenIt && i < 200; i++) {
          await client.echo(marker);
          await new Promise((r) => setTimeout(r, 10));
        }
        expect(seenIt).toBe(true);
      };
      const phone = '+254711000222';
      let ops: { source: string; args: string[] }[] = [];
      try {
        await sync('begin');
        const from = seen.length;
        const s = await store.open('ATUid_m', phone);
        await s!.commit(record({ phone }), hop({ sessionId: 'ATUid_m', phone }), 180, { kind: 'set', value: 'slip', ttlSeconds: 120 });
        await s!.release();
        await sync('end');
        ops = seen.slice(from).filter((o) => o.args[0]?.toLowerCase() !== 'echo');
      } finally {
        stopMonitor();
      }
      const trips = ops.filter((o) => o.source === addr).map((o) => o.args[0]!.toLowerCase());
      expect(trips).toHaveLength(2);
      for (const t of trips) expect(['eval', 'evalsha']).toContain(t);
      const inScripts = ops.filter((o) => o.source === 'lua').map((o) => [o.args[0]!.toLowerCase(), o.args[1]]);
      expect(inScripts).toEqual([
        ['set', `${prefix}lock:ATUid_m`],
        ['get', `${prefix}s:ATUid_m`],
        ['pttl', `${prefix}resume:${phone}`],
        ['getdel', `${prefix}resume:${phone}`],
        ['get', `${prefix}lock:ATUid_m`],
        ['set', `${prefix}s:ATUid_m`],
        ['xadd', `${prefix}hops`],
        ['set', `${prefix}resume:${phone}`],
        ['del', `${prefix}lock:ATUid_m`],
      ]);
      const recordSet = ops.find((o) => o.source === 'lua' && o.args[0]!.toLowerCase() === 'set' && o.args[1] === `${prefix}s:ATUid_m`)!;
      expect(recordSet.args.slice(3).map((a) => a.toLowerCase())).toEqual(['px', '180000']);
    });

    it('reads a record stored before records had versions (plain JSON), and moves it on to a versioned one', async () => {
      const { store, prefix } = makeStore();
      const phone = '+254700000000';
      const old = record({ seq: 4, lastText: '1*1', phone });
      await admin.set(`${prefix}s:ATUid_v`, JSON.stringify(old), 'PX', 60_000);
      const s = await store.open('ATUid_v', phone);
      expect(s!.record).toEqual(old);
      expect(Object.isFrozen(s!.record)).toBe(false);
      expect(await s!.commit(record({ seq: 5, phone }), hop({ sessionId: 'ATUid_v', seq: 5, phone }), 180)).toBe('committed');
      expect((await admin.get(`${prefix}s:ATUid_v`))!.split('\n')[1]).toBe(JSON.stringify(record({ seq: 5, phone })));
    });

    it('sends the record only when it changed since this instance held it', async () => {
      const { store, client, prefix } = makeStore();
      const phone = '+254700000000';
      const r = record({ seq: 1, phone });
      expect(await commitOn(store, 'ATUid_h', 1)).toBe('committed');
      const replies: unknown[] = [];
      const sendCommand = client.sendCommand.bind(client);
      client.sendCommand = (command) => {
        if (command.name === 'evalsha' || command.name === 'eval') void command.promise.then((reply) => replies.push(reply), () => {});
        return sendCommand(command);
      };
      const held = await store.open('ATUid_h', phone);
      await held!.release();
      expect(held!.record).toEqual(r);
      expect(replies[0]).toEqual([1]);
      await admin.set(`${prefix}s:ATUid_h`, `another-version\n${JSON.stringify(record({ seq: 7, phone }))}`, 'PX', 60_000);
      const changed = await store.open('ATUid_h', phone);
      await changed!.release();
      expect(changed!.record).toMatchObject({ seq: 7 });
      expect(replies[2]).toEqual([`another-version\n${JSON.stringify(record({ seq: 7, phone }))}`]);
    });

    it('with recentRecords 0 reads and parses the record on every open', async () => {
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      const client = newClient(url);
      clients.push(client);
      const store = new RedisSessionStore(client, { prefix, recentRecords: 0 });
      const r = record({ seq: 1, phone: '+254700000000' });
      const s = await store.open('ATUid_z', '+254700000000');
      await s!.commit(r, hop({ sessionId: 'ATUid_z', phone: '+254700000000' }), 180);
      const again = await store.open('ATUid_z', '+254700000000');
      await again!.release();
      expect(again!.record).toEqual(r);
      expect(again!.record).not.toBe(r);
      expect(Object.isFrozen(again!.record)).toBe(false);
    });

    it('keeps working after Redis forgets its scripts (restart, failover, SCRIPT FLUSH)', async () => {
      const { store } = makeStore();
      expect(await commitOn(store, 'ATUid_f', 1)).toBe('committed');
      await admin.script('FLUSH');
      expect(await commitOn(store, 'ATUid_f', 2)).toBe('committed');
      const s = await store.open('ATUid_f', '+254700000000');
      expect(s!.record).toMatchObject({ seq: 2 });
      await s!.release();
    });

    it('maxHops trims the stream approximately (MAXLEN ~)', async () => {
      const { store, prefix } = makeStore({ maxHops: 10 });
      const pipeline: Promise<unknown>[] = [];
      for (let seq = 1; seq <= 400; seq++) pipeline.push(commitOn(store, `ATUid_t${seq}`, seq));
      await Promise.all(pipeline);
      const len = await admin.xlen(`${prefix}hops`);
      expect(len).toBeGreaterThanOrEqual(10);
      expect(len).toBeLessThan(400);
      const hops = rowsOf(await store.readHops(1_000));
      expect(hops.at(-1)?.seq).toBe(400);
    });

    it('rejects an invalid maxHops', () => {
      expect(() => new RedisSessionStore(admin, { maxHops: 0 })).toThrow(RangeError);
    });

    it('returns entries as stored, unparsed: one without a hop field as an empty string', async () => {
      const { store, prefix } = makeStore();
      const junk = await admin.xadd(`${prefix}hops`, '*', 'junk', 'x');
      await commitOn(store, 'ATUid_j', 1);
      const bad = await admin.xadd(`${prefix}hops`, '*', 'hop', '{not json');
      const read = await store.readHops(10);
      const committed = hopRow(hop({ sessionId: 'ATUid_j', seq: 1, phone: '+254700000000' }));
      expect(read.map((x) => x.json)).toEqual(['', JSON.stringify(committed), '{not json']);
      expect([read[0]!.id, read[2]!.id]).toEqual([junk, bad]);
      // the drainer deals with them (drops them, then acks them with the rest); reading alone removes nothing
      expect(await admin.xlen(`${prefix}hops`)).toBe(3);
    });

    it('acks with one XTRIM MINID, whatever the number of entries read', async () => {
      const { store, client, prefix } = makeStore();
      for (let seq = 1; seq <= 50; seq++) await commitOn(store, 'ATUid_x', seq);
      const read = await store.readHops(40);
      const sent: unknown[][] = [];
      const send = client.sendCommand.bind(client);
      const spy = vi.spyOn(client, 'sendCommand').mockImplementation((command, stream) => {
        sent.push([command.name, ...command.args.map(String)]);
        return send(command, stream);
      });
      try {
        await store.ackHopsThrough(read.at(-1)!.id);
      } finally {
        spy.mockRestore();
      }
      const [ms, seq] = read.at(-1)!.id.split('-');
      expect(sent).toEqual([['xtrim', `${prefix}hops`, 'MINID', `${ms}-${Number(seq) + 1}`]]);
      expect(rowsOf(await store.readHops(100)).map((x) => x.seq)).toEqual([41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
    });

    it('acks an entry whose id has the highest sequence number of its millisecond', async () => {
      const { store, prefix } = makeStore();
      await admin.xadd(`${prefix}hops`, '5-18446744073709551615', 'hop', '{}');
      await admin.xadd(`${prefix}hops`, '6-0', 'hop', '{}');
      const [first] = await store.readHops(1);
      await store.ackHopsThrough(first!.id);
      expect((await store.readHops(10)).map((x) => x.id)).toEqual(['6-0']);
    });
  });

  describe('when Redis is down', () => {
    const DOWN_URL = 'redis://127.0.0.1:1';
    const configs: [string, RedisOptions][] = [
      ['offline queue disabled', { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 500 }],
      ['offline queue enabled, maxRetriesPerRequest 1', { maxRetriesPerRequest: 1, connectTimeout: 500, retryStrategy: () => 50 }],
    ];

    for (const [label, opts] of configs) {
      it(`rejects quickly (${label})`, async () => {
        const client = newClient(DOWN_URL, opts);
        const store = new RedisSessionStore(client, { prefix: uniquePrefix() });
        try {
          const bounded = async (p: Promise<unknown>): Promise<void> => {
            const t0 = Date.now();
            await expect(p).rejects.toThrow();
            expect(Date.now() - t0).toBeLessThan(3_000);
          };
          await bounded(store.open('ATUid_down', '+254700000000'));
          await bounded(store.open('ATUid_down', '+254700000000', { waitMs: 100 }));
          await bounded(store.readHops(10));
          await bounded(store.ackHopsThrough('1-0'));
          expect(await store.ping()).toBe(false);
        } finally {
          await store.close();
        }
        // closed for good: no further reconnect attempts, and commands still reject
        let attempts = 0;
        client.on('reconnecting', () => attempts++);
        client.on('connect', () => attempts++);
        await new Promise((r) => setTimeout(r, 300));
        expect(attempts).toBe(0);
        await expect(store.open('ATUid_down', '+254700000000')).rejects.toThrow();
      });
    }
  });
});
