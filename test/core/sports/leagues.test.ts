import { describe, expect, it } from 'vitest';
import { fixturesForRound, MODELS, modelFor, SPORTS } from '../../../src/core/sports/leagues.ts';
import type { Sport } from '../../../src/core/sports/types.ts';

const MATCHES_PER_ROUND: Record<Sport, number> = { football: 8, basketball: 6, tennis: 8 };

function namesOf(sport: Sport): string[] {
  return fixturesForRound(sport, 0).flatMap((f) => [f.home, f.away]);
}

describe.each(SPORTS)('%s league', (sport) => {
  const teams = namesOf(sport);
  const cycle = teams.length - 1;

  it('has a fixed roster of short names in plain GSM-7 characters', () => {
    expect(teams).toHaveLength(MATCHES_PER_ROUND[sport] * 2);
    expect(new Set(teams).size).toBe(teams.length);
    for (const name of teams) expect(name).toMatch(/^[0-9A-Za-z .-]{1,12}$/);
  });

  it('has every team play exactly once in every round', () => {
    for (let round = 0; round < 3 * cycle; round++) {
      const fixtures = fixturesForRound(sport, round);
      expect(fixtures).toHaveLength(MATCHES_PER_ROUND[sport]);
      expect(fixtures.flatMap((f) => [f.home, f.away]).sort()).toEqual([...teams].sort());
    }
  });

  it('pairs every two teams exactly once per cycle, with venues swapped in the next cycle', () => {
    const venues = new Map<string, number>();
    for (let round = 0; round < 2 * cycle; round++) {
      for (const { home, away } of fixturesForRound(sport, round)) {
        venues.set(`${home}|${away}`, (venues.get(`${home}|${away}`) ?? 0) + 1);
      }
    }
    expect(venues.size).toBe(teams.length * (teams.length - 1));
    expect([...venues.values()].every((n) => n === 1)).toBe(true);
  });

  it('alternates home and away closely within a cycle', () => {
    for (const team of teams) {
      const venues = Array.from({ length: cycle }, (_, round) =>
        fixturesForRound(sport, round).some((f) => f.home === team) ? 'H' : 'A',
      ).join('');
      expect(venues, team).not.toMatch(/HHH|AAA/);
    }
  });

  it('returns the same fixtures for the same round number', () => {
    expect(fixturesForRound(sport, 12345)).toEqual(fixturesForRound(sport, 12345));
    expect(fixturesForRound(sport, 7)).toEqual(fixturesForRound(sport, 7 + 2 * cycle));
  });

  it('gives params that survive a JSON round trip and rounding to 4 decimals', () => {
    for (let round = 0; round < cycle; round++) {
      for (const { params } of fixturesForRound(sport, round)) {
        expect(JSON.parse(JSON.stringify(params))).toEqual(params);
        for (const value of Object.values(params as Record<string, number>)) {
          expect(Math.round(value * 1e4) / 1e4).toBe(value);
        }
      }
    }
  });

  it('prices every fixture without near-certainties that would pin odds at 1.01', () => {
    for (let round = 0; round < 2 * cycle; round++) {
      for (const { params } of fixturesForRound(sport, round)) {
        for (const outcome of modelFor(sport).price(params, 0.08)) {
          expect((outcome.probability * outcome.odds) / 100).toBeLessThanOrEqual(1 / 1.08);
        }
      }
    }
  });

  it('serves the model registered for the sport', () => {
    expect(modelFor(sport)).toBe(MODELS[sport]);
    expect(modelFor(sport).sport).toBe(sport);
  });
});

describe('fixture params', () => {
  it('average about 2.6 goals per football match', () => {
    const fixtures = Array.from({ length: 15 }, (_, round) => fixturesForRound('football', round)).flat();
    const goals = fixtures.map((f) => {
      const p = f.params as { homeGoals: number; awayGoals: number };
      return p.homeGoals + p.awayGoals;
    });
    expect(goals.reduce((s, g) => s + g, 0) / goals.length).toBeCloseTo(2.6, 1);
  });

  it('give basketball home sides about a three point edge', () => {
    const fixtures = Array.from({ length: 22 }, (_, round) => fixturesForRound('basketball', round)).flat();
    const edges = fixtures.map((f) => {
      const p = f.params as { homePoints: number; awayPoints: number };
      expect(p.homePoints).toBeGreaterThan(90);
      expect(p.homePoints).toBeLessThan(120);
      return p.homePoints - p.awayPoints;
    });
    expect(edges.reduce((s, e) => s + e, 0) / edges.length).toBeCloseTo(3, 0);
  });

  it('keep tennis set probabilities within 0.2 to 0.8', () => {
    for (let round = 0; round < 15; round++) {
      for (const { params } of fixturesForRound('tennis', round)) {
        const { homeSetWin } = params as { homeSetWin: number };
        expect(homeSetWin).toBeGreaterThanOrEqual(0.2);
        expect(homeSetWin).toBeLessThanOrEqual(0.8);
      }
    }
  });
});
