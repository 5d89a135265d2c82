/**
 * In-process {@link SessionStore} for tests, local development and single-instance runs.
 *
 * Behaves like the Redis implementation (same contract test suite):
 * - values are stored as JSON strings, so callers always get fresh copies and the same
 *   serialisation rules apply (e.g. `undefined` fields disappear, a BigInt throws);
 * - TTLs are measured on the injectable clock (`opts.now`), and expired entries behave
 *   as absent, so expiry is testable without sleeping;
 * - the per-session lock is an in-process FIFO mutex with the same `ttlMs` / `waitMs`
 *   semantics: the lock expires `ttlMs` after it was taken (on the injected clock) and
 *   may then be taken over; `waitMs` is a real-time bound on how long `lock` waits.
 *   Waiters are served in arrival order (the Redis lock gives no such guarantee);
 * - hop records go to an in-process array drained through `readHops` / `ackHops`.
 */
import { randomUUID } from 'node:crypto';
import {
  lockOptions,
  ttlSecondsToMs,
  type HopRecord,
  type SessionLock,
  type SessionRecord,
  type SessionStore,
} from './session-store.ts';

interface Expiring {
  json: string;
  expiresAt: number;
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
}

export class MemorySessionStore implements SessionStore {
  private readonly now: () => number;
  private readonly maxHops: number;
  private readonly sessions = new Map<string, Expiring>();
  private readonly resumes = new Map<string, Expiring>();
  private readonly locks = new Map<string, HeldLock>();
  /** per-session FIFO of callers waiting for the lock (present only while non-empty) */
  private readonly queues = new Map<string, Waiter[]>();
  /** per-session timers that hand an expired lock to the queue head */
  private readonly pollers = new Map<string, ReturnType<typeof setInterval>>();
  private hops: { id: string; json: string }[] = [];
  private hopCounter = 0;
  private writes = 0;
  private closed = false;

  constructor(opts?: MemorySessionStoreOptions) {
    this.now = opts?.now ?? Date.now;
    this.maxHops = opts?.maxHops ?? Number.POSITIVE_INFINITY;
  }

  async lock(sessionId: string, opts?: { ttlMs?: number; waitMs?: number }): Promise<SessionLock | null> {
    this.assertOpen();
    const { ttlMs, waitMs } = lockOptions(opts);
    this.handOff(sessionId); // notice an expired holder now rather than at the next poll
    // no barging: while others are queued for this session, newcomers queue behind them
    if (!this.queues.has(sessionId)) {
      const token = this.tryAcquire(sessionId, ttlMs);
      if (token !== null) return this.makeLock(sessionId, token);
    }
    if (waitMs === 0) return null;
    return new Promise<SessionLock | null>((resolve, reject) => {
      const waiter: Waiter = {
        ttlMs,
        grant: (token) => {
          clearTimeout(timer);
          resolve(this.makeLock(sessionId, token));
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

  async load(sessionId: string): Promise<SessionRecord | null> {
    this.assertOpen();
    const json = this.readLive(this.sessions, sessionId);
    return json === null ? null : (JSON.parse(json) as SessionRecord);
  }

  async save(sessionId: string, record: SessionRecord, hop: HopRecord, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    const ttlMs = ttlSecondsToMs(ttlSeconds);
    // serialise both before touching state so a failure leaves neither written
    const recordJson = JSON.stringify(record);
    const hopJson = JSON.stringify(hop);
    this.sessions.set(sessionId, { json: recordJson, expiresAt: this.now() + ttlMs });
    this.hopCounter += 1;
    this.hops.push({ id: `${this.hopCounter}-0`, json: hopJson });
    if (this.hops.length > this.maxHops) this.hops.splice(0, this.hops.length - this.maxHops);
    this.afterWrite();
  }

  async readHops(max: number): Promise<{ id: string; hop: HopRecord }[]> {
    this.assertOpen();
    if (!(max > 0)) return [];
    return this.hops.slice(0, Math.floor(max)).map((h) => ({ id: h.id, hop: JSON.parse(h.json) as HopRecord }));
  }

  async ackHops(ids: string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0) return;
    const acked = new Set(ids);
    this.hops = this.hops.filter((h) => !acked.has(h.id));
  }

  async setResume(phone: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.assertOpen();
    const ttlMs = ttlSecondsToMs(ttlSeconds);
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('resume value is not JSON-serialisable');
    this.resumes.set(phone, { json, expiresAt: this.now() + ttlMs });
    this.afterWrite();
  }

  async takeResume(phone: string): Promise<unknown | null> {
    this.assertOpen();
    const json = this.readLive(this.resumes, phone);
    if (json === null) return null;
    this.resumes.delete(phone);
    return JSON.parse(json) as unknown;
  }

  async clearResume(phone: string): Promise<void> {
    this.assertOpen();
    this.resumes.delete(phone);
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

  private readLive(map: Map<string, Expiring>, key: string): string | null {
    const entry = map.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this.now()) {
      map.delete(key);
      return null;
    }
    return entry.json;
  }

  private tryAcquire(sessionId: string, ttlMs: number): string | null {
    const now = this.now();
    const held = this.locks.get(sessionId);
    if (held !== undefined && held.expiresAt > now) return null;
    const token = randomUUID();
    this.locks.set(sessionId, { token, expiresAt: now + ttlMs });
    return token;
  }

  private makeLock(sessionId: string, token: string): SessionLock {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        this.assertOpen();
        released = true;
        // compare-and-delete: a lock that expired and was taken over is not ours anymore
        if (this.locks.get(sessionId)?.token !== token) return;
        this.locks.delete(sessionId);
        this.handOff(sessionId);
      },
    };
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
