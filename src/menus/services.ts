import type { BetQuote, BetRejection, PlacedBet } from '../core/bets.ts';
import type { Cents } from '../core/money.ts';
import type { Outcome } from '../core/outcome.ts';
import type { Sport } from '../core/sports/types.ts';

/**
 * Everything the menu conversation asks of the rest of the system. Production binds it to the core engine and the
 * payments port (src/adapters/menu-services.ts); machine tests bind fakes. Values that end up in the machine's
 * context must survive JSON (the snapshot is persisted between hops): dates cross as ISO strings.
 */
export type Lang = 'en' | 'sw';

export interface PlayerInfo {
  id: number;
  msisdn: string;
  language: Lang;
  blocked: boolean;
  /** ISO time; set while a self-exclusion runs */
  excludedUntil: string | null;
  dailyDepositLimit: Cents | null;
  dailyStakeLimit: Cents | null;
}

export interface EventSummary {
  id: number;
  sport: Sport;
  home: string;
  away: string;
  /** ISO time */
  kickoffAt: string;
}

export interface MarketOutcome {
  id: number;
  market: string;
  pick: string;
  line: number | null;
  /** hundredths: 185 = 1.85 */
  odds: number;
}

export interface BetListItem {
  id: number;
  reference: string;
  stake: Cents;
  potentialPayout: Cents;
  state: 'open' | 'won' | 'lost' | 'void' | 'rejected';
  payout: Cents | null;
  legs: number;
  placedAt: string;
}

export interface BetLeg {
  home: string;
  away: string;
  market: string;
  pick: string;
  line: number | null;
  odds: number;
  result: 'won' | 'lost' | 'void' | null;
  score: string | null;
}

export type DepositRefusal =
  | 'amount_too_low'
  | 'amount_too_high'
  | 'daily_deposit_limit'
  | 'self_excluded'
  | 'player_blocked'
  | 'payments_busy'
  | 'payments_unavailable';

export type WithdrawalRefusal =
  | 'amount_too_low'
  | 'amount_too_high'
  | 'insufficient_funds'
  | 'daily_withdrawal_limit'
  | 'player_blocked'
  | 'payments_unavailable';

export interface PaymentLimits {
  minDeposit: Cents;
  maxDeposit: Cents;
  minWithdrawal: Cents;
  maxWithdrawal: Cents;
}

export interface MenuServices {
  /** ISO time now (the injected clock) */
  now(): string;
  limits: PaymentLimits & { minStake: Cents; maxStake: Cents; maxLegs: number };
  findPlayer(msisdn: string): Promise<PlayerInfo | null>;
  /** only called after the player accepted the terms and confirmed 18+ */
  register(msisdn: string, language: Lang): Promise<PlayerInfo>;
  balance(playerId: number): Promise<{ balance: Cents; openBets: number; openStakes: Cents }>;
  upcomingEvents(sport: Sport, page: { limit: number; offset: number }): Promise<EventSummary[]>;
  eventMarkets(eventId: number): Promise<{ event: EventSummary; outcomes: MarketOutcome[] } | null>;
  quoteBet(stake: Cents, odds: number[]): BetQuote;
  placeBet(input: {
    playerId: number;
    selections: { eventId: number; outcomeId: number; odds: number }[];
    stake: Cents;
    key: string;
  }): Promise<Outcome<PlacedBet, BetRejection, unknown>>;
  recentBets(playerId: number, page: { limit: number; offset: number }): Promise<BetListItem[]>;
  betLegs(playerId: number, betId: number): Promise<BetLeg[] | null>;
  /** what reaches the wallet after excise (screens show the tax before the player confirms) */
  depositPreview(amount: Cents): { excise: Cents; credited: Cents };
  withdrawalPreview(amount: Cents): { wht: Cents; net: Cents };
  /** starts the M-Pesa prompt without waiting for it: the hop must answer in milliseconds */
  startDeposit(input: { playerId: number; msisdn: string; amount: Cents }): Promise<Outcome<{ reference: string }, DepositRefusal>>;
  /** reserves the amount in the ledger at once; the payout runs in the background */
  requestWithdrawal(input: {
    playerId: number;
    msisdn: string;
    amount: Cents;
    key: string;
  }): Promise<Outcome<{ amount: Cents; wht: Cents; net: Cents; balance: Cents }, WithdrawalRefusal>>;
  setLanguage(playerId: number, language: Lang): Promise<void>;
  setLimits(playerId: number, limits: { deposit?: Cents | null; stake?: Cents | null }): Promise<void>;
  selfExclude(playerId: number, days: number): Promise<{ until: string }>;
}
