/** A world built to stress the screens: long team names, many matches, many bets with ten legs each. */
import type { BetLeg, BetListItem, EventSummary, Lang } from '../../src/menus/services.ts';
import {
  basketballOutcomes,
  defaultWorld,
  footballOutcomes,
  player,
  tennisOutcomes,
  type FakeWorld,
} from './fake-menu-services.ts';

const LONG = [
  'Kakamega Homeboyz Football Club Reserves',
  'Posta Rangers Youth Academy',
  'Gor Mahia',
  'Vihiga Bullets Women',
  'Shabana',
  'Tusker Football Club of Nairobi',
];

export function stressWorld(lang: Lang): FakeWorld {
  const world = defaultWorld();
  const events: EventSummary[] = [];
  const sports = ['football', 'basketball', 'tennis'] as const;
  let id = 500;
  for (const sport of sports) {
    for (let i = 0; i < 24; i += 1) {
      id += 1;
      events.push({
        id,
        sport,
        home: LONG[i % LONG.length]!,
        away: LONG[(i + 1) % LONG.length]!,
        kickoffAt: new Date(Date.parse(world.now) + (i + 1) * 120_000).toISOString(),
      });
      world.outcomes.set(
        id,
        sport === 'football' ? footballOutcomes(id * 100) : sport === 'basketball' ? basketballOutcomes(id * 100) : tennisOutcomes(id * 100),
      );
    }
  }
  world.events = events;
  const bets: BetListItem[] = [];
  for (let i = 1; i <= 30; i += 1) {
    const state = (['open', 'won', 'lost', 'void', 'rejected'] as const)[i % 5]!;
    bets.push({
      id: i,
      reference: `R${String(i).padStart(4, '0')}X`,
      stake: 123_456 * i,
      potentialPayout: 9_876_543 * i,
      state,
      payout: state === 'won' ? 9_876_543 * i : null,
      legs: 10,
      placedAt: world.now,
    });
    const legs: BetLeg[] = [];
    for (let l = 0; l < 10; l += 1) {
      legs.push({
        home: LONG[l % LONG.length]!,
        away: LONG[(l + 2) % LONG.length]!,
        market: ['1X2', 'DC', 'OU25', 'BTTS', 'HCP', 'TOT', 'SETS', 'WIN'][l % 8]!,
        pick: ['X', '12', 'UN25', 'GG', '2', 'OV', '3', '1'][l % 8]!,
        line: l % 8 === 5 ? 209.5 : null,
        odds: 1234,
        result: [null, 'won', 'lost', 'void'][l % 4] as BetLeg['result'],
        score: l % 4 === 0 ? null : '12-10',
      });
    }
    world.legs.set(i, legs);
  }
  world.bets = bets;
  world.stakeExciseBp = 1250;
  world.winTaxBp = 2000;
  world.balances.set(1, 999_999_999);
  world.players.set('254700000001', player({ language: lang, dailyDepositLimit: 12_345_600, dailyStakeLimit: 99_999_900 }));
  return world;
}

