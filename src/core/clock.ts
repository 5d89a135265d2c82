/** injected everywhere time matters, so schedules, expiries and limits are testable without sleeping */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

const NAIROBI_OFFSET_MS = 3 * 3600_000; // East Africa Time, UTC+3, no daylight saving

/** the Nairobi calendar day (YYYY-MM-DD) daily limits count against */
export function nairobiDay(at: Date): string {
  return new Date(at.getTime() + NAIROBI_OFFSET_MS).toISOString().slice(0, 10);
}
