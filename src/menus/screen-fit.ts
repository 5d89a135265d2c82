/**
 * Making USSD screens fit: truncation at word boundaries, pagination of option lists, wrapping of long texts.
 *
 * Lengths are GSM-7 septets (see gsm7.ts): extension characters count 2, a newline counts 1. Every function here
 * first passes its text through `toGsm7`, so its output is always GSM-7 and can never turn the screen into UCS-2
 * (text that is already GSM-7 is not changed by that step).
 */
import { gsm7Length, toGsm7 } from './gsm7.ts';

const ELLIPSIS = '...';
const WHITESPACE = /^[ \n\r]$/;
const TRAILING_WHITESPACE = /[ \n\r]+$/;
const WORD_WITH_SEPARATOR = /([ \n\r]*)([^ \n\r]+)/g;

function assertLimit(fn: string, maxChars: number, min: number): void {
  if (!Number.isInteger(maxChars) || maxChars < min) {
    throw new RangeError(`${fn}: maxChars must be an integer >= ${min}, got ${String(maxChars)}`);
  }
}

function trimTrailingWhitespace(text: string): string {
  return text.replace(TRAILING_WHITESPACE, '');
}

/**
 * Returns `body` if it fits in `maxChars` septets; otherwise cuts it at the last word boundary (space or newline)
 * that leaves room for a trailing '...', never in the middle of a word. If not even the first word fits, the result
 * is just '...' (or as many dots as fit when `maxChars` < 3). Trailing whitespace is dropped before cutting.
 * The result always has `gsm7Length(result) <= maxChars`.
 */
export function fitScreen(body: string, maxChars: number): string {
  assertLimit('fitScreen', maxChars, 0);
  const text = toGsm7(body);
  if (gsm7Length(text) <= maxChars) return text;
  const trimmed = trimTrailingWhitespace(text);
  if (gsm7Length(trimmed) <= maxChars) return trimmed;
  if (maxChars < ELLIPSIS.length) return '.'.repeat(maxChars);

  const budget = maxChars - ELLIPSIS.length;
  let kept = '';
  let used = 0;
  let index = 0;
  for (const ch of trimmed) {
    // The text before a whitespace character ends on a word boundary; `used` (its length) is within the budget here.
    if (WHITESPACE.test(ch)) kept = trimTrailingWhitespace(trimmed.slice(0, index));
    used += gsm7Length(ch);
    if (used > budget) break;
    index += ch.length;
  }
  return kept + ELLIPSIS;
}

export interface PageFooter {
  /** shown on every page but the last, e.g. "98. More"; an empty string shows nothing */
  more: string;
  /** shown on every page, e.g. "0. Back"; an empty string shows nothing */
  back: string;
}

/**
 * Splits option lines into pages. Each returned page is the list of lines of one screen — the header, that page's
 * option lines, `footer.more` (all pages but the last) and `footer.back` (every page) — to be joined with '\n'; once
 * joined it fits in `maxChars` septets. An empty header or footer string is left out rather than shown as a blank line.
 *
 * Option lines keep their order and are never split across pages. A line too long for a page on its own is cut with
 * `fitScreen` and shown alone on its page. With no lines there is one page (header and back).
 * Throws a RangeError when the header and footers leave no usable room (a configuration error).
 */
export function paginateLines(header: string, lines: string[], footer: PageFooter, maxChars: number): string[][] {
  return [...pagesOf(header, lines, footer, maxChars)].map((p) => p.lines);
}

/**
 * The first page of `paginateLines`, and whether more follow, without laying out the pages after it: a screen shows
 * one page per hop.
 */
export function firstPage(header: string, lines: string[], footer: PageFooter, maxChars: number): { lines: string[]; more: boolean } {
  const first = pagesOf(header, lines, footer, maxChars).next();
  if (first.done === true) throw new Error('paginateLines: no page');
  return { lines: first.value.lines, more: !first.value.last };
}

function* pagesOf(
  header: string,
  lines: string[],
  footer: PageFooter,
  maxChars: number,
): Generator<{ lines: string[]; last: boolean }, void, undefined> {
  assertLimit('paginateLines', maxChars, 1);
  const head = toGsm7(header);
  const more = toGsm7(footer.more);
  const back = toGsm7(footer.back);
  const items = lines.map((line) => toGsm7(line));
  const lengths = items.map(gsm7Length);

  // A page is its non-empty parts joined by '\n': their septets plus one newline fewer than there are parts.
  const fixedParts = (withMore: boolean) => (head === '' ? 0 : 1) + (withMore && more !== '' ? 1 : 0) + (back === '' ? 0 : 1);
  const fixedSeptets = (withMore: boolean) =>
    (head === '' ? 0 : gsm7Length(head)) + (withMore && more !== '' ? gsm7Length(more) : 0) + (back === '' ? 0 : gsm7Length(back));
  const pageSeptets = (lineSeptets: number, lineCount: number, withMore: boolean) =>
    fixedSeptets(withMore) + lineSeptets + Math.max(0, fixedParts(withMore) + lineCount - 1);

  const compose = (pageLines: string[], withMore: boolean): string[] => {
    const page: string[] = [];
    if (head !== '') page.push(head);
    page.push(...pageLines);
    if (withMore && more !== '') page.push(more);
    if (back !== '') page.push(back);
    return page;
  };
  /** Cuts a line that cannot fit alone on a page so that it does. */
  const cut = (line: string, withMore: boolean): string => {
    // the line needs its own newline to join the fixed lines (none when the page has nothing else)
    const room = maxChars - pageSeptets(0, 0, withMore) - (fixedParts(withMore) > 0 ? 1 : 0);
    if (room < ELLIPSIS.length) {
      throw new RangeError(`paginateLines: header and footer leave ${room} characters for options (max ${maxChars})`);
    }
    return fitScreen(line, room);
  };

  if (items.length === 0) {
    if (pageSeptets(0, 0, false) > maxChars) {
      throw new RangeError(`paginateLines: header and footer alone are longer than ${maxChars} characters`);
    }
    yield { lines: compose([], false), last: true };
    return;
  }

  // septets of the lines from i to the end
  const rest = new Array<number>(items.length + 1).fill(0);
  for (let i = items.length - 1; i >= 0; i--) rest[i] = rest[i + 1]! + lengths[i]!;

  let next = 0;
  while (next < items.length) {
    // Everything left fits on one last page (no "more" line needed).
    if (pageSeptets(rest[next]!, items.length - next, false) <= maxChars) {
      yield { lines: compose(items.slice(next), false), last: true };
      return;
    }
    if (next === items.length - 1) {
      yield { lines: compose([cut(items[next]!, false)], false), last: true };
      return;
    }
    // A page with a "more" line: as many whole lines as fit. If not even the first fits, it is cut and shown alone.
    // It cannot take every remaining line: those would then have fitted on a last page.
    const pageLines: string[] = [];
    let septets = 0;
    while (next < items.length) {
      if (pageSeptets(septets + lengths[next]!, pageLines.length + 1, true) <= maxChars) {
        pageLines.push(items[next]!);
        septets += lengths[next]!;
        next += 1;
        continue;
      }
      if (pageLines.length === 0) {
        pageLines.push(cut(items[next]!, true));
        next += 1;
      }
      break;
    }
    yield { lines: compose(pageLines, true), last: false };
  }
}

/** Splits a long word (longer than `maxChars`) into pieces of at most `maxChars` septets. */
function splitWord(word: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let used = 0;
  for (const ch of word) {
    const n = gsm7Length(ch);
    if (used + n > maxChars) {
      pieces.push(piece);
      piece = '';
      used = 0;
    }
    piece += ch;
    used += n;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/**
 * Splits a long text into chunks of at most `maxChars` septets, breaking at spaces/newlines, for text shown over
 * several screens. Whitespace inside a chunk is kept as it was; the whitespace where the text is broken is dropped,
 * so no chunk starts or ends with whitespace. A single word longer than `maxChars` (a URL, say) is the only thing
 * ever broken, as that is the only way to show it. Empty or all-whitespace text gives [].
 * `maxChars` must be at least 2 (an extension character takes 2 septets).
 */
export function wrapText(text: string, maxChars: number): string[] {
  assertLimit('wrapText', maxChars, 2);
  const chunks: string[] = [];
  let current = '';
  for (const match of toGsm7(text).matchAll(WORD_WITH_SEPARATOR)) {
    const separator = match[1] ?? '';
    const word = match[2] ?? '';
    const candidate = current === '' ? word : current + separator + word;
    if (gsm7Length(candidate) <= maxChars) {
      current = candidate;
      continue;
    }
    if (current !== '') chunks.push(current);
    current = '';
    if (gsm7Length(word) <= maxChars) {
      current = word;
      continue;
    }
    const pieces = splitWord(word, maxChars);
    current = pieces.pop() ?? '';
    chunks.push(...pieces);
  }
  if (current !== '') chunks.push(current);
  return chunks;
}
