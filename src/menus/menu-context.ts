import type { BetQuote } from '../core/bets.ts';
import type { Cents } from '../core/money.ts';
import type { Sport } from '../core/sports/types.ts';
import type { Resumable, SlipLeg } from './resumable.ts';
import type { BetLeg, BetListItem, EventSummary, Lang, MarketOutcome, MenuServices, PlayerInfo } from './services.ts';

/**
 * What the menu machine remembers between hops. It is persisted with the snapshot after every hop, so everything
 * here is plain JSON: no dates, no functions, no services.
 */
export type MenuLimits = MenuServices['limits'];

/** Fixed for the life of a session; copied from the conversation's options at the first hop. */
export interface MenuSettings {
  /** longest screen in GSM-7 septets */
  maxChars: number;
  limits: MenuLimits;
  /** where the full terms are published, shown on the terms screen */
  termsUrl: string;
  /** e.g. "0700 000 000"; '' leaves the number out of the "call customer care" line */
  supportPhone: string;
}

export type NoticeKey =
  | 'invalidChoice'
  | 'invalidAmount'
  | 'belowMinimum'
  | 'aboveMaximum'
  | 'wholeShillings'
  | 'registered'
  | 'oddsChanged'
  | 'pickReplaced'
  | 'slipFull'
  | 'matchClosed'
  | 'betCancelled'
  | 'cancelled'
  | 'languageSaved'
  | 'limitSaved'
  | 'limitRemoved';

/** A one-line message shown at the top of the next screen (a hint after a typo, or news such as "Odds changed"). */
export interface Notice {
  key: NoticeKey;
  /** an amount (belowMinimum/aboveMaximum) or a count (slipFull) */
  value?: number;
}

/** Where the current screen's option list starts, for lists longer than one screen. */
export interface PageCursor {
  /** index of the first line shown */
  start: number;
  /** starts of the earlier pages, so '0' can step back one page */
  prev: number[];
}

export interface BalanceInfo {
  balance: Cents;
  openBets: number;
  openStakes: Cents;
}

/** Why a bet, deposit or withdrawal was refused, with the numbers the screen needs. */
export interface Refusal {
  reason: string;
  /** limit, remaining allowance or balance, depending on the reason */
  amount?: Cents;
  /** a date (self-exclusion end) */
  until?: string;
  /** matches taken off the slip (event_closed, selection_not_found) */
  removed?: { home: string; away: string }[];
}

/** The betting flow: from the sport chosen to the bet placed. */
export interface BettingFlow {
  sport: Sport | null;
  events: EventSummary[];
  event: EventSummary | null;
  outcomes: MarketOutcome[];
  market: string | null;
  slip: SlipLeg[];
  stake: Cents | null;
  quote: BetQuote | null;
  /** idempotency key of the confirmation on screen: a retried "1. Confirm" reuses it */
  betKey: string | null;
  placed: { reference: string; stake: Cents; potentialPayout: Cents } | null;
}

/** What the balance and "my bets" screens show. */
export interface Statement {
  balance: BalanceInfo | null;
  bets: BetListItem[];
  bet: BetListItem | null;
  legs: BetLeg[];
}

/** A deposit or withdrawal on its way through the screens. */
export interface Payments {
  deposit: { amount: Cents; excise: Cents; credited: Cents } | null;
  depositStarted: Cents | null;
  withdrawal: { amount: Cents; wht: Cents; net: Cents; key: string } | null;
  withdrawn: { net: Cents; balance: Cents } | null;
}

/** Account settings being changed. */
export interface AccountChanges {
  /** the language being saved; it is used once the save succeeded */
  pendingLanguage: Lang | null;
  limitKind: 'deposit' | 'stake' | null;
  /** the limit being saved: cents, or null to remove it */
  pendingLimit: Cents | null;
  breakDays: number | null;
  excludedUntil: string | null;
}

/**
 * Flows keep their fields in a sub-object each because XState's `assign` copies the context with `Object.assign`
 * on every action: V8 builds that copy key by key and, past about 16 keys, turns it into a slow dictionary object,
 * which made every assign, guard and render of a hop several times dearer. Keep the top level under 16 keys.
 */
export interface MenuContext {
  sessionId: string;
  phone: string;
  settings: MenuSettings;
  lang: Lang;
  player: PlayerInfo | null;
  /** ISO time the player was loaded: self-exclusion is judged against it for the whole session */
  now: string;
  notice: Notice | null;
  page: PageCursor;
  /** what a dropped session left, offered on the first screen */
  resume: Resumable | null;
  /** why the last bet, deposit or withdrawal was refused; null after a success */
  refusal: Refusal | null;
  /** counts confirmation screens shown, so each new confirmation gets its own idempotency key */
  confirmations: number;

  betting: BettingFlow;
  statement: Statement;
  payments: Payments;
  account: AccountChanges;
}

const FLOWS = ['betting', 'statement', 'payments', 'account'] as const;

/**
 * Whether a restored context has this release's shape. A snapshot saved before the flows were nested would
 * otherwise restore and fail somewhere mid-screen; refusing it up front answers "Service busy" instead.
 */
export function hasMenuContextShape(context: unknown): boolean {
  if (typeof context !== 'object' || context === null) return false;
  const c = context as Record<string, unknown>;
  return FLOWS.every((flow) => typeof c[flow] === 'object' && c[flow] !== null);
}

export interface MenuInput {
  sessionId: string;
  phone: string;
  settings: MenuSettings;
  /** checked with `parseResumable` before it gets here */
  resume: Resumable | null;
}

export type MenuEvent = { type: 'INPUT'; value: string };

/** A list a numbered choice can pick from. */
export type PickList = 'events' | 'markets' | 'outcomes' | 'bets';
