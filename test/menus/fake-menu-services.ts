/**
 * An in-memory `MenuServices` for machine tests: players, wallets, events, bets and payments as plain maps, with
 * money rules simple enough to check numbers by hand (the real rules are tested in test/core). Tests steer it by
 * editing `world` (queue a placement outcome, make a call throw, change a balance) between hops.
 */
import type { BetQuote, BetRejection, PlacedBet } from '../../src/core/bets.ts';
import type { Cents } from '../../src/core/money.ts';
import { fail, ok, type Outcome } from '../../src/core/outcome.ts';
import type { Sport } from '../../src/core/sports/types.ts';
import type {
  BetLeg,
  BetListItem,
  DepositRefusal,
  EventSummary,
  Lang,
  MarketOutcome,
  MenuServices,
  PlayerInfo,
  WithdrawalRefusal,
} from '../../src/menus/services.ts';

export const NOW = '2026-03-10T11:00:00.000Z'; // 14:00 in Nairobi

export interface FakeWorld {
  now: string;
  players: Map<string, PlayerInfo>;
  balances: Map<number, Cents>;
  events: EventSummary[];
  outcomes: Map<number, MarketOutcome[]>;
  bets: BetListItem[];
  legs: Map<number, BetLeg[]>;
  /** excise on stakes / tax on winnings (basis points), as under the earlier regime */
  stakeExciseBp: number;
  winTaxBp: number;
  depositExciseBp: number;
  withdrawalTaxBp: number;
  /** placement outcomes to return instead of placing, one per call */
  placements: Outcome<PlacedBet, BetRejection, unknown>[];
  depositRefusals: DepositRefusal[];
  withdrawalRefusals: WithdrawalRefusal[];
  /** service methods that throw on their next call */
  failing: Set<keyof MenuServices>;
  calls: { method: string; args: unknown[] }[];
  /** placements by idempotency key: the same key never places twice */
  placedByKey: Map<string, PlacedBet>;
  nextPlayerId: number;
}

const bp = (amount: Cents, rate: number) => Math.floor((amount * rate + 5000) / 10000);

export function footballOutcomes(firstId: number, odds = { home: 210, draw: 340, away: 305 }): MarketOutcome[] {
  let id = firstId;
  const o = (market: string, pick: string, price: number, line: number | null = null): MarketOutcome => ({
    id: id++,
    market,
    pick,
    line,
    odds: price,
  });
  return [
    o('1X2', '1', odds.home),
    o('1X2', 'X', odds.draw),
    o('1X2', '2', odds.away),
    o('DC', '1X', 130),
    o('DC', 'X2', 160),
    o('DC', '12', 125),
    o('OU25', 'OV25', 195),
    o('OU25', 'UN25', 180),
    o('BTTS', 'GG', 175),
    o('BTTS', 'NG', 200),
    o('HCP', '1', 380),
    o('HCP', 'X', 360),
    o('HCP', '2', 150),
  ];
}

export function basketballOutcomes(firstId: number): MarketOutcome[] {
  return [
    { id: firstId, market: 'WIN', pick: '1', line: null, odds: 150 },
    { id: firstId + 1, market: 'WIN', pick: '2', line: null, odds: 250 },
    { id: firstId + 2, market: 'TOT', pick: 'OV', line: 209.5, odds: 190 },
    { id: firstId + 3, market: 'TOT', pick: 'UN', line: 209.5, odds: 190 },
  ];
}

export function tennisOutcomes(firstId: number): MarketOutcome[] {
  return [
    { id: firstId, market: 'WIN', pick: '1', line: null, odds: 140 },
    { id: firstId + 1, market: 'WIN', pick: '2', line: null, odds: 280 },
    { id: firstId + 2, market: 'SETS', pick: '2', line: null, odds: 160 },
    { id: firstId + 3, market: 'SETS', pick: '3', line: null, odds: 230 },
  ];
}

export function player(over: Partial<PlayerInfo> = {}): PlayerInfo {
  return {
    id: 1,
    msisdn: '254700000001',
    language: 'en',
    blocked: false,
    excludedUntil: null,
    dailyDepositLimit: null,
    dailyStakeLimit: null,
    ...over,
  };
}

/** the default world: one registered player with KES 1,000, three football matches, a basketball and a tennis one */
export function defaultWorld(): FakeWorld {
  const p = player();
  const events: EventSummary[] = [
    { id: 101, sport: 'football', home: 'Nairobi FC', away: 'Mombasa Utd', kickoffAt: '2026-03-10T11:32:00.000Z' },
    { id: 102, sport: 'football', home: 'Kisumu Stars', away: 'Nakuru City', kickoffAt: '2026-03-10T11:34:00.000Z' },
    { id: 103, sport: 'football', home: 'Eldoret Rangers', away: 'Thika Town', kickoffAt: '2026-03-10T11:36:00.000Z' },
    { id: 201, sport: 'basketball', home: 'Ulinzi Warriors', away: 'KPA', kickoffAt: '2026-03-10T11:33:00.000Z' },
    { id: 301, sport: 'tennis', home: 'Okutoyi', away: 'Wanjiru', kickoffAt: '2026-03-10T11:35:00.000Z' },
  ];
  return {
    now: NOW,
    players: new Map([[p.msisdn, p]]),
    balances: new Map([[p.id, 100_000]]),
    events,
    outcomes: new Map([
      [101, footballOutcomes(1000)],
      [102, footballOutcomes(1100, { home: 180, draw: 350, away: 420 })],
      [103, footballOutcomes(1200)],
      [201, basketballOutcomes(2000)],
      [301, tennisOutcomes(3000)],
    ]),
    bets: [],
    legs: new Map(),
    stakeExciseBp: 0,
    winTaxBp: 0,
    depositExciseBp: 500,
    withdrawalTaxBp: 500,
    placements: [],
    depositRefusals: [],
    withdrawalRefusals: [],
    failing: new Set(),
    calls: [],
    placedByKey: new Map(),
    nextPlayerId: 2,
  };
}

export const LIMITS: MenuServices['limits'] = {
  minStake: 1000,
  maxStake: 5_000_000,
  maxLegs: 3,
  minDeposit: 1000,
  maxDeposit: 15_000_000,
  minWithdrawal: 5000,
  maxWithdrawal: 7_000_000,
};

export function fakeServices(world: FakeWorld = defaultWorld()): MenuServices & { world: FakeWorld } {
  const track = (method: keyof MenuServices, args: unknown[]) => {
    world.calls.push({ method, args });
    if (world.failing.has(method)) {
      world.failing.delete(method);
      throw new Error(`fake ${method} failed`);
    }
  };
  const quote = (stake: Cents, odds: number[]): BetQuote => {
    const excise = bp(stake, world.stakeExciseBp);
    const netStake = stake - excise;
    let num = BigInt(netStake);
    let den = 1n;
    let oddsNum = 100n;
    for (const o of odds) {
      num *= BigInt(o);
      oddsNum *= BigInt(o);
      den *= 100n;
    }
    const potentialPayout = Number(num / den);
    const potentialWht = potentialPayout > stake ? bp(potentialPayout - stake, world.winTaxBp) : 0;
    return {
      stake,
      excise,
      netStake,
      totalOdds: Number(oddsNum / den),
      potentialPayout,
      potentialWht,
      potentialNet: potentialPayout - potentialWht,
    };
  };

  return {
    world,
    now: () => world.now,
    limits: LIMITS,
    async findPlayer(msisdn) {
      track('findPlayer', [msisdn]);
      // a copy, as a database row would be: the world's player changes under later calls, the context's must not
      const found = world.players.get(msisdn);
      return found === undefined ? null : { ...found };
    },
    async register(msisdn: string, language: Lang) {
      track('register', [msisdn, language]);
      const p = player({ id: world.nextPlayerId++, msisdn, language });
      world.players.set(msisdn, p);
      world.balances.set(p.id, 0);
      return { ...p };
    },
    async balance(playerId) {
      track('balance', [playerId]);
      const open = world.bets.filter((b) => b.state === 'open');
      return {
        balance: world.balances.get(playerId) ?? 0,
        openBets: open.length,
        openStakes: open.reduce((sum, b) => sum + b.stake, 0),
      };
    },
    async upcomingEvents(sport: Sport, page) {
      track('upcomingEvents', [sport, page]);
      return world.events.filter((e) => e.sport === sport).slice(page.offset, page.offset + page.limit);
    },
    async eventMarkets(eventId) {
      track('eventMarkets', [eventId]);
      const event = world.events.find((e) => e.id === eventId);
      if (event === undefined) return null;
      return { event, outcomes: world.outcomes.get(eventId) ?? [] };
    },
    quoteBet(stake, odds) {
      track('quoteBet', [stake, odds]);
      return quote(stake, odds);
    },
    async placeBet(input) {
      track('placeBet', [input]);
      const queued = world.placements.shift();
      if (queued !== undefined) return queued;
      const seen = world.placedByKey.get(input.key);
      if (seen !== undefined) return ok({ ...seen, duplicate: true, balance: null });
      const balance = world.balances.get(input.playerId) ?? 0;
      if (input.stake > balance) return fail('insufficient_funds', { balance });
      world.balances.set(input.playerId, balance - input.stake);
      const q = quote(input.stake, input.selections.map((s) => s.odds));
      const betId = world.bets.length + 1;
      const placed: PlacedBet = { ...q, betId, reference: `B7K2${String.fromCharCode(80 + betId)}`, balance: balance - input.stake, duplicate: false };
      world.placedByKey.set(input.key, placed);
      world.bets.unshift({
        id: betId,
        reference: placed.reference,
        stake: input.stake,
        potentialPayout: q.potentialPayout,
        state: 'open',
        payout: null,
        legs: input.selections.length,
        placedAt: world.now,
      });
      return ok(placed);
    },
    async recentBets(playerId, page) {
      track('recentBets', [playerId, page]);
      return world.bets.slice(page.offset, page.offset + page.limit);
    },
    async betLegs(playerId, betId) {
      track('betLegs', [playerId, betId]);
      return world.legs.get(betId) ?? null;
    },
    depositPreview(amount) {
      track('depositPreview', [amount]);
      const excise = bp(amount, world.depositExciseBp);
      return { excise, credited: amount - excise };
    },
    withdrawalPreview(amount) {
      track('withdrawalPreview', [amount]);
      const wht = bp(amount, world.withdrawalTaxBp);
      return { wht, net: amount - wht };
    },
    async startDeposit(input) {
      track('startDeposit', [input]);
      const refusal = world.depositRefusals.shift();
      if (refusal !== undefined) return fail(refusal);
      return ok({ reference: 'ws_CO_1' });
    },
    async requestWithdrawal(input) {
      track('requestWithdrawal', [input]);
      const refusal = world.withdrawalRefusals.shift();
      if (refusal !== undefined) return fail(refusal);
      const balance = world.balances.get(input.playerId) ?? 0;
      if (input.amount > balance) return fail('insufficient_funds');
      world.balances.set(input.playerId, balance - input.amount);
      const wht = bp(input.amount, world.withdrawalTaxBp);
      return ok({ amount: input.amount, wht, net: input.amount - wht, balance: balance - input.amount });
    },
    async setLanguage(playerId, language) {
      track('setLanguage', [playerId, language]);
      for (const p of world.players.values()) if (p.id === playerId) p.language = language;
    },
    async setLimits(playerId, limits) {
      track('setLimits', [playerId, limits]);
      for (const p of world.players.values()) {
        if (p.id !== playerId) continue;
        if (limits.deposit !== undefined) p.dailyDepositLimit = limits.deposit;
        if (limits.stake !== undefined) p.dailyStakeLimit = limits.stake;
      }
    },
    async selfExclude(playerId, days) {
      track('selfExclude', [playerId, days]);
      const until = new Date(Date.parse(world.now) + days * 86_400_000).toISOString();
      for (const p of world.players.values()) if (p.id === playerId) p.excludedUntil = until;
      return { until };
    },
  };
}
