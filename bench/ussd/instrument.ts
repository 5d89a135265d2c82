/**
 * Cheap counters around the gateway's session store, database and Redis client, for the USSD bench's gateway child.
 * Nothing in src/ is changed: the child hands the wrapped parts to `startGateway` (which accepts a ready-made db and
 * store), so the hop path runs exactly as in production, plus a few `performance.now()` calls and map updates.
 *
 * A hop's stages are told apart by session id: the hop lock serialises a session's hops, so between `lock(id)` and
 * its release every store call for `id` belongs to that hop. The conversation (XState machine + core queries) is the
 * time between the end of load (or takeResume, on a session's first hop) and the start of save.
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Db, Queryable } from '../../src/core/db.ts';
import type { HopRecord, SessionLock, SessionRecord, SessionStore } from '../../src/sessions/session-store.ts';
import { Latencies, round } from '../stats.ts';
import type { GatewayStats, StageFigure } from './protocol.ts';

/**
 * queries not made by a hop, told by what they touch: the hop log drainer, the SMS outbox worker, the payments
 * reconciler (and its advisory lock), readiness probes. The scenarios start no deposit or withdrawal, so no hop
 * touches the payment tables.
 */
const BACKGROUND_SQL = /ussd_hops|sms_outbox|payment_|payouts|deposits|advisory|SELECT 1 AS up/;
/** Redis commands not made by a hop: the hop log drainer */
const BACKGROUND_REDIS = new Set(['xrange', 'xdel', 'ping']);

interface Inflight {
  t0: number;
  lock: number;
  load: number;
  loadEnd: number;
  conversation: number;
  save: number;
  seq: number;
}

interface SeqSums {
  hops: number;
  lock: number;
  load: number;
  conversation: number;
  save: number;
  release: number;
  hop: number;
}

export class HopCounters {
  store = new Map<string, StageFigure>();
  conversation: StageFigure = { calls: 0, ms: 0 };
  bySeq = new Map<number, SeqSums>();
  db = new Map<string, StageFigure & { background: boolean }>();
  redisCommands = new Map<string, number>();
  redisTrips = 0;
  redisBackgroundTrips = 0;
  hopLatency = new Latencies(1_000_000);
  requestLatency = new Latencies(1_000_000);
  startedAt = performance.now();

  reset(): void {
    this.store.clear();
    this.conversation = { calls: 0, ms: 0 };
    this.bySeq.clear();
    this.db.clear();
    this.redisCommands.clear();
    this.redisTrips = 0;
    this.redisBackgroundTrips = 0;
    this.hopLatency = new Latencies(1_000_000);
    this.requestLatency = new Latencies(1_000_000);
    this.startedAt = performance.now();
  }

  addStore(stage: string, ms: number): void {
    const f = this.store.get(stage) ?? { calls: 0, ms: 0 };
    f.calls += 1;
    f.ms += ms;
    this.store.set(stage, f);
  }

  addQuery(sql: string, ms: number): void {
    const kind = sql.replace(/\s+/g, ' ').trim().slice(0, 70);
    const f = this.db.get(kind) ?? { calls: 0, ms: 0, background: BACKGROUND_SQL.test(sql) };
    f.calls += 1;
    f.ms += ms;
    this.db.set(kind, f);
  }

  finishHop(f: Inflight, release: number, end: number): void {
    const hop = end - f.t0;
    this.hopLatency.add(hop);
    const s = this.bySeq.get(f.seq) ?? { hops: 0, lock: 0, load: 0, conversation: 0, save: 0, release: 0, hop: 0 };
    s.hops += 1;
    s.lock += f.lock;
    s.load += f.load;
    s.conversation += f.conversation;
    s.save += f.save;
    s.release += release;
    s.hop += hop;
    this.bySeq.set(f.seq, s);
  }

  snapshot(extra: Pick<GatewayStats, 'eventLoop' | 'profile'>): GatewayStats {
    const fig = (m: Map<string, StageFigure>) =>
      Object.fromEntries([...m.entries()].map(([k, v]) => [k, { calls: v.calls, ms: round(v.ms, 1) }]));
    const req = this.requestLatency.summary();
    const hop = this.hopLatency.summary();
    return {
      windowMs: round(performance.now() - this.startedAt, 0),
      requests: req.count,
      requestMs: { mean: req.meanMs, p50: req.p50Ms, p99: req.p99Ms, max: req.maxMs },
      hopMs: { mean: hop.meanMs, p50: hop.p50Ms, p99: hop.p99Ms },
      store: fig(this.store),
      conversation: { calls: this.conversation.calls, ms: round(this.conversation.ms, 1) },
      bySeq: Object.fromEntries(
        [...this.bySeq.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([seq, s]) => {
            const mean = (x: number) => round(x / Math.max(s.hops, 1), 2);
            return [
              String(seq),
              {
                hops: s.hops,
                lock: mean(s.lock),
                load: mean(s.load),
                conversation: mean(s.conversation),
                save: mean(s.save),
                release: mean(s.release),
                hop: mean(s.hop),
              },
            ];
          }),
      ),
      db: Object.fromEntries(
        [...this.db.entries()]
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([k, v]) => [k, { calls: v.calls, ms: round(v.ms, 1), background: v.background }]),
      ),
      redis: {
        commands: Object.fromEntries([...this.redisCommands.entries()].sort((a, b) => b[1] - a[1])),
        trips: this.redisTrips,
        backgroundTrips: this.redisBackgroundTrips,
      },
      ...extra,
    };
  }
}

/** the session store with every call timed, and the hop's stages stitched together by session id */
export function timedStore(inner: SessionStore, c: HopCounters): SessionStore {
  const inflight = new Map<string, Inflight>();
  /** takeResume is keyed by phone: its time joins the hop of that phone's session at save */
  const taken = new Map<string, { end: number; ms: number }>();
  const timed = async <T>(stage: string, fn: () => Promise<T>): Promise<{ value: T; start: number; end: number }> => {
    const start = performance.now();
    try {
      const value = await fn();
      return { value, start, end: performance.now() };
    } finally {
      c.addStore(stage, performance.now() - start);
    }
  };
  return {
    async lock(sessionId, opts): Promise<SessionLock | null> {
      const { value: lock, start, end } = await timed('lock', () => inner.lock(sessionId, opts));
      if (lock === null) return null;
      const f: Inflight = { t0: start, lock: end - start, load: 0, loadEnd: end, conversation: 0, save: 0, seq: 0 };
      inflight.set(sessionId, f);
      return {
        async release() {
          const r0 = performance.now();
          try {
            await timed('release', () => lock.release());
          } finally {
            const r1 = performance.now();
            if (inflight.get(sessionId) === f) inflight.delete(sessionId);
            c.finishHop(f, r1 - r0, r1);
          }
        },
      };
    },
    async load(sessionId): Promise<SessionRecord | null> {
      const { value, start, end } = await timed('load', () => inner.load(sessionId));
      const f = inflight.get(sessionId);
      if (f) {
        f.load += end - start;
        f.loadEnd = end;
      }
      return value;
    },
    async save(sessionId, record, hop: HopRecord, ttlSeconds) {
      const start = performance.now();
      const f = inflight.get(sessionId);
      if (f) {
        const t = taken.get(hop.phone);
        if (t && t.end > f.loadEnd) {
          f.load += t.ms;
          f.loadEnd = t.end;
        }
        taken.delete(hop.phone);
        f.conversation = start - f.loadEnd;
        f.seq = hop.seq;
        c.conversation.calls += 1;
        c.conversation.ms += f.conversation;
      }
      await timed('save', () => inner.save(sessionId, record, hop, ttlSeconds));
      if (f) f.save = performance.now() - start;
    },
    async takeResume(phone) {
      const { value, start, end } = await timed('takeResume', () => inner.takeResume(phone));
      taken.set(phone, { end, ms: end - start });
      return value;
    },
    setResume: async (phone, value, ttl) => (await timed('setResume', () => inner.setResume(phone, value, ttl))).value,
    clearResume: async (phone) => (await timed('clearResume', () => inner.clearResume(phone))).value,
    readHops: async (max) => (await timed('readHops (drainer)', () => inner.readHops(max))).value,
    ackHops: async (ids) => (await timed('ackHops (drainer)', () => inner.ackHops(ids))).value,
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

function timedQueryable(q: Queryable, c: HopCounters): Queryable {
  return {
    async query(sql, params) {
      const t = performance.now();
      try {
        return await q.query(sql, params);
      } finally {
        c.addQuery(sql, performance.now() - t);
      }
    },
    exec: (sql) => q.exec(sql),
  };
}

/** the database with every statement timed by kind; a transaction's statements are timed one by one */
export function timedDb(db: Db, c: HopCounters): Db {
  const q = timedQueryable(db, c);
  return {
    kind: db.kind,
    query: q.query,
    exec: q.exec,
    tx: (fn) => db.tx((tq) => fn(timedQueryable(tq, c))),
    session: (fn) => db.session((sq) => fn(timedQueryable(sq, c))),
    close: () => db.close(),
  };
}

/**
 * Counts the commands the ioredis client sends, by name, and the round trips: a command sent on its own is one; the
 * commands of a MULTI…EXEC pipeline are written together and count once (at MULTI).
 */
export function countRedis(redis: Redis, c: HopCounters): void {
  const send = redis.sendCommand.bind(redis) as (...args: unknown[]) => unknown;
  (redis as unknown as { sendCommand: (...args: unknown[]) => unknown }).sendCommand = (...args: unknown[]) => {
    const cmd = args[0] as { name?: string; args?: unknown[] } | undefined;
    const name = String(cmd?.name ?? '?').toLowerCase();
    const nx = name === 'set' && Array.isArray(cmd?.args) && cmd.args.some((a) => String(a).toUpperCase() === 'NX');
    const label = nx ? 'set nx (lock)' : name;
    c.redisCommands.set(label, (c.redisCommands.get(label) ?? 0) + 1);
    const inPipeline = args[1] !== undefined;
    if (!inPipeline || name === 'multi') {
      if (BACKGROUND_REDIS.has(name)) c.redisBackgroundTrips += 1;
      else c.redisTrips += 1;
    }
    return send(...args);
  };
}
