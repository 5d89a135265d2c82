import { priceMarket } from './odds.ts';
import { inverseCdf, truncatedPoisson } from './poisson.ts';
import type { OutcomeResult, PricedOutcome, SportModel } from './types.ts';

/** Poisson means of each side's goals */
export interface FootballParams {
  homeGoals: number;
  awayGoals: number;
}

export interface FootballResult {
  home: number;
  away: number;
}

/** Goals per side are capped here in both pricing and drawing; the cut-off mass is spread back by renormalising. */
const MAX_GOALS = 15;

type Rule = (home: number, away: number) => boolean;

/** One rule per pick, shared by price and settle so the two cannot disagree. */
const MARKETS: { market: string; picks: [pick: string, wins: Rule][] }[] = [
  {
    market: '1X2',
    picks: [
      ['1', (h, a) => h > a],
      ['X', (h, a) => h === a],
      ['2', (h, a) => h < a],
    ],
  },
  {
    // Each pick covers two of the three results, so probabilities sum to 2 and two picks win.
    market: 'DC',
    picks: [
      ['1X', (h, a) => h >= a],
      ['X2', (h, a) => h <= a],
      ['12', (h, a) => h !== a],
    ],
  },
  {
    market: 'OU25',
    picks: [
      ['OV25', (h, a) => h + a >= 3],
      ['UN25', (h, a) => h + a <= 2],
    ],
  },
  {
    market: 'BTTS',
    picks: [
      ['GG', (h, a) => h > 0 && a > 0],
      ['NG', (h, a) => h === 0 || a === 0],
    ],
  },
  {
    // European handicap: the home side starts one goal down.
    market: 'HCP',
    picks: [
      ['1', (h, a) => h - a >= 2],
      ['X', (h, a) => h - a === 1],
      ['2', (h, a) => h - a <= 0],
    ],
  },
];

function goalPmfs(params: FootballParams): [home: number[], away: number[]] {
  return [truncatedPoisson(params.homeGoals, MAX_GOALS), truncatedPoisson(params.awayGoals, MAX_GOALS)];
}

function probabilityOf(wins: Rule, home: number[], away: number[]): number {
  let total = 0;
  for (const [h, ph] of home.entries()) {
    for (const [a, pa] of away.entries()) {
      if (wins(h, a)) total += ph * pa;
    }
  }
  return total;
}

export const football: SportModel<FootballParams, FootballResult> = {
  sport: 'football',

  price(params, margin): PricedOutcome[] {
    const [home, away] = goalPmfs(params);
    return MARKETS.flatMap(({ market, picks }) =>
      priceMarket(
        market,
        picks.map(([pick, wins]) => ({ pick, probability: probabilityOf(wins, home, away) })),
        margin,
      ),
    );
  },

  draw(params, next) {
    const [home, away] = goalPmfs(params);
    return { home: inverseCdf(home, next()), away: inverseCdf(away, next()) };
  },

  settle(_params, result) {
    const settled: Record<string, OutcomeResult> = {};
    for (const { market, picks } of MARKETS) {
      for (const [pick, wins] of picks) {
        settled[`${market}:${pick}`] = wins(result.home, result.away) ? 'won' : 'lost';
      }
    }
    return settled;
  },

  scoreText: (result) => `${result.home}-${result.away}`,
};
