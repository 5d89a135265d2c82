import { describe, expect, it } from 'vitest';
import { uniformStream } from '../../../src/core/fairness.ts';
import { basketball } from '../../../src/core/sports/basketball.ts';
import { itHonoursTheModelContract } from './model-contract.ts';

function outcome(priced: ReturnType<typeof basketball.price>, market: string, pick: string) {
  const found = priced.find((o) => o.market === market && o.pick === pick);
  if (found === undefined) throw new Error(`${market}:${pick} not priced`);
  return found;
}

/** P(Poisson(mean) <= n), summed in log space so large means do not underflow */
function poissonCdf(mean: number, n: number): number {
  let logTerm = -mean;
  let total = Math.exp(logTerm);
  for (let k = 1; k <= n; k++) {
    logTerm += Math.log(mean / k);
    total += Math.exp(logTerm);
  }
  return total;
}

describe('basketball', () => {
  itHonoursTheModelContract(basketball, [
    { homePoints: 108.5, awayPoints: 101.2 },
    { homePoints: 95, awayPoints: 115 },
    // low scoring, so level games and long overtime runs are common
    { homePoints: 0.6, awayPoints: 0.4 },
  ]);

  it('gives evenly matched sides an even chance', () => {
    const priced = basketball.price({ homePoints: 104, awayPoints: 104 }, 0.08);
    expect(outcome(priced, 'WIN', '1').probability).toBeCloseTo(0.5, 12);
  });

  it('sets the total line half a point above the summed means and prices it on regulation points', () => {
    const priced = basketball.price({ homePoints: 108.5, awayPoints: 101.2 }, 0.08);
    const under = outcome(priced, 'TOT', 'UN');
    expect(under.line).toBe(209.5);
    expect(outcome(priced, 'TOT', 'OV').line).toBe(209.5);
    // the sum of independent Poisson counts is Poisson with the summed mean
    expect(under.probability).toBeCloseTo(poissonCdf(209.7, 209), 9);
  });

  it('settles the total on regulation points even when overtime pushes the final score over', () => {
    const params = { homePoints: 100, awayPoints: 100 };
    const result = { home: 110, away: 104, overtimes: 1, regulationTotal: 196 };
    expect(basketball.settle(params, result)).toEqual({
      'WIN:1': 'won',
      'WIN:2': 'lost',
      'TOT:OV': 'lost',
      'TOT:UN': 'won',
    });
  });

  it('plays overtime only after a level regulation and never ends level', () => {
    const params = { homePoints: 0.6, awayPoints: 0.4 };
    const next = uniformStream('bb-overtime', 1);
    let overtimeGames = 0;
    for (let i = 0; i < 5000; i++) {
      const result = basketball.draw(params, next);
      expect(result.home).not.toBe(result.away);
      expect(result.overtimes).toBeLessThanOrEqual(5);
      if (result.overtimes === 0) expect(result.regulationTotal).toBe(result.home + result.away);
      else {
        overtimeGames += 1;
        expect(result.regulationTotal % 2).toBe(0);
        expect(result.regulationTotal).toBeLessThan(result.home + result.away);
      }
    }
    expect(overtimeGames).toBeGreaterThan(1000);
  });

  it('shows overtime in the score text', () => {
    expect(basketball.scoreText({ home: 98, away: 91, overtimes: 0, regulationTotal: 189 })).toBe('98-91');
    expect(basketball.scoreText({ home: 110, away: 104, overtimes: 1, regulationTotal: 196 })).toBe('110-104 OT');
    expect(basketball.scoreText({ home: 120, away: 118, overtimes: 2, regulationTotal: 200 })).toBe('120-118 2OT');
  });
});
