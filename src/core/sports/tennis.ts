import { priceMarket } from './odds.ts';
import type { SportModel } from './types.ts';

/** probability the first-named player wins any one set */
export interface TennisParams {
  homeSetWin: number;
}

/** sets won, best of three */
export interface TennisResult {
  home: number;
  away: number;
}

const SETS_TO_WIN = 2;

function setWin({ homeSetWin }: TennisParams): number {
  if (!(homeSetWin > 0 && homeSetWin < 1)) {
    throw new RangeError(`homeSetWin must be in (0, 1), got ${homeSetWin}`);
  }
  return homeSetWin;
}

export const tennis: SportModel<TennisParams, TennisResult> = {
  sport: 'tennis',

  price(params, margin) {
    const s = setWin(params);
    const t = 1 - s;
    const straightHome = s * s;
    const straightAway = t * t;
    const deciderHome = 2 * s * s * t;
    const deciderAway = 2 * s * t * t;
    return [
      ...priceMarket(
        'WIN',
        [
          { pick: '1', probability: straightHome + deciderHome },
          { pick: '2', probability: straightAway + deciderAway },
        ],
        margin,
      ),
      ...priceMarket(
        'SETS',
        [
          { pick: '2', probability: straightHome + straightAway },
          { pick: '3', probability: deciderHome + deciderAway },
        ],
        margin,
      ),
    ];
  },

  draw(params, next) {
    const s = setWin(params);
    let home = 0;
    let away = 0;
    // every pass awards a set, so this runs at most three times
    while (home < SETS_TO_WIN && away < SETS_TO_WIN) {
      if (next() < s) home += 1;
      else away += 1;
    }
    return { home, away };
  },

  settle(_params, result) {
    const homeWins = result.home > result.away;
    const straight = result.home + result.away === SETS_TO_WIN;
    return {
      'WIN:1': homeWins ? 'won' : 'lost',
      'WIN:2': homeWins ? 'lost' : 'won',
      'SETS:2': straight ? 'won' : 'lost',
      'SETS:3': straight ? 'lost' : 'won',
    };
  },

  scoreText: (result) => `${result.home}-${result.away} sets`,
};
