/**
 * GSM 03.38 (GSM-7) alphabet helpers.
 *
 * A USSD screen is sent in GSM-7 as long as every character is in the default alphabet or its extension table.
 * One character outside it (a curly quote, most accented letters, an emoji) switches the whole screen to UCS-2 and
 * the handset cuts it to 70 characters. These helpers measure screens in septets and make text safe.
 */

/** The 127 printable characters of the GSM 03.38 default alphabet (0x1B, the escape to the extension table, is left out). */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/**
 * Characters of the extension table: each is sent as ESC + code, so it takes 2 septets.
 * (The table's form feed is deliberately not counted as usable screen text.)
 */
const GSM7_EXTENSION = '^{}\\[~]|€';

/** Septets per character for every character that can be sent in GSM-7. */
const SEPTETS: ReadonlyMap<string, 1 | 2> = new Map<string, 1 | 2>([
  ...[...GSM7_BASIC].map((c): [string, 1] => [c, 1]),
  ...[...GSM7_EXTENSION].map((c): [string, 2] => [c, 2]),
]);

/**
 * The same by UTF-16 code unit (every GSM-7 character is one), 0 for anything else: screens are measured on every hop,
 * and indexing an array by char code is several times faster than a Map lookup of each one-character string.
 */
const SEPTETS_BY_CODE = (() => {
  const table = new Uint8Array(Math.max(...[...SEPTETS.keys()].map((c) => c.charCodeAt(0))) + 1);
  for (const [c, n] of SEPTETS) table[c.charCodeAt(0)] = n;
  return table;
})();

/** True when `text` can be sent as GSM-7 without switching to UCS-2. The empty string is GSM-7. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if ((SEPTETS_BY_CODE[text.charCodeAt(i)] ?? 0) === 0) return false;
  }
  return true;
}

/**
 * Number of septets `text` takes on a GSM-7 screen: 1 per default-alphabet character, 2 per extension character
 * (`^ { } \ [ ~ ] | €`). A character outside GSM-7 is counted as the septets of its `toGsm7` replacement (e.g. `…`
 * counts 3, a curly quote 1), i.e. the length of the screen that will actually be sent once the text is made safe.
 */
export function gsm7Length(text: string): number {
  let septets = 0;
  for (let i = 0; i < text.length; i++) {
    const n = SEPTETS_BY_CODE[text.charCodeAt(i)] ?? 0;
    if (n === 0) return septetsOf(toGsm7(text));
    septets += n;
  }
  return septets;
}

function septetsOf(gsmText: string): number {
  let septets = 0;
  for (const ch of gsmText) septets += SEPTETS.get(ch) ?? 1;
  return septets;
}

/** Replacements tried before the generic decomposition fallback. Every value must be GSM-7 (checked at load). */
const REPLACEMENTS: ReadonlyMap<string, string> = new Map<string, string>([
  // single quotes, apostrophes, primes, backtick (the backtick is not in GSM-7)
  ...['\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '\u2035', '\u02B9', '\u02BC', '\u02BB', '\u00B4', '`'].map(
    (c): [string, string] => [c, "'"],
  ),
  // double quotes and guillemets
  ...['\u201C', '\u201D', '\u201E', '\u201F', '\u2033', '\u2036', '\u00AB', '\u00BB'].map((c): [string, string] => [c, '"']),
  ['\u2039', '<'],
  ['\u203A', '>'],
  // hyphens, dashes, minus, bullets
  ...['\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\u2043', '\u2022', '\u2023', '\u25E6'].map(
    (c): [string, string] => [c, '-'],
  ),
  ['\u2026', '...'],
  ['\u00B7', '.'],
  ['\u2044', '/'],
  ['\u00F7', '/'],
  ['\u00D7', 'x'],
  ['\u00A9', '(c)'],
  ['\u00AE', '(R)'],
  // whitespace
  ['\t', ' '],
  ['\u2028', '\n'],
  ['\u2029', '\n'],
  ['\u0085', '\n'],
  // Latin letters that do not decompose to a base letter
  ['\u0153', 'oe'],
  ['\u0152', 'OE'],
  ['\u0142', 'l'],
  ['\u0141', 'L'],
  ['\u0111', 'd'],
  ['\u0110', 'D'],
  ['\u00F0', 'd'],
  ['\u00D0', 'D'],
  ['\u00FE', 'th'],
  ['\u00DE', 'Th'],
  ['\u0131', 'i'],
  ['\u0138', 'k'],
  ['\u014B', 'n'],
  ['\u014A', 'N'],
  ['\u0127', 'h'],
  ['\u0126', 'H'],
  ['\u0167', 't'],
  ['\u0166', 'T'],
  // Greek capitals that look like Latin ones (GSM-7 only has the ones that do not)
  ...[...'ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ'].map((c, i): [string, string] => [c, 'ABEZHIKMNOPTYX'[i]!]),
]);

for (const [from, to] of REPLACEMENTS) {
  if (!isGsm7(to)) throw new Error(`gsm7: replacement for U+${from.codePointAt(0)!.toString(16)} is not GSM-7`);
}

const SPACE_SEPARATOR = /^\p{Zs}$/u;
const FORMAT_CHAR = /^\p{Cf}$/u;
const COMBINING_MARKS = /\p{M}/gu;

/** GSM-7 replacement for one character (a code point, or a lone surrogate) that is not itself GSM-7. */
function replaceChar(ch: string): string {
  const direct = REPLACEMENTS.get(ch);
  if (direct !== undefined) return direct;
  if (SPACE_SEPARATOR.test(ch)) return ' '; // no-break space, thin space, ideographic space...
  if (FORMAT_CHAR.test(ch)) return ''; // zero-width joiner/space, BOM, soft hyphen, direction marks
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x1f3fb && cp <= 0x1f3ff) return ''; // emoji skin-tone modifiers: the emoji itself already became '?'
  // Accented letters, ligatures, full-width and other compatibility forms: decompose, drop the marks, and keep the
  // result if every piece is GSM-7 (or has a direct replacement). A lone combining mark decomposes to nothing.
  const decomposed = ch.normalize('NFKD').replace(COMBINING_MARKS, '');
  if (decomposed === ch) return '?';
  let out = '';
  for (const piece of decomposed) {
    if (SEPTETS.has(piece)) out += piece;
    else {
      const r = REPLACEMENTS.get(piece);
      if (r === undefined) return '?';
      out += r;
    }
  }
  return out;
}

/**
 * Makes text safe to send as GSM-7 so a screen can never silently become UCS-2: curly quotes become straight ones,
 * dashes '-', '…' '...', any space separator a space, accented letters their base letter (letters GSM-7 has, such as
 * é, ñ, ü, are kept), zero-width characters are dropped, and anything else becomes '?'.
 * GSM-7 text is returned unchanged; the result always satisfies `isGsm7`.
 */
export function toGsm7(text: string): string {
  if (isGsm7(text)) return text;
  let out = '';
  // NFC first so that 'e' + combining acute becomes 'é', which GSM-7 has.
  for (const ch of text.normalize('NFC')) {
    out += SEPTETS.has(ch) ? ch : replaceChar(ch);
  }
  return out;
}
