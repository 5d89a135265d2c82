/**
 * Numbers and times as a feature phone shows them. Odds are integer hundredths; times are shown in Nairobi time
 * (East Africa Time, UTC+3 all year, no daylight saving), whatever zone the server runs in.
 */
const NAIROBI_OFFSET_MS = 3 * 3600_000;

/** 185 -> "1.85", 1000 -> "10.00" (integers only, so no float rounding ever shows) */
export function formatOdds(hundredths: number): string {
  const whole = Math.floor(hundredths / 100);
  const frac = String(hundredths % 100).padStart(2, '0');
  return `${whole}.${frac}`;
}

/** a market line as printed: 209.5 -> "209.5", 2.5 -> "2.5", 210 -> "210" */
export function formatLine(line: number): string {
  return Number.isInteger(line) ? String(line) : String(Math.round(line * 10) / 10);
}

function nairobi(iso: string): string {
  return new Date(Date.parse(iso) + NAIROBI_OFFSET_MS).toISOString();
}

/** kickoff time of a match: "14:32" */
export function kickoffTime(iso: string): string {
  return nairobi(iso).slice(11, 16);
}

/** a date a player must act on (end of a break): "12/03/2026 14:32" */
export function nairobiDateTime(iso: string): string {
  const t = nairobi(iso);
  return `${t.slice(8, 10)}/${t.slice(5, 7)}/${t.slice(0, 4)} ${t.slice(11, 16)}`;
}
