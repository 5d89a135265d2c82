/**
 * How long an SMS is. A single GSM-7 SMS holds 160 septets; a concatenated one carries a header in each part, leaving
 * 153 per part. Text is always made GSM-7 first (`toGsm7`): one character outside the alphabet would switch the whole
 * message to UCS-2 and cut each part to 70 characters.
 */
import { gsm7Length, toGsm7 } from '../../menus/gsm7.ts';

export const ONE_PART = 160;
export const TWO_PARTS = 2 * 153;

/** the first variant (most detailed first) that fits in `limit` septets, else the last (shortest) one */
export function firstThatFits(variants: readonly string[], limit = ONE_PART): string {
  const safe = variants.map(toGsm7);
  return safe.find((v) => gsm7Length(v) <= limit) ?? safe[safe.length - 1] ?? '';
}

/** joins a header and lines, dropping lines from the end until the whole fits `limit`; null when not even one fits */
export function fitLines(header: string, lines: readonly string[], limit: number): string | null {
  for (let n = lines.length; n >= 1; n--) {
    const text = toGsm7([header, ...lines.slice(0, n)].filter((s) => s !== '').join('\n'));
    if (gsm7Length(text) <= limit) return text;
  }
  return null;
}

/** a word a person typed, safe to quote back: GSM-7, short */
export function quote(input: string, max = 12): string {
  const t = toGsm7(input.trim().replace(/\s+/g, ' '));
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}
