/**
 * Kenyan mobile numbers (MSISDNs). The normalised form used everywhere inside the gateway is `2547XXXXXXXX` or
 * `2541XXXXXXXX`: country code, no '+', no spaces.
 */

const SEPARATORS = /[\s-]/g;
/** 254 + 9-digit subscriber number starting 7 or 1, with '+', with 254, with a trunk 0, or bare. */
const KENYAN_MOBILE = /^(?:\+?254|0)?([71][0-9]{8})$/;

/**
 * Normalises a Kenyan mobile number to `2547XXXXXXXX` / `2541XXXXXXXX`.
 * Accepts `+2547…`, `2547…`, `07…`, `7…` and the same with 1 instead of 7, with optional spaces and dashes
 * (so a '+' that a form decoder turned into a space is also fine). Anything else — another country, a landline, the
 * wrong number of digits, letters, a non-string — gives null.
 */
export function normaliseMsisdn(raw: string): string | null {
  if (typeof raw !== 'string') return null;
  const match = KENYAN_MOBILE.exec(raw.replace(SEPARATORS, ''));
  return match ? `254${match[1]!}` : null;
}

/**
 * Masks a phone number for logs: `254712345678` → `2547****5678`. For 12 or more characters the first 4 and last 4
 * stay visible; shorter numbers show at most a third at each end, and 4 characters or fewer are masked entirely.
 * A leading '+' is kept and not counted.
 */
export function maskMsisdn(msisdn: string): string {
  const plus = msisdn.startsWith('+') ? '+' : '';
  const digits = plus ? msisdn.slice(1) : msisdn;
  const n = digits.length;
  if (n <= 4) return plus + '*'.repeat(n);
  const keep = Math.min(4, Math.floor(n / 3));
  return plus + digits.slice(0, keep) + '*'.repeat(n - 2 * keep) + digits.slice(n - keep);
}

/**
 * `+254…` form, as the SMS API wants it. Accepts anything `normaliseMsisdn` accepts.
 * @throws RangeError when the number is not a Kenyan mobile number
 */
export function toE164(msisdn: string): string {
  const normalised = normaliseMsisdn(msisdn);
  if (normalised === null) throw new RangeError(`toE164: not a Kenyan mobile number: ${maskMsisdn(String(msisdn))}`);
  return `+${normalised}`;
}
