/**
 * Cheap counters around the gateway's session store, database and Redis client, for the USSD bench's gateway child.
 * Nothing in src/ is changed: the child hands the wrapped parts to `startGateway` (which accepts a ready-made db and
 * store), so the hop path runs exactly as in production, plus a few `performance.now()` calls and map updates.
 *
 * A hop's stages are timed on the session handle `open` returns, which belongs to that one hop: open (lock + record +
 * resume offer, one round trip), the conversation (XState machine + core queries: from the end of open to the start of
 * commit), commit (record + hop log + offer + unlock, one round trip) and release (a round trip only for hops that did
 * not commit: retries, stale or ended sessions, failures; after a commit it does nothing and is not counted as a call).
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Db, Queryable } from '../../src/core/db.ts';
import type { OpenSession, SessionStore } from '../../src/sessions/session-store.ts';
import { Latencies, round } from '../stats.ts';
import type { GatewayStats, StageFigure } from './protocol.ts';

/**
 * queries not made by a hop, told by what they touch: the hop log drainer, the SMS outbox worker, the payments
 * reconciler (and its advisory lock), readiness probes. The scenarios start no deposit or withdrawal, so no hop
 * touches the payment tables.
 */
const BACKGROUND_SQL = /ussd_hops|sms_outbox|payment_|payouts|deposits|advisory|SELECT 1 AS up/;
/** Redis commands not made by a hop: the hop log drainer */
const BACKGROUND_REDIS = new Set(['xrange', 'xtrim', 'ping']);

interface Inflight {
  t0: number;
  open: number;
  openEnd: number;
  conversation: number;
  commit: number;
  /** the hop's number in its session; 0 for a hop that did not commit */
  seq: number;
}

interface SeqSums {
  hops: number;
  open: number;
  conversation: number;
  commit: number;
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
    const s = this.bySeq.get(f.seq) ?? { hops: 0, open: 0, conversation: 0, commit: 0, release: 0, hop: 0 };
    s.hops += 1;
    s.open += f.open;
    s.conversation += f.conversation;
    s.commit += f.commit;
    s.release += release;
    s.hop += hop;
    this.bySeq.set(f.seq, s);
  }

  snapshot(extra: Pick<GatewayStats, 'eventLoop' | 'gc' | 'profile'>): GatewayStats {
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
                open: mean(s.open),
                conversation: mean(s.conversation),
                commit: mean(s.commit),
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

/** the session store with every call timed, and each hop's stages summed on the handle `open` returned for it */
export function timedStore(inner: SessionStore, c: HopCounters): SessionStore {
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
    async open(sessionId, phone, opts): Promise<OpenSession | null> {
      const { value: session, start, end } = await timed('open', () => inner.open(sessionId, phone, opts));
      if (session === null) return null;
      const f: Inflight = { t0: start, open: end - start, openEnd: end, conversation: 0, commit: 0, seq: 0 };
      let committed = false;
      return {
        record: session.record,
        resume: session.resume,
        async commit(record, hop, ttlSeconds, resume) {
          const start = performance.now();
          f.conversation = start - f.openEnd;
          f.seq = hop.seq;
          c.conversation.calls += 1;
          c.conversation.ms += f.conversation;
          try {
            const { value } = await timed('commit', () => session.commit(record, hop, ttlSeconds, resume));
            committed = true;
            return value;
          } finally {
            f.commit = performance.now() - start;
          }
        },
        async release() {
          const r0 = performance.now();
          try {
            if (committed) await session.release();
            else await timed('release', () => session.release());
          } finally {
            const r1 = performance.now();
            c.finishHop(f, r1 - r0, r1);
          }
        },
      };
    },
    readHops: async (max) => (await timed('readHops (drainer)', () => inner.readHops(max))).value,
    ackHopsThrough: async (lastId) => (await timed('ackHops (drainer)', () => inner.ackHopsThrough(lastId))).value,
    forgetKept: (sessionId) => inner.forgetKept(sessionId),
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
 * commands of a MULTI…EXEC pipeline are written together and count once (at MULTI). The session store's open, commit
 * and release scripts all show as evalsha (the store's stage figures tell them apart).
 */
export function countRedis(redis: Redis, c: HopCounters): void {
  const send = redis.sendCommand.bind(redis) as (...args: unknown[]) => unknown;
  (redis as unknown as { sendCommand: (...args: unknown[]) => unknown }).sendCommand = (...args: unknown[]) => {
    const cmd = args[0] as { name?: string; args?: unknown[] } | undefined;
    const name = String(cmd?.name ?? '?').toLowerCase();
    c.redisCommands.set(name, (c.redisCommands.get(name) ?? 0) + 1);
    const inPipeline = args[1] !== undefined;
    if (!inPipeline || name === 'multi') {
      if (BACKGROUND_REDIS.has(name)) c.redisBackgroundTrips += 1;
      else c.redisTrips += 1;
    }
    return send(...args);
  };
}
