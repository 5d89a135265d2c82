import type { BetBatcher } from './bet-batcher.ts';
import { nairobiDay } from './clock.ts';
import { int, intOrNull, type Queryable } from './db.ts';
import { inputHash } from './ledger.ts';
import type { Cents } from './money.ts';
import { fail, ok, type Outcome } from './outcome.ts';
import type { CoreSettings } from './settings.ts';
import { stakeTax, winningsTax } from './taxes.ts';

export interface SelectionInput {
  eventId: number;
  outcomeId: number;
  /** the odds the player was shown (hundredths); a change since then is refused with the new odds */
  odds: number;
}

export interface BetInput {
  playerId: number;
  selections: SelectionInput[];
  stake: Cents;
  /** one key per confirmed bet slip: a retried confirmation never places a second bet */
  key: string;
  now: Date;
}

export type BetRejection =
  | 'no_selections'
  | 'too_many_legs'
  | 'duplicate_event'
  | 'stake_too_low'
  | 'stake_too_high'
  | 'payout_too_high'
  | 'player_not_found'
  | 'player_blocked'
  | 'self_excluded'
  | 'selection_not_found'
  | 'event_closed'
  | 'odds_changed'
  | 'daily_stake_limit'
  | 'insufficient_funds'
  | 'idempotency_conflict';

export interface BetQuote {
  stake: Cents;
  excise: Cents;
  netStake: Cents;
  /** product of the legs' odds, in hundredths, rounded down */
  totalOdds: number;
  potentialPayout: Cents;
  /** withholding tax on that payout, when the tax regime takes it from winnings */
  potentialWht: Cents;
  potentialNet: Cents;
}

/** exact: floor(netStake × Π odds / 100^legs), in integers so no float ever touches a payout */
export function payoutFor(netStake: Cents, odds: readonly number[]): Cents {
  let num = BigInt(netStake);
  let den = 1n;
  for (const o of odds) {
    num *= BigInt(o);
    den *= 100n;
  }
  return Number(num / den);
}

export function totalOdds(odds: readonly number[]): number {
  let num = 100n;
  let den = 1n;
  for (const o of odds) {
    num *= BigInt(o);
    den *= 100n;
  }
  return Number(num / den);
}

/** what a confirmation screen shows: computed exactly as placement and settlement will */
export function quoteBet(settings: CoreSettings, stake: Cents, odds: readonly number[]): BetQuote {
  const tax = stakeTax(settings.taxes, stake);
  const potentialPayout = payoutFor(tax.net, odds);
  const wht = winningsTax(settings.taxes, potentialPayout, stake);
  return {
    stake,
    excise: tax.tax,
    netStake: tax.net,
    totalOdds: totalOdds(odds),
    potentialPayout,
    potentialWht: wht.tax,
    potentialNet: wht.net,
  };
}

/** the rules that depend only on the slip itself */
export function checkSlip(
  settings: CoreSettings,
  selections: readonly SelectionInput[],
  stake: Cents,
): Outcome<BetQuote, BetRejection, { limit?: Cents }> {
  if (selections.length === 0) return fail('no_selections');
  if (selections.length > settings.maxLegs) return fail('too_many_legs', { limit: settings.maxLegs });
  if (new Set(selections.map((s) => s.eventId)).size !== selections.length) return fail('duplicate_event');
  if (!Number.isSafeInteger(stake) || stake < settings.minStake) return fail('stake_too_low', { limit: settings.minStake });
  if (stake > settings.maxStake) return fail('stake_too_high', { limit: settings.maxStake });
  const quote = quoteBet(settings, stake, selections.map((s) => s.odds));
  if (quote.potentialPayout > settings.maxPayout) return fail('payout_too_high', { limit: settings.maxPayout });
  return ok(quote);
}

export interface PlacedBet extends BetQuote {
  betId: number;
  reference: string;
  balance: Cents | null;
  duplicate: boolean;
}

export interface BetDeps {
  settings: CoreSettings;
  betBatcher: BetBatcher;
}

/**
 * The slip's own rules in TypeScript, then one call to `place_bet` (batched with concurrent bets by the batcher):
 * every state-dependent check and the debit happen there under the wallet lock.
 */
export async function placeBet(deps: BetDeps, input: BetInput): Promise<Outcome<PlacedBet, BetRejection, unknown>> {
  const slip = checkSlip(deps.settings, input.selections, input.stake);
  if (!slip.ok) return slip;
  const quote = slip.value;
  const row = await deps.betBatcher.submit({
    key: input.key,
    hash: inputHash({ player: input.playerId, stake: input.stake, selections: input.selections }),
    player: input.playerId,
    stake: input.stake,
    excise: quote.excise,
    potential: quote.potentialPayout,
    outcomes: input.selections.map((s) => String(s.outcomeId)),
    odds: input.selections.map((s) => s.odds),
    events: input.selections.map((s) => String(s.eventId)),
    now: input.now.toISOString(),
    day: nairobiDay(input.now),
  });
  const detail = typeof row.detail === 'string' ? JSON.parse(row.detail) : row.detail;
  switch (row.outcome) {
    case 'placed':
    case 'duplicate':
      return ok({
        ...quote,
        betId: int(row.bet_id),
        reference: row.reference!,
        balance: row.outcome === 'placed' ? int((detail as { balance: unknown }).balance) : null,
        duplicate: row.outcome === 'duplicate',
      });
    case 'conflict':
      return fail('idempotency_conflict');
    default:
      return fail(row.outcome as BetRejection, detail ?? undefined);
  }
}

export type BetState = 'open' | 'won' | 'lost' | 'void' | 'rejected';

export interface BetSummary {
  id: number;
  reference: string;
  stake: Cents;
  excise: Cents;
  potentialPayout: Cents;
  legs: number;
  state: BetState;
  payout: Cents | null;
  wht: Cents | null;
  placedAt: Date;
  settledAt: Date | null;
}

interface BetRow {
  id: unknown;
  reference: string;
  stake: unknown;
  excise: unknown;
  potential_payout: unknown;
  legs: unknown;
  state: BetState;
  payout: unknown;
  wht: unknown;
  placed_at: Date | string;
  settled_at: Date | string | null;
}

function toBet(r: BetRow): BetSummary {
  return {
    id: int(r.id),
    reference: r.reference,
    stake: int(r.stake),
    excise: int(r.excise),
    potentialPayout: int(r.potential_payout),
    legs: int(r.legs),
    state: r.state,
    payout: intOrNull(r.payout),
    wht: intOrNull(r.wht),
    placedAt: new Date(r.placed_at),
    settledAt: r.settled_at === null ? null : new Date(r.settled_at),
  };
}

export async function recentBets(
  q: Queryable,
  playerId: number,
  page: { limit: number; offset?: number },
): Promise<BetSummary[]> {
  const { rows } = await q.query<BetRow>(
    'SELECT * FROM bets WHERE player_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3',
    [playerId, Math.min(Math.max(page.limit, 1), 50), page.offset ?? 0],
  );
  return rows.map(toBet);
}

export interface SelectionView {
  leg: number;
  eventId: number;
  sport: string;
  home: string;
  away: string;
  kickoffAt: Date;
  market: string;
  pick: string;
  line: number | null;
  odds: number;
  result: 'won' | 'lost' | 'void' | null;
  score: string | null;
}

export interface BetDetail extends BetSummary {
  playerId: number;
  selections: SelectionView[];
}

/** references are read case-insensitively; Crockford lookalikes (O, I, L) are mapped back as a person would mean them */
export function normaliseReference(input: string): string {
  const text = input.trim().toUpperCase();
  return text.slice(0, 1) + text.slice(1).replace(/O/g, '0').replace(/[IL]/g, '1');
}

export async function betByReference(q: Queryable, reference: string): Promise<BetDetail | null> {
  const wanted = normaliseReference(reference);
  const { rows } = await q.query<BetRow & { player_id: unknown }>(
    'SELECT * FROM bets WHERE id = bet_id_from_reference($1) AND reference = $1',
    [wanted],
  );
  const bet = rows[0];
  if (!bet) return null;
  const sel = await q.query<{
    leg: unknown;
    event_id: unknown;
    sport: string;
    home: string;
    away: string;
    kickoff_at: Date | string;
    market: string;
    pick: string;
    line: string | number | null;
    odds: unknown;
    result: SelectionView['result'];
    score: string | null;
  }>(
    `SELECT s.leg, s.event_id, e.sport, e.home, e.away, e.kickoff_at, o.market, o.pick, o.line, s.odds, o.result, e.score
       FROM bet_selections s JOIN outcomes o ON o.id = s.outcome_id JOIN events e ON e.id = s.event_id
      WHERE s.bet_id = $1 ORDER BY s.leg`,
    [bet.id],
  );
  return {
    ...toBet(bet),
    playerId: int(bet.player_id),
    selections: sel.rows.map((r) => ({
      leg: int(r.leg),
      eventId: int(r.event_id),
      sport: r.sport,
      home: r.home,
      away: r.away,
      kickoffAt: new Date(r.kickoff_at),
      market: r.market,
      pick: r.pick,
      line: r.line === null ? null : Number(r.line),
      odds: int(r.odds),
      result: r.result,
      score: r.score,
    })),
  };
}
