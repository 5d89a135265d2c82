/**
 * Redis-backed {@link SessionStore}, shared by all app instances.
 *
 * Keys (all under `prefix`, default `ussd:`):
 * - `${prefix}s:${sessionId}`    session record, JSON string, idle TTL (PX) refreshed on every save
 * - `${prefix}lock:${sessionId}` per-session lock: random token, `SET NX PX ttl`
 * - `${prefix}hops`              stream of hop records, one entry per hop, field `hop` = JSON
 * - `${prefix}resume:${phone}`   resume offer, JSON string with its own TTL
 *
 * Round trips per hop: `load` is one GET; `save` is one MULTI/EXEC (SET PX + XADD) sent as a
 * single write, so the record and its hop log entry are applied together in one round trip.
 *
 * Hop log drain: plain XRANGE (oldest first) + XDEL rather than a consumer group. There is one
 * logical drainer; XRANGE+XDEL gives at-least-once delivery (entries read but not yet acked
 * are returned again by the next `readHops`, e.g. after a drainer crash), needs no group
 * bootstrap (XGROUP CREATE ... MKSTREAM), no pending-entries list and no XAUTOCLAIM of
 * entries owned by dead consumers. The drainer should insert idempotently (e.g. unique on
 * (session_id, seq)) and ack after the PostgreSQL commit. Run a single drainer at a time: two
 * concurrent drainers would read the same entries (a consumer group would be the tool then).
 *
 * Failure behaviour: when Redis is unreachable every method rejects (except `ping`, which
 * resolves false), and the caller answers with a polite END screen. How fast it rejects is
 * governed by the ioredis client options; for the hop path use e.g.
 * `{ maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 1_000 }`
 * so a hop never hangs on a dead Redis.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  lockOptions,
  ttlSecondsToMs,
  type HopRecord,
  type SessionLock,
  type SessionRecord,
  type SessionStore,
} from './session-store.ts';

/** Deletes KEYS[1] only when it still holds our token ARGV[1]. */
const RELEASE_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
const RELEASE_SHA = createHash('sha1').update(RELEASE_SCRIPT).digest('hex');

/** Lock retry backoff (ms): starts small because hops take milliseconds, grows to a cap. */
const BACKOFF_START_MS = 5;
const BACKOFF_MAX_MS = 50;

export interface RedisSessionStoreOptions {
  /** key prefix, default `ussd:` */
  prefix?: string;
  /**
   * When set, XADD trims the hop stream to roughly this many entries (`MAXLEN ~`), bounding
   * memory if the drainer stops; the oldest undrained hop records are then lost.
   * Default: unbounded.
   */
  maxHops?: number;
}

export class RedisSessionStore implements SessionStore {
  private readonly prefix: string;
  private readonly hopsKey: string;
  private readonly maxHops: number | undefined;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    opts?: RedisSessionStoreOptions,
  ) {
    this.prefix = opts?.prefix ?? 'ussd:';
    this.hopsKey = `${this.prefix}hops`;
    if (opts?.maxHops !== undefined && !(Number.isInteger(opts.maxHops) && opts.maxHops > 0)) {
      throw new RangeError(`maxHops must be a positive integer, got ${String(opts.maxHops)}`);
    }
    this.maxHops = opts?.maxHops;
  }

  async lock(sessionId: string, opts?: { ttlMs?: number; waitMs?: number }): Promise<SessionLock | null> {
    this.assertOpen();
    const { ttlMs, waitMs } = lockOptions(opts);
    const key = this.lockKey(sessionId);
    const token = randomUUID();
    const deadline = Date.now() + waitMs;
    let backoff = BACKOFF_START_MS;
    for (;;) {
      const ok = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
      if (ok === 'OK') return this.makeLock(key, token);
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      // jitter so instances contending for the same session do not retry in lockstep
      const sleep = Math.min(remaining, Math.ceil(backoff * (0.5 + Math.random() / 2)));
      await delay(sleep);
      this.assertOpen();
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
    }
  }

  async load(sessionId: string): Promise<SessionRecord | null> {
    this.assertOpen();
    const json = await this.redis.get(this.sessionKey(sessionId));
    return json === null ? null : (JSON.parse(json) as SessionRecord);
  }

  async save(sessionId: string, record: SessionRecord, hop: HopRecord, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    const ttlMs = ttlSecondsToMs(ttlSeconds);
    const recordJson = JSON.stringify(record);
    const hopJson = JSON.stringify(hop);
    const tx = this.redis.multi().set(this.sessionKey(sessionId), recordJson, 'PX', ttlMs);
    if (this.maxHops === undefined) tx.xadd(this.hopsKey, '*', 'hop', hopJson);
    else tx.xadd(this.hopsKey, 'MAXLEN', '~', this.maxHops, '*', 'hop', hopJson);
    const results = await tx.exec();
    if (results === null) throw new Error('session save transaction was aborted');
    for (const [err] of results) if (err) throw err;
  }

  async readHops(max: number): Promise<{ id: string; hop: HopRecord }[]> {
    this.assertOpen();
    if (!(max > 0)) return [];
    const entries = await this.redis.xrange(this.hopsKey, '-', '+', 'COUNT', Math.floor(max));
    const out: { id: string; hop: HopRecord }[] = [];
    const malformed: string[] = [];
    for (const [id, fields] of entries) {
      const hop = parseHopFields(fields);
      if (hop === null) malformed.push(id);
      else out.push({ id, hop });
    }
    // only this store writes the stream; anything unreadable would otherwise be re-read forever
    if (malformed.length > 0) await this.redis.xdel(this.hopsKey, ...malformed);
    return out;
  }

  async ackHops(ids: string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0) return;
    await this.redis.xdel(this.hopsKey, ...ids);
  }

  async setResume(phone: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    const ttlMs = ttlSecondsToMs(ttlSeconds);
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('resume value is not JSON-serialisable');
    await this.redis.set(this.resumeKey(phone), json, 'PX', ttlMs);
  }

  async takeResume(phone: string): Promise<unknown | null> {
    this.assertOpen();
    const json = await this.redis.getdel(this.resumeKey(phone));
    return json === null ? null : (JSON.parse(json) as unknown);
  }

  async clearResume(phone: string): Promise<void> {
    this.assertOpen();
    await this.redis.del(this.resumeKey(phone));
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /**
   * Closes the ioredis client handed to the constructor (QUIT when connected, otherwise a hard
   * disconnect so it stops reconnecting). Later operations reject; `ping` resolves false.
   */
  async close(): Promise<void> {
    // Operations after close reject via this flag rather than relying on the client's state:
    // ioredis leaves a client disconnected while 'reconnecting' in that status, and with the
    // offline queue enabled its later commands would queue forever.
    this.closed = true;
    if (this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      // not connected (connecting / reconnecting / wait): nothing to flush, stop reconnecting now
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit(); // graceful: waits for replies still in flight
    } catch {
      this.redis.disconnect();
    }
  }

  // ---------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new Error('RedisSessionStore is closed');
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}s:${sessionId}`;
  }

  private lockKey(sessionId: string): string {
    return `${this.prefix}lock:${sessionId}`;
  }

  private resumeKey(phone: string): string {
    return `${this.prefix}resume:${phone}`;
  }

  private makeLock(key: string, token: string): SessionLock {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        await this.compareAndDelete(key, token);
        released = true;
      },
    };
  }

  private async compareAndDelete(key: string, token: string): Promise<void> {
    this.assertOpen();
    try {
      await this.redis.evalsha(RELEASE_SHA, 1, key, token);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      await this.redis.eval(RELEASE_SCRIPT, 1, key, token);
    }
  }
}

function parseHopFields(fields: string[]): HopRecord | null {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'hop') continue;
    try {
      const hop = JSON.parse(fields[i + 1] as string) as unknown;
      return typeof hop === 'object' && hop !== null ? (hop as HopRecord) : null;
    } catch {
      return null;
    }
  }
  return null;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
