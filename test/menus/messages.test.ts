import { describe, expect, it } from 'vitest';
import { isGsm7 } from '../../src/menus/gsm7.ts';
import { catalogues } from '../../src/menus/messages/catalogue.ts';

/** every string a catalogue can produce, with sample values for the parameters */
function texts(value: unknown, path: string): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (typeof value === 'function') {
    const samples: unknown[][] = [
      ['KES 1,250.00', 'KES 2,000.00', 'KES 3.00'],
      [7, 'KES 150.00', 'KES 9.00'],
      [1, null, 'KES 0.50'],
      [null, null, 'KES 1.00'],
    ];
    return samples.flatMap((args, i) => {
      const out = (value as (...a: unknown[]) => unknown)(...args);
      return typeof out === 'string' ? [[`${path}#${i}`, out] as [string, string]] : [];
    });
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => texts(v, `${path}.${k}`));
  }
  return [[path, String(value)]];
}

const keysOf = (value: unknown, path = ''): string[] =>
  typeof value === 'object' && value !== null
    ? Object.entries(value).flatMap(([k, v]) => [`${path}.${k}`, ...keysOf(v, `${path}.${k}`)])
    : [];

describe('message catalogues', () => {
  for (const [lang, catalogue] of Object.entries(catalogues)) {
    it(`${lang}: every string is GSM-7, so no screen turns into UCS-2`, () => {
      const all = texts(catalogue, lang);
      expect(all.length).toBeGreaterThan(150);
      const bad = all.filter(([, t]) => !isGsm7(t) || t.includes('undefined') || t.trim() === '');
      expect(bad).toEqual([]);
    });
  }

  it('English and Swahili have the same messages', () => {
    expect(keysOf(catalogues.sw)).toEqual(keysOf(catalogues.en));
  });

  it('keeps option labels plain and the navigation keys the same in both languages', () => {
    for (const c of Object.values(catalogues)) {
      expect(c.more.startsWith('98. ')).toBe(true);
      expect(c.back.startsWith('0. ')).toBe(true);
      expect(c.exit.startsWith('0. ')).toBe(true);
      expect(c.mainMenuKeys.startsWith('00. ')).toBe(true);
    }
  });
});
