/**
 * In-process {@link SessionStore} for tests, local development and single-instance runs.
 *
 * Behaves like the Redis implementation (same contract test suite):
 * - values are stored as JSON strings, so callers always get fresh copies and the same
 *   serialisation rules apply (e.g. `undefined` fields disappear, a BigInt throws);
 * - TTLs are measured on the injectable clock (`opts.now`), and expired entries behave
 *   as absent, so expiry is testable without sleeping;
 * - the per-session lock is an in-process mutex with the same `ttlMs` / `waitMs`
 *   semantics: the lock expires `ttlMs` after it was taken (on the injected clock) and
 *   may then be taken over; `waitMs` is a real-time bound on how long `lock` waits;
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

/** How often a waiting `lock` re-checks for an expired holder (real time). */
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
  /** per-session waiters, woken in arrival order when the lock is released */
  private readonly waiters = new Map<string, Set<() => void>>();
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
    const deadline = Date.now() + waitMs;
    for (;;) {
      const token = this.tryAcquire(sessionId, ttlMs);
      if (token !== null) return this.makeLock(sessionId, token);
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await this.waitForRelease(sessionId, Math.min(LOCK_POLL_MS, remaining));
      this.assertOpen();
    }
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
    // wake waiters so they notice the store is closed instead of polling until waitMs
    for (const key of [...this.waiters.keys()]) this.wake(key);
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
        this.wake(sessionId);
      },
    };
  }

  private waitForRelease(sessionId: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(sessionId);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(sessionId, set);
      }
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(sessionId) === waiters) this.waiters.delete(sessionId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  /** Wakes the waiters of one session; they retry in arrival order, the first one wins. */
  private wake(sessionId: string): void {
    const set = this.waiters.get(sessionId);
    if (set === undefined) return;
    for (const done of [...set]) done();
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
