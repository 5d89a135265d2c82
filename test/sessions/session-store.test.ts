import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import { hop, record, runSessionStoreContract } from './session-store.contract.ts';

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

// ------------------------------------------------------------------ memory

runSessionStoreContract('memory', async () => {
  const clock = jumpClock();
  const store = new MemorySessionStore({ now: clock.now });
  return { store, advance: clock.advance, cleanup: () => store.close() };
});

describe('MemorySessionStore specifics', () => {
  it('uses the injected clock for lock expiry (takeover without real waiting)', async () => {
    const clock = jumpClock();
    const store = new MemorySessionStore({ now: clock.now });
    const a = await store.lock('s1', { ttlMs: 60_000 });
    expect(a).not.toBeNull();
    expect(await store.lock('s1', { waitMs: 0 })).toBeNull();
    clock.advance(60_000);
    const b = await store.lock('s1', { waitMs: 0 });
    expect(b).not.toBeNull();
    await a!.release();
    expect(await store.lock('s1', { waitMs: 0 })).toBeNull();
    await b!.release();
  });

  it('waiters are served in arrival order', async () => {
    const store = new MemorySessionStore();
    const first = await store.lock('s1');
    const order: number[] = [];
    const waiters = [1, 2, 3].map((i) =>
      store.lock('s1', { waitMs: 5_000 }).then(async (l) => {
        order.push(i);
        await l!.release();
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    await first!.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('close wakes lock waiters, which reject', async () => {
    const store = new MemorySessionStore();
    await store.lock('s1');
    const waiting = store.lock('s1', { waitMs: 10_000 });
    const t0 = Date.now();
    await store.close();
    await expect(waiting).rejects.toThrow(/closed/);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('maxHops drops the oldest hop records', async () => {
    const store = new MemorySessionStore({ maxHops: 3 });
    for (let seq = 1; seq <= 5; seq++) await store.save('s1', record({ seq }), hop({ seq }), 180);
    expect((await store.readHops(10)).map((x) => x.hop.seq)).toEqual([3, 4, 5]);
  });

  it('rejects values that are not JSON-serialisable', async () => {
    const store = new MemorySessionStore();
    await expect(store.save('s1', record({ snapshot: { n: 1n } }), hop(), 180)).rejects.toThrow(TypeError);
    expect(await store.load('s1')).toBeNull();
    expect(await store.readHops(10)).toEqual([]);
    await expect(store.setResume('+254700000000', undefined, 60)).rejects.toThrow(TypeError);
  });
});

// ------------------------------------------------------------------ redis

describe.runIf(REDIS_URL !== undefined && REDIS_URL !== '')('redis', () => {
  const url = REDIS_URL as string;

  runSessionStoreContract('redis', async () => {
    const prefix = uniquePrefix();
    const client = newClient(url);
    const admin = newClient(url);
    const store = new RedisSessionStore(client, { prefix });
    const keyOf = { session: 's:', resume: 'resume:', lock: 'lock:' } as const;
    return {
      store,
      ttlMs: (kind, id) => admin.pttl(`${prefix}${keyOf[kind]}${id}`),
      cleanup: async () => {
        await store.close();
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

    beforeAll(() => {
      admin = newClient(url);
    });

    afterAll(async () => {
      for (const c of clients) c.disconnect();
      for (const p of prefixes) await deleteByPrefix(admin, p);
      await admin.quit();
    });

    it('keeps every key under the prefix, with the documented names and JSON values', async () => {
      const { store, prefix } = makeStore();
      const r = record();
      const x = hop({ sessionId: 'ATUid_k' });
      await store.save('ATUid_k', r, x, 180);
      await store.setResume('+254711000111', { v: 1 }, 600);
      const l = await store.lock('ATUid_k');
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
      expect(JSON.parse((await admin.get(`${prefix}s:ATUid_k`))!)).toEqual(r);
      expect(JSON.parse((await admin.get(`${prefix}resume:+254711000111`))!)).toEqual({ v: 1 });
      const entries = await admin.xrange(`${prefix}hops`, '-', '+');
      expect(entries).toHaveLength(1);
      expect(entries[0]![1]).toEqual(['hop', JSON.stringify(x)]);
      await l!.release();
      expect(await admin.exists(`${prefix}lock:ATUid_k`)).toBe(0);
    });

    it('save sends SET and XADD inside one MULTI/EXEC; load is a single GET', async () => {
      const { store, client, prefix } = makeStore();
      await client.ping();
      const info = await client.client('INFO');
      const addr = /addr=(\S+)/.exec(String(info))?.[1];
      expect(addr).toBeDefined();
      const seen: string[][] = [];
      const waiters: [string, () => void][] = [];
      const stopMonitor = await rawMonitor(url, (source, args) => {
        if (source !== addr) return;
        seen.push(args);
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
      let ops: string[][] = [];
      try {
        await sync('begin');
        const from = seen.length;
        await store.save('ATUid_m', record(), hop({ sessionId: 'ATUid_m' }), 180);
        await store.load('ATUid_m');
        await sync('end');
        ops = seen.slice(from).filter((a) => a[0]?.toLowerCase() !== 'echo');
      } finally {
        stopMonitor();
      }
      expect(ops.map((a) => a[0]!.toLowerCase())).toEqual(['multi', 'set', 'xadd', 'exec', 'get']);
      expect(ops[1]!.slice(0, 2)).toEqual(['set', `${prefix}s:ATUid_m`]);
      expect(ops[1]!.slice(3).map((s) => s.toLowerCase())).toEqual(['px', '180000']);
      expect(ops[2]!.slice(0, 2)).toEqual(['xadd', `${prefix}hops`]);
    });

    it('maxHops trims the stream approximately (MAXLEN ~)', async () => {
      const { store, prefix } = makeStore({ maxHops: 10 });
      const pipeline: Promise<void>[] = [];
      for (let seq = 1; seq <= 400; seq++) pipeline.push(store.save('ATUid_t', record({ seq }), hop({ seq }), 180));
      await Promise.all(pipeline);
      const len = await admin.xlen(`${prefix}hops`);
      expect(len).toBeGreaterThanOrEqual(10);
      expect(len).toBeLessThan(400);
      const hops = await store.readHops(1_000);
      expect(hops.at(-1)?.hop.seq).toBe(400);
    });

    it('rejects an invalid maxHops', () => {
      expect(() => new RedisSessionStore(admin, { maxHops: 0 })).toThrow(RangeError);
    });

    it('drops malformed stream entries instead of returning them forever', async () => {
      const { store, prefix } = makeStore();
      await admin.xadd(`${prefix}hops`, '*', 'junk', 'x');
      await store.save('ATUid_j', record(), hop({ sessionId: 'ATUid_j' }), 180);
      await admin.xadd(`${prefix}hops`, '*', 'hop', '{not json');
      expect((await store.readHops(10)).map((x) => x.hop.sessionId)).toEqual(['ATUid_j']);
      expect(await admin.xlen(`${prefix}hops`)).toBe(1);
    });

    it('a lock held through another store instance (another app instance) is exclusive', async () => {
      const a = makeStore();
      const b = new RedisSessionStore(newClient(url), { prefix: a.prefix });
      try {
        const la = await a.store.lock('ATUid_x');
        expect(la).not.toBeNull();
        expect(await b.lock('ATUid_x', { waitMs: 50 })).toBeNull();
        await la!.release();
        const lb = await b.lock('ATUid_x', { waitMs: 0 });
        expect(lb).not.toBeNull();
        await lb!.release();
      } finally {
        await b.close();
      }
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
          await bounded(store.load('ATUid_down'));
          await bounded(store.save('ATUid_down', record(), hop(), 180));
          await bounded(store.lock('ATUid_down', { waitMs: 100 }));
          await bounded(store.readHops(10));
          await bounded(store.takeResume('+254700000000'));
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
        await expect(store.load('ATUid_down')).rejects.toThrow();
      });
    }
  });
});
