import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gsm7Length, isGsm7 } from '../../src/menus/gsm7.ts';
import { firstPage, fitScreen, paginateLines, wrapText } from '../../src/menus/screen-fit.ts';

const WORD_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?()-+/#*@éñüÅ€{}[]^~|\\'];
const word = fc.string({ unit: fc.constantFrom(...WORD_CHARS), minLength: 1, maxLength: 14 });
const separator = fc.constantFrom(' ', ' ', ' ', '  ', '\n', '\r\n');
/** GSM-7 text made of words and whitespace, possibly with leading/trailing whitespace */
const gsmText = fc
  .tuple(fc.array(fc.tuple(separator, word), { maxLength: 50 }), fc.constantFrom('', ' ', '\n'), fc.constantFrom('', ' ', '\n'))
  .map(([parts, lead, trail]) => lead + parts.map(([sep, w], i) => (i === 0 ? w : sep + w)).join('') + trail);
const WS = /[ \n\r]/;

const FOOTER = { more: '98. More', back: '0. Back' };

describe('fitScreen', () => {
  it('returns a body that fits unchanged, up to exactly the limit', () => {
    const body = 'x'.repeat(160);
    expect(fitScreen(body, 160)).toBe(body);
    expect(fitScreen('Welcome\n1. Bet\n0. Exit', 160)).toBe('Welcome\n1. Bet\n0. Exit');
  });

  it('cuts a long body at the last word boundary and ends it with ...', () => {
    expect(fitScreen('Your bet on Arsenal v Chelsea is placed', 20)).toBe('Your bet on...');
    expect(fitScreen('Choose:\n1. Football\n2. Virtuals', 20)).toBe('Choose:\n1....');
  });

  it('counts extension characters as two septets against the limit', () => {
    expect(fitScreen('€€€€€', 10)).toBe('€€€€€');
    expect(fitScreen('€€ €€ €€', 10)).toBe('€€...');
  });

  it('drops trailing whitespace before cutting, and never cuts inside a first word that is too long', () => {
    expect(fitScreen('hello   ', 5)).toBe('hello');
    expect(fitScreen('Supercalifragilistic word', 10)).toBe('...');
    expect(fitScreen('abcdef', 2)).toBe('..');
    expect(fitScreen('abcdef', 0)).toBe('');
  });

  it('makes non-GSM text safe so the screen cannot become UCS-2', () => {
    expect(fitScreen('It’s “live” now', 160)).toBe('It\'s "live" now');
  });

  it('rejects a limit that is not a non-negative integer', () => {
    expect(() => fitScreen('x', -1)).toThrow(RangeError);
    expect(() => fitScreen('x', Number.NaN)).toThrow(RangeError);
  });

  it('always fits, and only ever cuts at a word boundary (property)', () => {
    fc.assert(
      fc.property(gsmText, fc.integer({ min: 0, max: 200 }), (text, max) => {
        const out = fitScreen(text, max);
        expect(gsm7Length(out)).toBeLessThanOrEqual(max);
        if (gsm7Length(text) <= max) {
          expect(out).toBe(text);
          return;
        }
        if (text.trimEnd() === out) return;
        if (max < 3) {
          expect(out).toBe('.'.repeat(max));
          return;
        }
        expect(out.endsWith('...')).toBe(true);
        const kept = out.slice(0, -3);
        expect(text.startsWith(kept)).toBe(true);
        if (kept !== '') {
          expect(WS.test(kept.at(-1)!)).toBe(false); // no trailing whitespace before '...'
          expect(WS.test(text[kept.length]!)).toBe(true); // the next character was whitespace: a word boundary
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('always fits and is GSM-7 for arbitrary unicode (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 120 }), fc.integer({ min: 0, max: 160 }), (text, max) => {
        const out = fitScreen(text, max);
        expect(gsm7Length(out)).toBeLessThanOrEqual(max);
        expect(isGsm7(out)).toBe(true);
      }),
    );
  });
});

/** The option lines of a page (between the header and the footer lines), for the header/footers used here. */
function optionLines(page: string[], isLast: boolean): string[] {
  return page.slice(1, isLast ? -1 : -2);
}

describe('paginateLines', () => {
  const sports = Array.from({ length: 12 }, (_, i) => `${i + 1}. ${['Football', 'Basketball', 'Tennis', 'Rugby'][i % 4]} league ${i + 1}`);

  it('puts everything on one page, with back but no more, when it fits', () => {
    const pages = paginateLines('Choose sport:', ['1. Football', '2. Virtuals'], FOOTER, 160);
    expect(pages).toEqual([['Choose sport:', '1. Football', '2. Virtuals', '0. Back']]);
  });

  it('splits a long list into pages with 98. More on all but the last and 0. Back on all', () => {
    const pages = paginateLines('Choose sport:', sports, FOOTER, 120);
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((page, i) => {
      const isLast = i === pages.length - 1;
      expect(page[0]).toBe('Choose sport:');
      expect(page.at(-1)).toBe('0. Back');
      expect(page.includes('98. More')).toBe(!isLast);
      expect(gsm7Length(page.join('\n'))).toBeLessThanOrEqual(120);
    });
    expect(pages.flatMap((p, i) => optionLines(p, i === pages.length - 1))).toEqual(sports);
  });

  it('counts the newlines between lines against the limit', () => {
    // 'H' + 'aaaa' + '0. Back' = 12 characters, plus 2 newlines = 14
    expect(paginateLines('H', ['aaaa'], { more: 'M', back: '0. Back' }, 14)).toEqual([['H', 'aaaa', '0. Back']]);
    expect(paginateLines('H', ['aaaa'], { more: 'M', back: '0. Back' }, 13)).toEqual([['H', '...', '0. Back']]);
  });

  it('gives one page with the header and back when there are no lines', () => {
    expect(paginateLines('No open bets', [], FOOTER, 160)).toEqual([['No open bets', '0. Back']]);
  });

  it('leaves out an empty header or footer instead of showing a blank line', () => {
    expect(paginateLines('', ['1. A', '2. B'], { more: '98. More', back: '' }, 160)).toEqual([['1. A', '2. B']]);
  });

  it('cuts a line too long for any page with ... and shows it alone', () => {
    const long = '1. ' + 'Manchester United v Liverpool '.repeat(10);
    const pages = paginateLines('Pick:', [long, '2. Short'], FOOTER, 60);
    expect(pages).toHaveLength(2);
    expect(pages[0]![1]!.endsWith('...')).toBe(true);
    expect(pages[0]).toHaveLength(4);
    expect(pages[1]).toEqual(['Pick:', '2. Short', '0. Back']);
    for (const page of pages) expect(gsm7Length(page.join('\n'))).toBeLessThanOrEqual(60);
  });

  it('throws a RangeError when the header and footers leave no room', () => {
    expect(() => paginateLines('x'.repeat(150), ['1. A line that is long', '2. Another'], FOOTER, 160)).toThrow(RangeError);
    expect(() => paginateLines('x'.repeat(170), [], FOOTER, 160)).toThrow(RangeError);
  });

  it('makes non-GSM lines safe', () => {
    expect(paginateLines('Pick:', ['1. São Paulo – Grêmio'], FOOTER, 160)).toEqual([
      ['Pick:', '1. Sao Paulo - Gremio', '0. Back'],
    ]);
  });

  const line = fc.string({ unit: fc.constantFrom(...WORD_CHARS, ' '), minLength: 0, maxLength: 40 });
  const header = fc.string({ unit: fc.constantFrom(...WORD_CHARS, ' '), minLength: 1, maxLength: 30 });

  it('keeps every line, in order, with every page fitting and More on all pages but the last (property)', () => {
    fc.assert(
      fc.property(header, fc.array(line, { maxLength: 40 }), fc.integer({ min: 80, max: 182 }), (head, lines, max) => {
        const pages = paginateLines(head, lines, FOOTER, max);
        expect(pages.length).toBeGreaterThan(0);
        pages.forEach((page, i) => {
          const isLast = i === pages.length - 1;
          expect(gsm7Length(page.join('\n'))).toBeLessThanOrEqual(max);
          expect(page[0]).toBe(head);
          expect(page.at(-1)).toBe('0. Back');
          expect(page.at(-2) === '98. More').toBe(!isLast);
          if (!isLast) expect(optionLines(page, false).length).toBeGreaterThan(0);
        });
        // every line fits here (header ≤ 30+1, footers 16+2, line ≤ 40+1 ≤ 80), so nothing is cut
        expect(pages.flatMap((p, i) => optionLines(p, i === pages.length - 1))).toEqual(lines);
      }),
      { numRuns: 500 },
    );
  });

  it('lays out the first page alone exactly as the whole pagination does, and says whether more follow (property)', () => {
    fc.assert(
      fc.property(header, fc.array(line, { maxLength: 40 }), fc.integer({ min: 80, max: 182 }), (head, lines, max) => {
        const pages = paginateLines(head, lines, FOOTER, max);
        expect(firstPage(head, lines, FOOTER, max)).toEqual({ lines: pages[0], more: pages.length > 1 });
      }),
      { numRuns: 500 },
    );
    const long = '1. ' + 'Manchester United v Liverpool '.repeat(10);
    expect(firstPage('Pick:', [long, '2. Short'], FOOTER, 60)).toEqual({ lines: paginateLines('Pick:', [long, '2. Short'], FOOTER, 60)[0], more: true });
    expect(firstPage('No open bets', [], FOOTER, 160)).toEqual({ lines: ['No open bets', '0. Back'], more: false });
  });

  it('fills each page before starting the next (property)', () => {
    fc.assert(
      fc.property(header, fc.array(line, { minLength: 1, maxLength: 40 }), fc.integer({ min: 80, max: 182 }), (head, lines, max) => {
        const pages = paginateLines(head, lines, FOOTER, max);
        for (let i = 0; i < pages.length - 1; i++) {
          const nextFirst = optionLines(pages[i + 1]!, i + 1 === pages.length - 1)[0]!;
          const grown = [...pages[i]!.slice(0, -2), nextFirst, ...pages[i]!.slice(-2)];
          expect(gsm7Length(grown.join('\n'))).toBeGreaterThan(max);
        }
      }),
    );
  });

  it('still fits every page when lines are longer than a page, cutting them at word boundaries (property)', () => {
    const anyLine = fc.string({ unit: fc.constantFrom(...WORD_CHARS, ' ', ' '), maxLength: 200 });
    fc.assert(
      fc.property(header, fc.array(anyLine, { maxLength: 20 }), fc.integer({ min: 60, max: 182 }), (head, lines, max) => {
        const pages = paginateLines(head, lines, FOOTER, max);
        const shown = pages.flatMap((p, i) => optionLines(p, i === pages.length - 1));
        expect(shown).toHaveLength(lines.length);
        shown.forEach((s, i) => {
          const original = lines[i]!;
          if (s === original || s === original.trimEnd()) return;
          expect(s.endsWith('...')).toBe(true);
          const kept = s.slice(0, -3);
          expect(original.startsWith(kept)).toBe(true);
          if (kept !== '') expect(original[kept.length]).toBe(' ');
        });
        pages.forEach((page, i) => {
          expect(gsm7Length(page.join('\n'))).toBeLessThanOrEqual(max);
          expect(page.includes('98. More')).toBe(i < pages.length - 1);
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('wrapText', () => {
  const terms =
    'Bets are accepted from persons aged 18 and over. Winnings above KES 1,000 are paid to M-Pesa. ' +
    'Excise duty and withholding tax apply as required by law. Play responsibly.';

  it('splits a long text into chunks at word boundaries that each fit', () => {
    const chunks = wrapText(terms, 60);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(gsm7Length(chunk)).toBeLessThanOrEqual(60);
    expect(chunks.join(' ')).toBe(terms);
  });

  it('returns a short text as one chunk and nothing for blank text', () => {
    expect(wrapText('Play responsibly.', 160)).toEqual(['Play responsibly.']);
    expect(wrapText('', 160)).toEqual([]);
    expect(wrapText(' \n ', 160)).toEqual([]);
  });

  it('keeps newlines inside a chunk and drops whitespace where it breaks', () => {
    expect(wrapText('Line one\nLine two', 160)).toEqual(['Line one\nLine two']);
    expect(wrapText('aaaa bbbb\ncccc', 9)).toEqual(['aaaa bbbb', 'cccc']);
  });

  it('breaks only a single word that is longer than a chunk', () => {
    expect(wrapText('see https://example.co.ke/terms', 10)).toEqual(['see', 'https://ex', 'ample.co.k', 'e/terms']);
    expect(wrapText('€€€€€', 5)).toEqual(['€€', '€€', '€']);
  });

  it('rejects a limit below 2', () => {
    expect(() => wrapText('abc', 1)).toThrow(RangeError);
  });

  it('keeps every word, in order, in chunks that fit and carry no edge whitespace (property)', () => {
    fc.assert(
      fc.property(gsmText, fc.integer({ min: 14, max: 182 }), (text, max) => {
        const chunks = wrapText(text, max);
        for (const chunk of chunks) {
          expect(chunk).not.toBe('');
          expect(gsm7Length(chunk)).toBeLessThanOrEqual(max);
          expect(WS.test(chunk[0]!)).toBe(false);
          expect(WS.test(chunk.at(-1)!)).toBe(false);
        }
        const words = (s: string) => s.split(/[ \n\r]+/).filter((w) => w !== '');
        // words are at most 14 characters, 28 septets: with max ≥ 28 no word may be broken
        if (max >= 28) expect(chunks.flatMap(words)).toEqual(words(text));
        else expect(chunks.flatMap(words).join('')).toBe(words(text).join(''));
      }),
      { numRuns: 1000 },
    );
  });
});
