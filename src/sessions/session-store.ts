/**
 * Port for USSD session state kept between hops.
 *
 * One USSD session (an Africa's Talking `sessionId`) owns one {@link SessionRecord}
 * that is saved with an idle TTL after every hop, plus a per-session lock so hops of
 * one session never run concurrently (even across app instances).
 *
 * Every hop is also recorded for support (the "hop log"). To keep a hop inside its
 * latency budget (one round trip to load, one to save) the hop record is written in
 * the same atomic operation as the session record; a separate drainer moves hop
 * records into PostgreSQL using {@link SessionStore.readHops} / {@link SessionStore.ackHops}.
 *
 * All values are stored as JSON, so `snapshot` and resume values must be
 * JSON-serialisable; what comes back from `load`/`takeResume` is a fresh copy.
 */

export interface SessionRecord {
  /** persisted XState snapshot (JSON) */
  snapshot: unknown;
  /** the `text` of the last handled hop */
  lastText: string;
  /** the full reply body sent for it ("CON ..." / "END ...") */
  lastReply: string;
  /** hops handled so far */
  seq: number;
  /** true once we replied END */
  ended: boolean;
  phone: string;
  /** epoch ms */
  updatedAt: number;
}

export interface HopRecord {
  sessionId: string;
  seq: number;
  phone: string;
  network: string;
  serviceCode: string;
  text: string;
  input: string;
  reply: string;
  state: string;
  latencyMs: number;
  /** epoch ms */
  at: number;
}

export interface SessionLock {
  /** releases the lock if it is still ours; idempotent, never releases someone else's lock */
  release(): Promise<void>;
}

export interface SessionStore {
  /** waits up to waitMs for the per-session lock; returns null when it could not be had */
  lock(sessionId: string, opts?: { ttlMs?: number; waitMs?: number }): Promise<SessionLock | null>;
  load(sessionId: string): Promise<SessionRecord | null>;
  /** saves the record with an idle TTL and appends the hop record, atomically, in one round trip */
  save(sessionId: string, record: SessionRecord, hop: HopRecord, ttlSeconds: number): Promise<void>;
  /** reads up to `max` hop records not yet acknowledged, oldest first */
  readHops(max: number): Promise<{ id: string; hop: HopRecord }[]>;
  /** acknowledges (removes) drained hop records by id */
  ackHops(ids: string[]): Promise<void>;
  /** small key-value for resume offers: survives the session for `ttlSeconds` */
  setResume(phone: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** get-and-delete */
  takeResume(phone: string): Promise<unknown | null>;
  clearResume(phone: string): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** default idle TTL of a session record */
export const DEFAULT_SESSION_TTL_SECONDS = 180;
/** default lock lifetime: longer than any sane hop, short enough that a crashed instance does not wedge a session */
export const DEFAULT_LOCK_TTL_MS = 5_000;
/** default time `lock` waits for a busy session before giving up (returns null) */
export const DEFAULT_LOCK_WAIT_MS = 2_000;

/**
 * Validates a TTL given in seconds and returns it in whole milliseconds (at least 1).
 * Fractional seconds are allowed; zero, negative and non-finite values are rejected.
 */
export function ttlSecondsToMs(ttlSeconds: number): number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RangeError(`ttlSeconds must be a positive finite number, got ${String(ttlSeconds)}`);
  }
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

/** Resolves lock options to whole milliseconds (ttl at least 1 ms, wait at least 0 ms). */
export function lockOptions(opts?: { ttlMs?: number; waitMs?: number }): { ttlMs: number; waitMs: number } {
  const ttlMs = opts?.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const waitMs = opts?.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lock ttlMs must be a positive finite number, got ${String(ttlMs)}`);
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new RangeError(`lock waitMs must be a non-negative finite number, got ${String(waitMs)}`);
  return { ttlMs: Math.max(1, Math.ceil(ttlMs)), waitMs: Math.ceil(waitMs) };
}
