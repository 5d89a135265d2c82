import type { SessionRecord } from './session-store.ts';

/**
 * The session records this app instance last committed (or read), kept as objects next to the version they carry in
 * the store. A hop's `open` sends the version it holds; when the store still has that very version, nothing else
 * changed the session since (versions are random per commit), so the record is not sent back or parsed again, and the
 * caller gets the same object. The menu conversation keeps its live actor for that object (menu-conversation.ts), so
 * the next hop of a session continues the machine instead of restoring it from JSON.
 *
 * Records here are deep-frozen: the object is shared with every later hop of the session, and a caller that tried to
 * change it would otherwise change what the next hop reads. A commit that failed or lost its lock forgets the session,
 * so its next hop reads the store again.
 *
 * Bounded by count, least recently used out first. At human pace (seconds between hops) an entry is useful for as long
 * as the session lasts, so the bound should cover the sessions open at once on this instance; an entry that outlived
 * its session is never wrong, because the store will not have its version, but it is not free: it pins the session's
 * live menu machine too, and the GC keeps copying, promoting and marking what it holds. Measured with 50 sessions at
 * machine pace, where nearly every entry is a session already abandoned, 10,000 entries spent a third more time in
 * the GC than 1,000 or 100 did, for no more hits. Hence 1,000 by default; an instance that serves more sessions at
 * once can raise it (SESSION_CACHE_SIZE).
 */
const DEFAULT_RECENT_RECORDS = 1_000;

export interface RecentRecord {
  version: string;
  record: SessionRecord;
}

export class RecentRecords {
  private readonly entries = new Map<string, RecentRecord>();

  /** `max` 0 keeps nothing (every open reads and parses the record) */
  constructor(private readonly max: number = DEFAULT_RECENT_RECORDS) {
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`recent records: max must be a whole number ≥ 0, got ${String(max)}`);
  }

  /** what is held for the session (the caller keeps the entry: another session's `keep` may evict it meanwhile) */
  get(sessionId: string): RecentRecord | undefined {
    return this.entries.get(sessionId);
  }

  /**
   * keeps the record (frozen) as the session's current version, and returns it. An ended session is let go instead:
   * all it will ever do again is answer a retry with its END, which one read serves, while keeping it would hold every
   * finished session in memory until the bound pushes it out — under load thousands of records that outlive the
   * young generation, so the GC copies and promotes each one and then has to mark and sweep it from the old one.
   */
  keep(sessionId: string, version: string, record: SessionRecord): SessionRecord {
    if (this.max === 0) return record;
    if (record.ended) {
      this.entries.delete(sessionId);
      return record;
    }
    deepFreeze(record);
    this.entries.delete(sessionId);
    this.entries.set(sessionId, { version, record });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    return record;
  }

  forget(sessionId: string): void {
    this.entries.delete(sessionId);
  }
}

/** Freezes everything reachable; stops at what is frozen already, which is what earlier records shared with this one. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
