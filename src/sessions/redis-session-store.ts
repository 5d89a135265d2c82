/**
 * Redis-backed {@link SessionStore}, shared by all app instances.
 *
 * Keys (all under `prefix`, default `ussd:`):
 * - `${prefix}s:${sessionId}`    session record: its version (the token of the commit that wrote it), a newline, then
 *                                the record as JSON; idle TTL (PX) refreshed on every commit
 * - `${prefix}lock:${sessionId}` per-session lock: random token, `SET NX PX ttl`
 * - `${prefix}hops`              stream of hop records, one entry per hop, field `hop` = its `ussd_hops` row as JSON
 * - `${prefix}resume:${phone}`   resume offer, JSON string with its own TTL
 * The scripts below touch a session's keys, its phone's resume key and the shared stream in one call, which Redis
 * Cluster allows only when all of them hash to one slot: a cluster would need hash tags (e.g. `{sessionId}`) and a
 * different home for the per-phone offer and the stream. These keys assume a single primary.
 *
 * Round trips per hop: `open` is one script (SET NX PX; if taken, GET the record and, when there is none, PTTL +
 * GETDEL the phone's offer; a busy lock is retried with jittered backoff); `commit` is one script (compare the lock
 * token; SET PX the record, XADD the hop, SET PX / DEL the offer, DEL the lock). Nothing runs between a script's
 * commands, so no other hop sees half a commit, and a commit whose lock is no longer ours writes nothing. Scripts go
 * through ioredis `defineCommand`: EVALSHA, with the script sent again when Redis answers NOSCRIPT (after a restart or
 * SCRIPT FLUSH).
 * The scripts of all hops in one event-loop turn leave in one socket write (see `corkTurn`).
 *
 * Hop log drain: plain XRANGE from `-` (oldest first) + XTRIM MINID rather than a consumer group. It gives
 * at-least-once delivery (entries read but not yet acked are returned again by the next `readHops`, e.g. after a
 * drainer crash), needs no group bootstrap (XGROUP CREATE ... MKSTREAM), no pending-entries list and no XAUTOCLAIM of
 * entries owned by dead consumers. The drainer inserts idempotently (UNIQUE (session_id, seq)) and acks after the
 * PostgreSQL commit; drainers of several instances may read the same entries, which only does some work twice (see
 * `ackHopsThrough` for why trimming is still exact then).
 *
 * Failure behaviour: when Redis is unreachable every method rejects (except `ping`, which
 * resolves false), and the caller answers with a polite END screen. How fast it rejects is
 * governed by the ioredis client options; for the hop path use e.g.
 * `{ maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 1_000 }`
 * so a hop never hangs on a dead Redis.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RecentRecords } from './recent-records.ts';
import {
  lockOptions,
  openSession,
  type EncodedCommit,
  type HopEntry,
  type OpenSession,
  type SessionRecord,
  type SessionStore,
} from './session-store.ts';

/**
 * KEYS lock, record, resume; ARGV token, lock ttl ms, the record version this instance holds ('' for none). Null when
 * the lock is busy; otherwise {1} when the record is still at the version held, {record} when it is not, or for a new
 * session {false, offer, offer's PTTL} when the phone had an offer, or {} when it had none.
 */
const OPEN_SCRIPT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local record = redis.call('GET', KEYS[2])
if record then
  if ARGV[3] ~= '' and string.sub(record, 1, #ARGV[3] + 1) == ARGV[3] .. '\\n' then return {1} end
  return {record}
end
local ttl = redis.call('PTTL', KEYS[3])
local offer = redis.call('GETDEL', KEYS[3])
if offer then return {false, offer, ttl} end
return {}
`;

/**
 * KEYS lock, record, hops, resume; ARGV token, record, record ttl ms, hop, maxHops ('' = unbounded),
 * resume op ('set' | 'delete' | ''), offer, offer ttl ms. 1 when applied, 0 (nothing written) when the lock is not ours.
 */
const COMMIT_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if ARGV[5] == '' then
  redis.call('XADD', KEYS[3], '*', 'hop', ARGV[4])
else
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'hop', ARGV[4])
end
if ARGV[6] == 'set' then
  redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[8])
elseif ARGV[6] == 'delete' then
  redis.call('DEL', KEYS[4])
end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * KEYS lock [, resume]; ARGV token [, offer, offer's PTTL when taken]. Deletes the lock only when it still holds our
 * token; then puts a taken offer back unless a newer one was written meanwhile (NX). A PTTL of -1 (no expiry) is kept.
 */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if KEYS[2] then
  local ttl = tonumber(ARGV[3])
  if ttl < 0 then
    redis.call('SET', KEYS[2], ARGV[2], 'NX')
  else
    redis.call('SET', KEYS[2], ARGV[2], 'PX', math.max(ttl, 1), 'NX')
  end
end
return 1
`;

/** the scripts as ioredis commands (defineCommand), named so they cannot clash with anything else on a shared client */
interface SessionScripts {
  ussdSessionOpen(
    lockKey: string,
    recordKey: string,
    resumeKey: string,
    token: string,
    ttlMs: number,
    heldVersion: string,
  ): Promise<(string | number | null)[] | null>;
  ussdSessionCommit(...keysAndArgs: (string | number)[]): Promise<number>;
  ussdSessionRelease(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
}

/** the keys one hop touches besides the shared hop stream */
interface HopKeys {
  lock: string;
  record: string;
  resume: string;
}

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
  /** how many recently committed records this instance keeps to skip re-reading them (default 1,000; 0 = none) */
  recentRecords?: number;
}

export class RedisSessionStore implements SessionStore {
  private readonly prefix: string;
  private readonly hopsKey: string;
  private readonly maxHops: number | undefined;
  private readonly scripts: SessionScripts;
  private readonly recent: RecentRecords;
  private closed = false;
  private corked = false;

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
    this.recent = new RecentRecords(opts?.recentRecords);
    // defining them again on a client another store already uses is harmless: same names, same scripts
    redis.defineCommand('ussdSessionOpen', { lua: OPEN_SCRIPT, numberOfKeys: 3 });
    redis.defineCommand('ussdSessionCommit', { lua: COMMIT_SCRIPT, numberOfKeys: 4 });
    redis.defineCommand('ussdSessionRelease', { lua: RELEASE_SCRIPT });
    this.scripts = redis as unknown as SessionScripts;
  }

  async open(sessionId: string, phone: string, opts?: { ttlMs?: number; waitMs?: number }): Promise<OpenSession | null> {
    this.assertOpen();
    const { ttlMs, waitMs } = lockOptions(opts);
    const keys: HopKeys = { lock: this.lockKey(sessionId), record: this.sessionKey(sessionId), resume: this.resumeKey(phone) };
    const token = randomUUID();
    const deadline = Date.now() + waitMs;
    let backoff = BACKOFF_START_MS;
    for (;;) {
      // held before the call: other sessions' hops may push it out of `recent` while this one waits for Redis
      const held = this.recent.get(sessionId);
      this.corkTurn();
      const opened = await this.scripts.ussdSessionOpen(keys.lock, keys.record, keys.resume, token, ttlMs, held?.version ?? '');
      if (opened !== null) {
        const [stored, offerJson, offerTtlMs] = opened;
        let record: SessionRecord | null = null;
        if (stored === 1) {
          if (held === undefined) throw new Error('session store: Redis confirmed a record version this instance does not hold');
          record = this.recent.keep(sessionId, held.version, held.record);
        } else if (typeof stored === 'string') {
          const read = decodeStoredRecord(stored);
          record = read.version === '' ? read.record : this.recent.keep(sessionId, read.version, read.record);
        }
        const taken = typeof offerJson === 'string' ? { json: offerJson, ttlMs: Number(offerTtlMs) } : null;
        return openSession(record, taken === null ? null : (JSON.parse(taken.json) as unknown), {
          commit: (change, next) => this.commit(sessionId, keys, token, change, next),
          release: () => this.release(keys, token, taken),
        });
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      // jitter so instances contending for the same session do not retry in lockstep
      const sleep = Math.min(remaining, Math.ceil(backoff * (0.5 + Math.random() / 2)));
      await delay(sleep);
      this.assertOpen();
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
    }
  }

  async readHops(max: number): Promise<HopEntry[]> {
    this.assertOpen();
    if (!(max > 0)) return [];
    const entries = await this.redis.xrange(this.hopsKey, '-', '+', 'COUNT', Math.floor(max));
    return entries.map(([id, fields]) => ({ id, json: hopField(fields) }));
  }

  /**
   * One XTRIM MINID instead of an XDEL naming every id read (hundreds of arguments). Exact (no `~`), it removes the
   * entries below the id just after `lastId`, which are exactly the entries the drainer read and inserted:
   * - `readHops` reads from `-`, so it got every entry up to `lastId` that existed then;
   * - XADD only ever adds ids above the highest id the stream has had (Redis refuses a lower explicit id, and `*` never
   *   goes back, even when the clock does), so no entry up to `lastId` can appear after the read;
   * - another instance's drainer that read some of the same entries trims only what it inserted too, and inserting
   *   an entry twice is ON CONFLICT DO NOTHING; trimming what is already gone does nothing.
   * The one way an entry at or below `lastId` could be added after the read is a new stream (the key deleted, or a
   * failover to a replica that missed the newest entries) on a Redis whose clock is behind the old ids: the same
   * failures already lose the entries the replica never had.
   */
  async ackHopsThrough(lastId: string): Promise<void> {
    this.assertOpen();
    await this.redis.xtrim(this.hopsKey, 'MINID', nextStreamId(lastId));
  }

  forgetKept(sessionId: string): void {
    this.recent.forget(sessionId);
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

  /**
   * The hops of one event-loop turn send their scripts to Redis in one write: the socket is corked at the first command
   * and uncorked once the turn's callbacks have run. Under load many hops' replies arrive together and their next
   * commands go out together, which saves a syscall and a Redis wakeup per hop; a lone hop waits only for its turn to end.
   */
  private corkTurn(): void {
    if (this.corked) return;
    const stream = this.redis.stream;
    if (stream === undefined || stream === null || typeof stream.cork !== 'function') return;
    this.corked = true;
    stream.cork();
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
    });
  }

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

  private async commit(sessionId: string, keys: HopKeys, token: string, change: EncodedCommit, record: SessionRecord): Promise<boolean> {
    this.assertOpen();
    const resumeOp = change.resume === null ? '' : change.resume === 'delete' ? 'delete' : 'set';
    const offer = typeof change.resume === 'object' && change.resume !== null ? change.resume : { json: '', ttlMs: 0 };
    // until Redis answers, what it holds for the session is unknown to us
    this.recent.forget(sessionId);
    this.corkTurn();
    const applied = await this.scripts.ussdSessionCommit(
      keys.lock,
      keys.record,
      this.hopsKey,
      keys.resume,
      token,
      `${token}\n${change.recordJson}`,
      change.recordTtlMs,
      change.hopJson,
      this.maxHops ?? '',
      resumeOp,
      offer.json,
      offer.ttlMs,
    );
    if (applied !== 1) return false;
    this.recent.keep(sessionId, token, record);
    return true;
  }

  private async release(keys: HopKeys, token: string, taken: { json: string; ttlMs: number } | null): Promise<void> {
    this.assertOpen();
    if (taken === null) await this.scripts.ussdSessionRelease(1, keys.lock, token);
    else await this.scripts.ussdSessionRelease(2, keys.lock, keys.resume, token, taken.json, taken.ttlMs);
  }
}

/** "<version>\n<json>"; a record written before versions (plain JSON) has version '' and is never held */
function decodeStoredRecord(stored: string): { version: string; record: SessionRecord } {
  const newline = stored.startsWith('{') ? -1 : stored.indexOf('\n');
  return {
    version: newline === -1 ? '' : stored.slice(0, newline),
    record: JSON.parse(newline === -1 ? stored : stored.slice(newline + 1)) as SessionRecord,
  };
}

/** the `hop` field of a stream entry; '' when it has none (an entry someone else wrote) */
function hopField(fields: string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'hop') return fields[i + 1] as string;
  return '';
}

const MAX_STREAM_SEQ = 2n ** 64n - 1n;

/** the smallest stream id above `id` (`<ms>-<seq>`, both unsigned 64-bit) */
function nextStreamId(id: string): string {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (match === null) throw new RangeError(`not a stream entry id: ${id}`);
  const seq = BigInt(match[2]!);
  return seq === MAX_STREAM_SEQ ? `${BigInt(match[1]!) + 1n}-0` : `${match[1]}-${seq + 1n}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
