import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gsm7Length, isGsm7, toGsm7 } from '../../src/menus/gsm7.ts';

// Written out independently of the implementation, from GSM 03.38.
const BASIC = [
  ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?',
  ...'¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
];
const EXTENSION = [...'^{}\\[~]|€'];
const gsmChar = fc.constantFrom(...BASIC, ...EXTENSION);
const gsmString = fc.string({ unit: gsmChar, maxLength: 200 });
const char16 = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)); // includes lone surrogates
const anyUnicode = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: char16, maxLength: 60 }),
);

describe('isGsm7', () => {
  it('accepts plain printable ASCII except the backtick', () => {
    let ascii = '';
    for (let c = 0x20; c < 0x7f; c++) if (c !== 0x60) ascii += String.fromCharCode(c);
    expect(isGsm7(ascii)).toBe(true);
    expect(isGsm7('1. Football\n2. Virtual league\r\n0. Back')).toBe(true);
    expect(isGsm7('`')).toBe(false);
  });

  it('accepts every character of the default alphabet and the extension table, and the empty string', () => {
    expect(BASIC).toHaveLength(127);
    expect(isGsm7(BASIC.join('') + EXTENSION.join(''))).toBe(true);
    expect(isGsm7('')).toBe(true);
  });

  it('rejects curly quotes, dashes, ellipsis, non-breaking space, accents GSM-7 lacks, emoji and tabs', () => {
    for (const s of ['‘', '’', '“', '”', '–', '—', '…', '\u00A0', 'á', 'ç', 'ê', '😀', '\t', 'Ж', '\f']) {
      expect(isGsm7(s), JSON.stringify(s)).toBe(false);
    }
  });

  it('accepts the accented letters that GSM-7 does have', () => {
    expect(isGsm7('é è ù ì ò à Ç É Ä Ö Ñ Ü ä ö ñ ü Å å Ø ø Æ æ ß')).toBe(true);
  });
});

describe('gsm7Length', () => {
  it('counts one septet per default-alphabet character, newline included', () => {
    expect(gsm7Length('')).toBe(0);
    expect(gsm7Length('hello')).toBe(5);
    expect(gsm7Length('1. Bet\n0. Back')).toBe(14);
  });

  it('counts the euro sign and every extension character as 2', () => {
    expect(gsm7Length('€')).toBe(2);
    expect(gsm7Length('a€')).toBe(3);
    for (const c of EXTENSION) expect(gsm7Length(c), c).toBe(2);
  });

  it('counts a non-GSM character as the septets of its safe replacement', () => {
    expect(gsm7Length('…')).toBe(3);
    expect(gsm7Length('it’s')).toBe(4);
  });

  it('equals default characters + 2 x extension characters on GSM-7 text', () => {
    fc.assert(
      fc.property(gsmString, (s) => {
        const ext = [...s].filter((c) => EXTENSION.includes(c)).length;
        expect(gsm7Length(s)).toBe([...s].length + ext);
      }),
    );
  });

  it('is the length of the toGsm7 output for any text', () => {
    fc.assert(
      fc.property(anyUnicode, (s) => {
        expect(gsm7Length(s)).toBe(gsm7Length(toGsm7(s)));
      }),
    );
  });
});

describe('toGsm7', () => {
  it('straightens curly quotes and replaces dashes, ellipsis and non-breaking spaces', () => {
    expect(toGsm7('“Win” – it’s ‘easy’…')).toBe('"Win" - it\'s \'easy\'...');
    expect(toGsm7('KES\u00A0100 — now')).toBe('KES 100 - now');
    expect(toGsm7('a\tb')).toBe('a b');
  });

  it('reduces accented letters GSM-7 lacks to their base letter and keeps those it has', () => {
    expect(toGsm7('Café crème, naïve façade, São Tomé')).toBe('Café crème, naive facade, Sao Tomé');
    expect(toGsm7('Ñandú Müller Ørsted Åse')).toBe('Ñandu Müller Ørsted Åse');
    expect(toGsm7('Łódź œuvre')).toBe('Lodz oeuvre');
  });

  it('composes a decomposed accent before deciding (e + combining acute is é)', () => {
    expect(toGsm7('Pele\u0301')).toBe('Pelé');
    expect(toGsm7('a\u0301')).toBe('a');
  });

  it('drops zero-width characters and replaces anything else with ?', () => {
    expect(toGsm7('a\u200Bb\u200Dc\uFEFF')).toBe('abc');
    expect(toGsm7('Goal 😀!')).toBe('Goal ?!');
    expect(toGsm7('Привет')).toBe('??????');
    expect(toGsm7('\uD800')).toBe('?');
  });

  it('maps compatibility forms to plain text (ligatures, full-width, trade mark)', () => {
    expect(toGsm7('ﬁnal ＡＢＣ ™')).toBe('final ABC TM');
  });

  it('always returns GSM-7, whatever the input', () => {
    fc.assert(
      fc.property(anyUnicode, (s) => {
        expect(isGsm7(toGsm7(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves GSM-7 text unchanged and is idempotent', () => {
    fc.assert(
      fc.property(gsmString, (s) => {
        expect(toGsm7(s)).toBe(s);
      }),
    );
    fc.assert(
      fc.property(anyUnicode, (s) => {
        const once = toGsm7(s);
        expect(toGsm7(once)).toBe(once);
      }),
    );
  });
});
