import { priceMarket } from './odds.ts';
import { inverseCdf, truncatedPoisson } from './poisson.ts';
import type { SportModel } from './types.ts';

/** Poisson means of each side's regulation points */
export interface BasketballParams {
  homePoints: number;
  awayPoints: number;
}

/**
 * `home`/`away` are final scores including overtime. `regulationTotal` is kept because the
 * TOT market settles on regulation points, which the final score alone cannot recover.
 */
export interface BasketballResult {
  home: number;
  away: number;
  overtimes: number;
  regulationTotal: number;
}

/** a 5-minute overtime against 48 minutes of regulation */
const OVERTIME_SHARE = 5 / 48;

/**
 * The last allowed overtime is drawn conditioned on not ending level. That keeps the draw bounded
 * and gives each side exactly the win probability of the endless overtime sequence; only the
 * overtime count, which no market settles on, is affected.
 */
const MAX_OVERTIMES = 5;

/** 12 standard deviations above the mean: the discarded tail is far below double precision. */
function pointsPmf(mean: number): number[] {
  return truncatedPoisson(mean, Math.ceil(mean + 12 * Math.sqrt(mean) + 12));
}

interface Matchup {
  regulation: [home: number[], away: number[]];
  overtime: [home: number[], away: number[]];
}

function matchup(params: BasketballParams): Matchup {
  return {
    regulation: [pointsPmf(params.homePoints), pointsPmf(params.awayPoints)],
    overtime: [pointsPmf(params.homePoints * OVERTIME_SHARE), pointsPmf(params.awayPoints * OVERTIME_SHARE)],
  };
}

function cumulative(pmf: readonly number[]): number[] {
  let sum = 0;
  return pmf.map((p) => (sum += p));
}

/** P(home > away), P(level), P(home < away) for independent point counts. */
function duel([home, away]: [number[], number[]]): { homeAhead: number; level: number; awayAhead: number } {
  const awayCdf = cumulative(away);
  let homeAhead = 0;
  let level = 0;
  let awayAhead = 0;
  for (const [h, ph] of home.entries()) {
    const atMost = awayCdf[Math.min(h, awayCdf.length - 1)] ?? 0;
    const equal = away[h] ?? 0;
    homeAhead += ph * (atMost - equal);
    level += ph * equal;
    awayAhead += ph * (1 - atMost);
  }
  return { homeAhead, level, awayAhead };
}

/** P(home + away <= total) */
function totalAtMost([home, away]: [number[], number[]], total: number): number {
  const awayCdf = cumulative(away);
  let probability = 0;
  for (const [h, ph] of home.entries()) {
    const rest = total - h;
    if (rest < 0) break;
    probability += ph * (awayCdf[Math.min(rest, awayCdf.length - 1)] ?? 0);
  }
  return probability;
}

/** Inverse CDF over the joint overtime scores that are not level. */
function drawDecisiveOvertime([home, away]: [number[], number[]], u: number): [number, number] {
  const decisiveMass = 1 - duel([home, away]).level;
  const target = u * decisiveMass;
  let cumulativeMass = 0;
  let last: [number, number] = [1, 0];
  for (const [h, ph] of home.entries()) {
    for (const [a, pa] of away.entries()) {
      if (h === a || ph * pa === 0) continue;
      cumulativeMass += ph * pa;
      last = [h, a];
      if (target < cumulativeMass) return last;
    }
  }
  return last;
}

function totalLine(params: BasketballParams): number {
  return Math.floor(params.homePoints + params.awayPoints) + 0.5;
}

export const basketball: SportModel<BasketballParams, BasketballResult> = {
  sport: 'basketball',

  price(params, margin) {
    const m = matchup(params);
    const regulation = duel(m.regulation);
    const overtime = duel(m.overtime);
    // A level regulation is decided by the first decisive overtime, whatever number it is.
    const homeTakesOvertime = overtime.homeAhead / (overtime.homeAhead + overtime.awayAhead);
    const line = totalLine(params);
    const under = totalAtMost(m.regulation, Math.floor(line));
    return [
      ...priceMarket(
        'WIN',
        [
          { pick: '1', probability: regulation.homeAhead + regulation.level * homeTakesOvertime },
          { pick: '2', probability: regulation.awayAhead + regulation.level * (1 - homeTakesOvertime) },
        ],
        margin,
      ),
      // The total counts regulation points only, so its price needs no overtime model.
      ...priceMarket(
        'TOT',
        [
          { pick: 'OV', probability: 1 - under, line },
          { pick: 'UN', probability: under, line },
        ],
        margin,
      ),
    ];
  },

  draw(params, next) {
    const m = matchup(params);
    let home = inverseCdf(m.regulation[0], next());
    let away = inverseCdf(m.regulation[1], next());
    const regulationTotal = home + away;
    let overtimes = 0;
    while (home === away && overtimes < MAX_OVERTIMES - 1) {
      home += inverseCdf(m.overtime[0], next());
      away += inverseCdf(m.overtime[1], next());
      overtimes += 1;
    }
    if (home === away) {
      const [h, a] = drawDecisiveOvertime(m.overtime, next());
      home += h;
      away += a;
      overtimes += 1;
    }
    return { home, away, overtimes, regulationTotal };
  },

  settle(params, result) {
    const homeWins = result.home > result.away;
    const over = result.regulationTotal > totalLine(params);
    return {
      'WIN:1': homeWins ? 'won' : 'lost',
      'WIN:2': homeWins ? 'lost' : 'won',
      'TOT:OV': over ? 'won' : 'lost',
      'TOT:UN': over ? 'lost' : 'won',
    };
  },

  scoreText({ home, away, overtimes }) {
    if (overtimes === 0) return `${home}-${away}`;
    return `${home}-${away} ${overtimes === 1 ? '' : overtimes}OT`;
  },
};
