/**
 * In-process {@link SessionStore} for tests, local development and single-instance runs.
 *
 * Behaves like the Redis implementation (same contract test suite):
 * - values are stored as JSON strings, so the same serialisation rules apply (e.g. `undefined` fields disappear, a
 *   BigInt throws); records carry a version (the token of the commit that wrote them) and, like the Redis store, this
 *   store hands back the frozen record it last committed or read while the stored version is still that one
 *   (recent-records.ts), and a parsed copy otherwise;
 * - TTLs are measured on the injectable clock (`opts.now`), and expired entries behave
 *   as absent, so expiry is testable without sleeping;
 * - the per-session lock is an in-process FIFO mutex with the same `ttlMs` / `waitMs`
 *   semantics: the lock expires `ttlMs` after it was taken (on the injected clock) and
 *   may then be taken over; `waitMs` is a real-time bound on how long `open` waits.
 *   Waiters are served in arrival order (the Redis lock gives no such guarantee);
 * - `open` reads the record and takes the offer in the same synchronous step that grants
 *   the lock, and `commit` checks the lock and writes everything in one synchronous step,
 *   so both are atomic like the Redis scripts; a lock past its expiry is not ours, taken
 *   over or not;
 * - hop records go to an in-process array drained through `readHops` / `ackHopsThrough`, with stream-like ids
 *   (`<n>-0`, n counting up).
 */
import { randomUUID } from 'node:crypto';
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

interface Expiring {
  json: string;
  expiresAt: number;
}

interface StoredRecord extends Expiring {
  version: string;
}

interface HeldLock {
  token: string;
  expiresAt: number;
}

interface Waiter {
  ttlMs: number;
  grant(token: string): void;
  fail(err: Error): void;
}

/** While callers are queued, how often to check whether the holder's lock expired (real time). */
const LOCK_POLL_MS = 10;
/** Sweep expired entries every this many writes so abandoned sessions do not leak. */
const SWEEP_EVERY = 1_000;

export interface MemorySessionStoreOptions {
  /** clock used for TTLs (records, resume entries, lock expiry); defaults to Date.now */
  now?: () => number;
  /** when set, the oldest hop records are dropped beyond this many (default: unbounded) */
  maxHops?: number;
  /** how many recently committed records are handed back without parsing (default 1,000; 0 = none) */
  recentRecords?: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly now: () => number;
  private readonly maxHops: number;
  private readonly sessions = new Map<string, StoredRecord>();
  private readonly recent: RecentRecords;
  private readonly resumes = new Map<string, Expiring>();
  private readonly locks = new Map<string, HeldLock>();
  /** per-session FIFO of callers waiting for the lock (present only while non-empty) */
  private readonly queues = new Map<string, Waiter[]>();
  /** per-session timers that hand an expired lock to the queue head */
  private readonly pollers = new Map<string, ReturnType<typeof setInterval>>();
  private hops: (HopEntry & { n: number })[] = [];
  private hopCounter = 0;
  private writes = 0;
  private closed = false;

  constructor(opts?: MemorySessionStoreOptions) {
    this.now = opts?.now ?? Date.now;
    this.maxHops = opts?.maxHops ?? Number.POSITIVE_INFINITY;
    this.recent = new RecentRecords(opts?.recentRecords);
  }

  async open(sessionId: string, phone: string, opts?: { ttlMs?: number; waitMs?: number }): Promise<OpenSession | null> {
    this.assertOpen();
    const { ttlMs, waitMs } = lockOptions(opts);
    this.handOff(sessionId); // notice an expired holder now rather than at the next poll
    // no barging: while others are queued for this session, newcomers queue behind them
    if (!this.queues.has(sessionId)) {
      const token = this.tryAcquire(sessionId, ttlMs);
      if (token !== null) return this.opened(sessionId, phone, token);
    }
    if (waitMs === 0) return null;
    return new Promise<OpenSession | null>((resolve, reject) => {
      const waiter: Waiter = {
        ttlMs,
        grant: (token) => {
          clearTimeout(timer);
          resolve(this.opened(sessionId, phone, token));
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.removeWaiter(sessionId, waiter);
        resolve(null);
      }, waitMs);
      let queue = this.queues.get(sessionId);
      if (queue === undefined) {
        queue = [];
        this.queues.set(sessionId, queue);
        // the holder may also go away by expiring (injected clock): check periodically
        this.pollers.set(sessionId, setInterval(() => this.handOff(sessionId), LOCK_POLL_MS));
      }
      queue.push(waiter);
    });
  }

  async readHops(max: number): Promise<HopEntry[]> {
    this.assertOpen();
    if (!(max > 0)) return [];
    return this.hops.slice(0, Math.floor(max)).map((h) => ({ id: h.id, json: h.json }));
  }

  async ackHopsThrough(lastId: string): Promise<void> {
    this.assertOpen();
    const last = entryNumber(lastId);
    const kept = this.hops.findIndex((h) => h.n > last);
    this.hops.splice(0, kept === -1 ? this.hops.length : kept);
  }

  forgetKept(sessionId: string): void {
    this.recent.forget(sessionId);
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    // queued lock callers must not wait out their waitMs on a closed store
    for (const [sessionId, queue] of [...this.queues]) {
      this.dropQueue(sessionId);
      for (const waiter of queue) waiter.fail(new Error('MemorySessionStore is closed'));
    }
  }

  // ---------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new Error('MemorySessionStore is closed');
  }

  private readLive<E extends Expiring>(map: Map<string, E>, key: string): E | null {
    const entry = map.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this.now()) {
      map.delete(key);
      return null;
    }
    return entry;
  }

  private readRecord(sessionId: string): SessionRecord | null {
    const stored = this.readLive(this.sessions, sessionId);
    if (stored === null) return null;
    const held = this.recent.get(sessionId);
    if (held !== undefined && held.version === stored.version) return this.recent.keep(sessionId, held.version, held.record);
    return this.recent.keep(sessionId, stored.version, JSON.parse(stored.json) as SessionRecord);
  }

  private tryAcquire(sessionId: string, ttlMs: number): string | null {
    const now = this.now();
    const held = this.locks.get(sessionId);
    if (held !== undefined && held.expiresAt > now) return null;
    const token = randomUUID();
    this.locks.set(sessionId, { token, expiresAt: now + ttlMs });
    return token;
  }

  /** Reads the record and, for a new session, takes the phone's offer: called in the same step that granted the lock. */
  private opened(sessionId: string, phone: string, token: string): OpenSession {
    const record = this.readRecord(sessionId);
    const taken = record === null ? this.readLive(this.resumes, phone) : null;
    if (taken !== null) this.resumes.delete(phone);
    return openSession(record, taken === null ? null : (JSON.parse(taken.json) as unknown), {
      commit: async (change, next) => this.commit(sessionId, phone, token, change, next),
      release: async () => this.release(sessionId, phone, token, taken),
    });
  }

  private holds(sessionId: string, token: string): boolean {
    const held = this.locks.get(sessionId);
    return held !== undefined && held.token === token && held.expiresAt > this.now();
  }

  private commit(sessionId: string, phone: string, token: string, change: EncodedCommit, record: SessionRecord): boolean {
    this.assertOpen();
    if (!this.holds(sessionId, token)) {
      this.recent.forget(sessionId);
      return false;
    }
    const now = this.now();
    this.sessions.set(sessionId, { json: change.recordJson, version: token, expiresAt: now + change.recordTtlMs });
    this.recent.keep(sessionId, token, record);
    this.hopCounter += 1;
    this.hops.push({ n: this.hopCounter, id: `${this.hopCounter}-0`, json: change.hopJson });
    if (this.hops.length > this.maxHops) this.hops.splice(0, this.hops.length - this.maxHops);
    if (change.resume === 'delete') this.resumes.delete(phone);
    else if (change.resume !== null) this.resumes.set(phone, { json: change.resume.json, expiresAt: now + change.resume.ttlMs });
    this.unlock(sessionId);
    this.afterWrite();
    return true;
  }

  /** compare-and-delete: a lock that expired (and perhaps was taken over) is not ours anymore */
  private release(sessionId: string, phone: string, token: string, taken: Expiring | null): void {
    this.assertOpen();
    if (!this.holds(sessionId, token)) return;
    // before the unlock, which may hand the session to a waiter that looks for this very offer;
    // a newer offer written meanwhile wins, and one whose time ran out stays gone (readLive drops it)
    if (taken !== null && this.readLive(this.resumes, phone) === null) this.resumes.set(phone, taken);
    this.unlock(sessionId);
  }

  private unlock(sessionId: string): void {
    this.locks.delete(sessionId);
    this.handOff(sessionId);
  }

  /** Gives the lock to the longest-waiting caller once it is free (released or expired). */
  private handOff(sessionId: string): void {
    const queue = this.queues.get(sessionId);
    if (queue === undefined) return;
    const now = this.now();
    const held = this.locks.get(sessionId);
    if (held !== undefined && held.expiresAt > now) return;
    const next = queue.shift();
    if (queue.length === 0) this.dropQueue(sessionId);
    if (next === undefined) return;
    const token = randomUUID();
    this.locks.set(sessionId, { token, expiresAt: now + next.ttlMs });
    next.grant(token);
  }

  private removeWaiter(sessionId: string, waiter: Waiter): void {
    const queue = this.queues.get(sessionId);
    if (queue === undefined) return;
    const i = queue.indexOf(waiter);
    if (i >= 0) queue.splice(i, 1);
    if (queue.length === 0) this.dropQueue(sessionId);
  }

  private dropQueue(sessionId: string): void {
    this.queues.delete(sessionId);
    clearInterval(this.pollers.get(sessionId));
    this.pollers.delete(sessionId);
  }

  private afterWrite(): void {
    this.writes += 1;
    if (this.writes % SWEEP_EVERY !== 0) return;
    const now = this.now();
    for (const map of [this.sessions, this.resumes]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
    for (const [key, held] of this.locks) if (held.expiresAt <= now) this.locks.delete(key);
  }
}

/** the n of an id `<n>-0`; ids compare by it, not as strings ('10-0' sorts before '9-0') */
function entryNumber(id: string): number {
  const n = Number.parseInt(id, 10);
  if (!Number.isSafeInteger(n) || id !== `${n}-0`) throw new RangeError(`not a hop log entry id: ${id}`);
  return n;
}
