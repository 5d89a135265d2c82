import { describe, expect, it } from 'vitest';
import { football } from '../../../src/core/sports/football.ts';
import { itHonoursTheModelContract } from './model-contract.ts';

/** Poisson pmf from the textbook formula, cut at 15 and renormalised like the model. */
function pmf(mean: number): number[] {
  const raw: number[] = [];
  let factorial = 1;
  for (let k = 0; k <= 15; k++) {
    if (k > 0) factorial *= k;
    raw.push((Math.exp(-mean) * mean ** k) / factorial);
  }
  const total = raw.reduce((s, p) => s + p, 0);
  return raw.map((p) => p / total);
}

function probability(priced: ReturnType<typeof football.price>, market: string, pick: string): number {
  const outcome = priced.find((o) => o.market === market && o.pick === pick);
  if (outcome === undefined) throw new Error(`${market}:${pick} not priced`);
  return outcome.probability;
}

describe('football', () => {
  itHonoursTheModelContract(
    football,
    [
      { homeGoals: 1.5, awayGoals: 1.1 },
      { homeGoals: 2.3322, awayGoals: 0.6783 },
      { homeGoals: 0.45, awayGoals: 3.2 },
    ],
    { DC: 2 },
  );

  it('matches independently computed probabilities for means 1.5 and 1.1', () => {
    const priced = football.price({ homeGoals: 1.5, awayGoals: 1.1 }, 0.08);
    const home = pmf(1.5);
    const away = pmf(1.1);
    let homeWin = 0;
    let draw = 0;
    let homeByTwo = 0;
    home.forEach((ph, h) =>
      away.forEach((pa, a) => {
        if (h > a) homeWin += ph * pa;
        if (h === a) draw += ph * pa;
        if (h - a >= 2) homeByTwo += ph * pa;
      }),
    );
    expect(probability(priced, '1X2', '1')).toBeCloseTo(homeWin, 12);
    expect(probability(priced, '1X2', 'X')).toBeCloseTo(draw, 12);
    expect(probability(priced, '1X2', '1')).toBeCloseTo(0.464244, 6);
    expect(probability(priced, 'HCP', '1')).toBeCloseTo(homeByTwo, 12);
    expect(probability(priced, 'DC', '1X')).toBeCloseTo(homeWin + draw, 12);
    // total goals are Poisson(2.6); truncation at 15 a side moves this by far less than 1e-9
    expect(probability(priced, 'OU25', 'UN25')).toBeCloseTo(Math.exp(-2.6) * (1 + 2.6 + 2.6 ** 2 / 2), 9);
    expect(probability(priced, 'BTTS', 'GG')).toBeCloseTo((1 - Math.exp(-1.5)) * (1 - Math.exp(-1.1)), 9);
  });

  it('settles the European handicap with the home side a goal down', () => {
    const params = { homeGoals: 1.5, awayGoals: 1.1 };
    expect(football.settle(params, { home: 3, away: 1 })['HCP:1']).toBe('won');
    expect(football.settle(params, { home: 2, away: 1 })['HCP:X']).toBe('won');
    expect(football.settle(params, { home: 1, away: 1 })['HCP:2']).toBe('won');
  });

  it('settles double chance so two picks win', () => {
    const settled = football.settle({ homeGoals: 1, awayGoals: 1 }, { home: 0, away: 0 });
    expect([settled['DC:1X'], settled['DC:X2'], settled['DC:12']]).toEqual(['won', 'won', 'lost']);
  });

  it('draws home goals from the first uniform and away goals from the second', () => {
    const uniforms = [0.999999, 0.0];
    const result = football.draw({ homeGoals: 1.5, awayGoals: 1.1 }, () => uniforms.shift() ?? 0);
    expect(result.away).toBe(0);
    expect(result.home).toBeGreaterThanOrEqual(6);
    expect(result.home).toBeLessThanOrEqual(15);
  });

  it('never draws more than 15 goals a side', () => {
    expect(football.draw({ homeGoals: 9, awayGoals: 9 }, () => 1 - 2 ** -48)).toEqual({ home: 15, away: 15 });
  });

  it('shows the score as home-away', () => {
    expect(football.scoreText({ home: 2, away: 1 })).toBe('2-1');
  });
});
