/**
 * Port for USSD session state kept between hops.
 *
 * One USSD session (an Africa's Talking `sessionId`) owns one {@link SessionRecord} that is saved with an idle TTL
 * after every hop, plus a per-session lock so hops of one session never run concurrently (even across app instances).
 * A phone may also have a resume offer (a half-finished slip) that outlives its session so the phone's next session
 * can pick it up.
 *
 * A hop is two round trips: {@link SessionStore.open} takes the lock and, in the same trip, reads the record and (for a
 * new session) takes the phone's resume offer; {@link OpenSession.commit} writes the record, appends the hop record,
 * sets or deletes the resume offer and releases the lock, all atomically and only while the lock is still ours. Hops
 * that save nothing (a retry, a failure) end with {@link OpenSession.release}, one more trip.
 *
 * Every hop is recorded for support (the "hop log"): the hop record is written by the same commit as the session
 * record, so a hop whose reply was sent is in the log; a separate drainer moves hop records into PostgreSQL using
 * {@link SessionStore.readHops} / {@link SessionStore.ackHopsThrough}. The commit writes the record already as the
 * `ussd_hops` row ({@link hopRow}), so the drainer can hand a batch to PostgreSQL without parsing it.
 *
 * All values are stored as JSON, so `snapshot` and resume values must be JSON-serialisable. What `open` returns is
 * read-only: the frozen record this instance kept while the store still holds its version (recent-records.ts), a
 * freshly parsed copy otherwise.
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

/**
 * A hop record as a `ussd_hops` row, the shape `ussd_hops_insert_batch` (migration 008) takes: snake_case columns, `at`
 * an ISO timestamp.
 */
export interface HopRow {
  session_id: string;
  seq: number;
  phone: string;
  network: string;
  service_code: string;
  text: string;
  input: string;
  reply: string;
  state: string;
  latency_ms: number;
  at: string;
}

/** The row of a hop record, made at commit time. */
export function hopRow(hop: HopRecord): HopRow {
  return {
    session_id: hop.sessionId,
    seq: hop.seq,
    phone: hop.phone,
    network: hop.network,
    service_code: hop.serviceCode,
    text: hop.text,
    input: hop.input,
    reply: hop.reply,
    state: hop.state,
    // an int column, CHECK (latency_ms >= 0)
    latency_ms: Math.max(0, Math.round(hop.latencyMs)),
    at: isoTime(hop.at),
  };
}

/** first ms of year 10000: from there on toISOString writes a six-digit year */
const YEAR_10000 = 253_402_300_800_000;
/** the second last formatted by isoTime, and its ISO text up to the milliseconds */
const isoSecond = { start: Number.NaN, prefix: '' };

/**
 * `ms` as Date#toISOString writes it, or the epoch for an invalid time (a commit must not fail over its hop record).
 * The hops of one second share its formatting: toISOString on every hop would make the row's JSON half as dear again
 * (measured about 0.5 µs on 1 µs), on the event loop the hops share.
 */
function isoTime(ms: number): string {
  if (!(Number.isSafeInteger(ms) && ms >= 0 && ms < YEAR_10000)) {
    const date = new Date(ms);
    return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
  }
  const millis = ms % 1000;
  if (ms - millis !== isoSecond.start) {
    isoSecond.start = ms - millis;
    isoSecond.prefix = new Date(isoSecond.start).toISOString().slice(0, 20);
  }
  return `${isoSecond.prefix}${String(millis).padStart(3, '0')}Z`;
}

/** A hop log entry as the store holds it: its id (ascending in append order) and its {@link HopRow} as JSON. */
export interface HopEntry {
  id: string;
  /** '' when the entry holds no hop record (nothing this code writes; see the drainer) */
  json: string;
}

/** What a commit does to the phone's resume offer; no change leaves it as it is. */
export type ResumeChange = { kind: 'set'; value: unknown; ttlSeconds: number } | { kind: 'delete' };

/**
 * `lock-lost`: the lock expired before the commit (and may have been taken by another hop of the session), so nothing
 * was written — the record of whoever holds it now is not overwritten with an older view of the session.
 */
export type CommitResult = 'committed' | 'lock-lost';

/** A session whose lock this hop holds. */
export interface OpenSession {
  /**
   * the session's record when the lock was taken; null for a new (or expired) session. Read-only: while the store
   * still holds the version this instance committed or read last, it is that same (frozen) object (recent-records.ts).
   */
  readonly record: SessionRecord | null;
  /**
   * the phone's resume offer, taken (deleted) by `open` because the session had no record; null when there was none
   * or the session has a record. Taking it is provisional: `release` without a commit puts it back.
   */
  readonly resume: unknown;
  /**
   * One round trip, atomic: saves the record with an idle TTL, appends the hop record, applies `resume`, and releases
   * the lock — only if the lock is still ours, otherwise writes nothing and resolves `lock-lost`. Rejects (writing
   * nothing) on a non-positive TTL or a value that is not JSON-serialisable. Commit once per open.
   */
  commit(record: SessionRecord, hop: HopRecord, ttlSeconds: number, resume?: ResumeChange): Promise<CommitResult>;
  /**
   * Releases the lock if it is still ours and, when this hop took a resume offer, puts the offer back (with about the
   * TTL it had left, unless a newer offer was written meanwhile). Never releases someone else's lock; idempotent; a
   * no-op once a commit resolved (a rejected commit may not have been applied, so release still tries then).
   */
  release(): Promise<void>;
}

export interface SessionStore {
  /**
   * Takes the per-session lock, waiting up to `waitMs` (retrying with jittered backoff), and reads the session's
   * record; when there is none, also takes `phone`'s resume offer. Null when the lock could not be had in time.
   */
  open(sessionId: string, phone: string, opts?: { ttlMs?: number; waitMs?: number }): Promise<OpenSession | null>;
  /** reads up to `max` hop log entries not yet acknowledged, oldest first, as stored (not parsed) */
  readHops(max: number): Promise<HopEntry[]>;
  /**
   * acknowledges (removes) every hop log entry up to and including `lastId`, the last id of a `readHops`: reads start
   * at the oldest entry and entries are only ever appended with higher ids, so these are exactly the entries read
   */
  ackHopsThrough(lastId: string): Promise<void>;
  /**
   * Lets go of what this instance keeps of the session (its last record, and the live menu machine resting on it):
   * for a session the aggregator says has ended. The stored record is left as it is; a later hop just reads it.
   */
  forgetKept(sessionId: string): void;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** default idle TTL of a session record */
export const DEFAULT_SESSION_TTL_SECONDS = 180;
/**
 * default lock lifetime: longer than any sane hop (the aggregator stops waiting at ~10 s), short enough that an
 * instance that died holding it wedges the session only briefly
 */
export const DEFAULT_LOCK_TTL_MS = 10_000;
/** default time `open` waits for a busy session before giving up (returns null); the aggregator gives a hop ~10 s */
export const DEFAULT_LOCK_WAIT_MS = 3_000;

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

/** A commit's values, validated and serialised before anything is written so a bad value leaves the store untouched. */
export interface EncodedCommit {
  recordJson: string;
  recordTtlMs: number;
  /** the hop's {@link HopRow} */
  hopJson: string;
  /** null: leave the resume offer as it is */
  resume: { json: string; ttlMs: number } | 'delete' | null;
}

export function encodeCommit(record: SessionRecord, hop: HopRecord, ttlSeconds: number, resume?: ResumeChange): EncodedCommit {
  const recordTtlMs = ttlSecondsToMs(ttlSeconds);
  let encodedResume: EncodedCommit['resume'] = null;
  if (resume?.kind === 'set') {
    const ttlMs = ttlSecondsToMs(resume.ttlSeconds);
    const json = JSON.stringify(resume.value);
    if (json === undefined) throw new TypeError('resume value is not JSON-serialisable');
    encodedResume = { json, ttlMs };
  } else if (resume?.kind === 'delete') {
    encodedResume = 'delete';
  }
  return { recordJson: JSON.stringify(record), recordTtlMs, hopJson: JSON.stringify(hopRow(hop)), resume: encodedResume };
}

/**
 * The handle both stores return from `open`: `commit` resolves true when applied, false when the lock was lost;
 * `release` is the compare-and-delete (plus putting back a taken offer).
 */
export function openSession(
  record: SessionRecord | null,
  resume: unknown,
  ops: { commit(change: EncodedCommit, record: SessionRecord): Promise<boolean>; release(): Promise<void> },
): OpenSession {
  // once a commit resolved (either way) or a release went through, the lock is not ours to use any more
  let done = false;
  let committing = false;
  return {
    record,
    resume,
    async commit(next, hop, ttlSeconds, change) {
      if (done || committing) throw new Error('this session was already committed or released');
      const encoded = encodeCommit(next, hop, ttlSeconds, change);
      committing = true;
      try {
        const applied = await ops.commit(encoded, next);
        done = true;
        return applied ? 'committed' : 'lock-lost';
      } finally {
        committing = false;
      }
    },
    async release() {
      if (done) return;
      await ops.release();
      done = true;
    },
  };
}
