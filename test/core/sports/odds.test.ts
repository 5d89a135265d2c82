import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMargin, priceMarket } from '../../../src/core/sports/odds.ts';

describe('applyMargin', () => {
  it('prices a fair coin at 2.00 without margin', () => {
    expect(applyMargin(0.5, 0)).toBe(200);
  });

  it('shortens odds by the margin and rounds down', () => {
    // 100 / (0.5 * 1.08) = 185.18...
    expect(applyMargin(0.5, 0.08)).toBe(185);
    // 100 / (0.3 * 1.05) = 317.46...
    expect(applyMargin(0.3, 0.05)).toBe(317);
  });

  it('never offers less than 1.01', () => {
    expect(applyMargin(0.999, 0.1)).toBe(101);
    expect(applyMargin(1, 0)).toBe(101);
  });

  it('rejects impossible probabilities and negative margins', () => {
    expect(() => applyMargin(0, 0.08)).toThrow(RangeError);
    expect(() => applyMargin(1.2, 0.08)).toThrow(RangeError);
    expect(() => applyMargin(Number.NaN, 0.08)).toThrow(RangeError);
    expect(() => applyMargin(0.5, -0.01)).toThrow(RangeError);
  });

  it('never returns more than 1/(1+margin) per unit on any single outcome', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (p, margin) => {
          const odds = applyMargin(p, margin);
          expect(Number.isInteger(odds)).toBe(true);
          expect(odds).toBeGreaterThanOrEqual(101);
          if (odds > 101) expect((p * odds) / 100).toBeLessThanOrEqual(1 / (1 + margin) + 1e-12);
        },
      ),
    );
  });
});

describe('priceMarket', () => {
  it('prices every pick and keeps its probability and line', () => {
    const priced = priceMarket(
      'TOT',
      [
        { pick: 'OV', probability: 0.4, line: 200.5 },
        { pick: 'UN', probability: 0.6, line: 200.5 },
      ],
      0.08,
    );
    expect(priced).toEqual([
      { market: 'TOT', pick: 'OV', odds: 231, probability: 0.4, line: 200.5 },
      { market: 'TOT', pick: 'UN', odds: 154, probability: 0.6, line: 200.5 },
    ]);
  });

  it('leaves line out for markets without one', () => {
    const [outcome] = priceMarket('WIN', [{ pick: '1', probability: 1 }], 0);
    expect(outcome).not.toHaveProperty('line');
  });

  it('keeps the overround at or above the margin for any probability vector without near-certainties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-4, max: 1, noNaN: true }), { minLength: 2, maxLength: 12 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        (weights, margin) => {
          const total = weights.reduce((sum, w) => sum + w, 0);
          const probs = weights.map((w, i) => ({ pick: String(i), probability: w / total }));
          // above this probability the 1.01 floor, not the margin, sets the price (see next test)
          fc.pre(probs.every((o) => o.probability <= 1 / (1.01 * (1 + margin))));
          const overround = priceMarket('M', probs, margin).reduce((sum, o) => sum + 100 / o.odds, 0);
          expect(overround).toBeGreaterThanOrEqual(1 + margin - 1e-9);
        },
      ),
    );
  });

  it('lets the 1.01 floor undercut the margin only on near-certain picks', () => {
    const priced = priceMarket(
      'WIN',
      [
        { pick: '1', probability: 0.95 },
        { pick: '2', probability: 0.05 },
      ],
      0.08,
    );
    expect(priced.map((o) => o.odds)).toEqual([101, 1851]);
    const overround = priced.reduce((sum, o) => sum + 100 / o.odds, 0);
    expect(overround).toBeGreaterThan(1);
    expect(overround).toBeLessThan(1.08);
  });
});
