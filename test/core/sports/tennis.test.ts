import { describe, expect, it } from 'vitest';
import { tennis } from '../../../src/core/sports/tennis.ts';
import { itHonoursTheModelContract } from './model-contract.ts';

describe('tennis', () => {
  itHonoursTheModelContract(tennis, [{ homeSetWin: 0.6 }, { homeSetWin: 0.25 }, { homeSetWin: 0.5 }]);

  it('prices best of three from the set probability', () => {
    const priced = tennis.price({ homeSetWin: 0.6 }, 0.08);
    const probability = (market: string, pick: string) =>
      priced.find((o) => o.market === market && o.pick === pick)?.probability;
    // 0.6^2 + 2 * 0.6^2 * 0.4
    expect(probability('WIN', '1')).toBeCloseTo(0.648, 12);
    // 0.6^2 + 0.4^2
    expect(probability('SETS', '2')).toBeCloseTo(0.52, 12);
  });

  it('awards a set to the first-named player when the uniform is below homeSetWin', () => {
    const uniforms = [0.59, 0.61, 0.1];
    expect(tennis.draw({ homeSetWin: 0.6 }, () => uniforms.shift() ?? 1)).toEqual({ home: 2, away: 1 });
  });

  it('stops as soon as a player has two sets', () => {
    let calls = 0;
    const result = tennis.draw({ homeSetWin: 0.6 }, () => {
      calls += 1;
      return 0.9;
    });
    expect(result).toEqual({ home: 0, away: 2 });
    expect(calls).toBe(2);
  });

  it('rejects set probabilities outside (0, 1)', () => {
    expect(() => tennis.price({ homeSetWin: 1 }, 0.08)).toThrow(RangeError);
    expect(() => tennis.draw({ homeSetWin: 0 }, () => 0.5)).toThrow(RangeError);
  });

  it('shows the score in sets', () => {
    expect(tennis.scoreText({ home: 2, away: 1 })).toBe('2-1 sets');
  });
});
