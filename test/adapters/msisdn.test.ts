import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskMsisdn, normaliseMsisdn, toE164 } from '../../src/adapters/telco/msisdn.ts';

describe('normaliseMsisdn', () => {
  it.each([
    ['+254712345678', '254712345678'],
    ['254712345678', '254712345678'],
    ['0712345678', '254712345678'],
    ['712345678', '254712345678'],
    ['+254110345678', '254110345678'],
    ['254110345678', '254110345678'],
    ['0110345678', '254110345678'],
    ['110345678', '254110345678'],
    ['+254 712 345 678', '254712345678'],
    ['0712-345-678', '254712345678'],
    ['+254-712 345678', '254712345678'],
    [' 254712345678', '254712345678'], // a '+' decoded as a space by a form parser
    ['  0712345678 ', '254712345678'],
  ])('accepts %j as %s', (raw, expected) => {
    expect(normaliseMsisdn(raw)).toBe(expected);
  });

  it.each([
    ['+255712345678', 'Tanzania'],
    ['+256712345678', 'Uganda'],
    ['+14155550123', 'another country'],
    ['071234567', 'too short'],
    ['07123456789', 'too long'],
    ['25471234567', 'too short with country code'],
    ['2547123456789', 'too long with country code'],
    ['0202345678', 'a Nairobi landline'],
    ['+254202345678', 'a landline with country code'],
    ['07123A5678', 'letters'],
    ['phone', 'no digits'],
    ['', 'empty'],
    ['+0712345678', 'plus without country code'],
    ['2540712345678', 'country code and trunk zero'],
    ['０７１２３４５６７８', 'full-width digits'],
  ])('rejects %j (%s)', (raw) => {
    expect(normaliseMsisdn(raw)).toBeNull();
  });

  it('rejects a value that is not a string', () => {
    expect(normaliseMsisdn(712345678 as unknown as string)).toBeNull();
    expect(normaliseMsisdn(undefined as unknown as string)).toBeNull();
  });

  it('gives the same number for every accepted form of it (property)', () => {
    const subscriber = fc.tuple(fc.constantFrom('7', '1'), fc.stringMatching(/^[0-9]{8}$/)).map(([a, b]) => a + b);
    fc.assert(
      fc.property(subscriber, (sub) => {
        const expected = `254${sub}`;
        for (const form of [`+254${sub}`, `254${sub}`, `0${sub}`, sub]) expect(normaliseMsisdn(form)).toBe(expected);
        expect(normaliseMsisdn(expected)).toBe(expected);
      }),
    );
  });
});

describe('maskMsisdn', () => {
  it('keeps the first 4 and last 4 digits of a normalised number', () => {
    expect(maskMsisdn('254712345678')).toBe('2547****5678');
    expect(maskMsisdn('254110345678')).toBe('2541****5678');
  });

  it('keeps a leading + and masks the same way', () => {
    expect(maskMsisdn('+254712345678')).toBe('+2547****5678');
  });

  it('masks shorter values in the middle and very short ones entirely, keeping the length', () => {
    expect(maskMsisdn('0712345678')).toBe('071****678');
    expect(maskMsisdn('712345678')).toBe('712***678');
    expect(maskMsisdn('12345')).toBe('1***5');
    expect(maskMsisdn('1234')).toBe('****');
    expect(maskMsisdn('')).toBe('');
  });

  it('always hides at least a third of the characters and keeps the length (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,20}$/), (digits) => {
        const masked = maskMsisdn(digits);
        expect(masked).toHaveLength(digits.length);
        expect([...masked].filter((c) => c === '*').length).toBeGreaterThanOrEqual(Math.ceil(digits.length / 3));
      }),
    );
  });
});

describe('toE164', () => {
  it('prefixes + to the normalised number', () => {
    expect(toE164('254712345678')).toBe('+254712345678');
    expect(toE164('0110345678')).toBe('+254110345678');
  });

  it('throws a RangeError for a number that is not a Kenyan mobile, without echoing it in full', () => {
    expect(() => toE164('+255712345678')).toThrow(RangeError);
    expect(() => toE164('+255712345678')).toThrow(/\+2557\*{4}5678/);
  });
});
