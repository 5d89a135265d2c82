/**
 * Runs one parsed SMS command for one phone through `MenuServices` (the same operations the USSD menus use) and says
 * what to answer. Every command gets words back, never silence: a reply text, or — for a placed bet and a started
 * self-exclusion — the receipt the core queued in the same transaction (so the player is not told twice).
 *
 * Idempotency: the money commands are keyed by the inbound message id (`sms:<id>`), so running a command again for
 * the same message (Africa's Talking re-posting after we crashed mid-way) places one bet and reserves one withdrawal.
 * A deposit prompt and a self-exclusion have no such key in their services: a re-run could prompt twice or extend a
 * break by the seconds between the two runs (see sms-inbound.ts for when a re-run can happen at all).
 *
 * Odds: an SMS bettor takes the current odds. When they change between our lookup and the placement (a repricing
 * race), we retry once with the new odds; a second change is answered with the new odds to send the bet again.
 */
import type { BetRejection } from '../../core/bets.ts';
import type { Queryable } from '../../core/db.ts';
import { formatKes, type Cents } from '../../core/money.ts';
import type { Sport } from '../../core/sports/types.ts';
import { formatOdds, kickoffTime, nairobiDateTime } from '../../menus/display-format.ts';
import { gsm7Length, toGsm7 } from '../../menus/gsm7.ts';
import type { EventSummary, Lang, MarketOutcome, MenuServices, PlayerInfo } from '../../menus/services.ts';
import type { Command, SyntaxProblem } from './sms-commands.ts';
import { PICK_CODES, pickCode, resolvePick } from './sms-picks.ts';
import { firstThatFits, fitLines, quote, TWO_PARTS } from './sms-length.ts';
import { setPromoOptOut } from './promo-opt-out.ts';
import { textsFor, type SmsTexts } from './sms-texts.ts';

export interface CommandRunnerDeps {
  services: MenuServices;
  db: Queryable;
  /** shown in the terms a new number is sent */
  termsUrl: string;
}

export interface CommandContext {
  /** normalised 2547…/2541… */
  msisdn: string;
  /** the provider's id of the inbound message: the idempotency key of what it asks */
  inboundId: string;
  player: PlayerInfo | null;
}

export interface CommandOutcome {
  /** the text to queue as the reply; null when a receipt the core queued answers (see `answeredBy`) */
  reply: string | null;
  answeredBy?: 'bet_placed' | 'self_excluded';
  playerId: number | null;
  /** the player's language after the command (LANG#SW is answered in Kiswahili) */
  language: Lang;
}

/** games kicking off sooner than this are left out of GAMES: an SMS round trip could miss the kick-off */
const GAMES_MIN_LEAD_MS = 20_000;
const GAMES_PER_SPORT: [Sport, number][] = [
  ['football', 5],
  ['basketball', 3],
  ['tennis', 3],
];

export async function runCommand(deps: CommandRunnerDeps, ctx: CommandContext, cmd: Command): Promise<CommandOutcome> {
  const { services } = deps;
  const player = ctx.player;
  if (player === null) {
    if (cmd.kind === 'accept') {
      const created = await services.register(ctx.msisdn, cmd.language);
      const t = textsFor(created.language);
      return { reply: `${t.registered}\n${t.help}`, playerId: created.id, language: created.language };
    }
    // nothing to stop for a number that is not a player, but it must never go unanswered
    const reply = cmd.kind === 'stop' ? textsFor('en').stopped : firstThatFits(textsFor('en').terms(deps.termsUrl));
    return { reply, playerId: null, language: 'en' };
  }

  const language = player.language;
  const t = textsFor(language);
  const answer = (reply: string, lang: Lang = language): CommandOutcome => ({ reply: toGsm7(reply), playerId: player.id, language: lang });
  const now = Date.parse(services.now());
  const onBreak = player.excludedUntil !== null && Date.parse(player.excludedUntil) > now;

  switch (cmd.kind) {
    case 'accept':
      return answer(`${t.alreadyRegistered}\n${t.help}`);
    case 'help':
      return answer(t.help);
    case 'stop':
      await setPromoOptOut(deps.db, player.id, true);
      return answer(t.stopped);
    case 'start':
      await setPromoOptOut(deps.db, player.id, false);
      return answer(t.started);
    case 'language': {
      await services.setLanguage(player.id, cmd.language);
      return answer(textsFor(cmd.language).languageSaved, cmd.language);
    }
    case 'balance': {
      const b = await services.balance(player.id);
      return answer(t.balance(formatKes(b.balance), b.openBets, formatKes(b.openStakes)));
    }
    case 'bets':
      return answer(await betsReply(services, t, player.id));
    case 'games':
      if (onBreak) return answer(t.onBreak(nairobiDateTime(player.excludedUntil!)));
      return answer(await gamesReply(services, t, now));
    case 'deposit':
      return answer(await depositReply(services, t, player, cmd.amount));
    case 'withdraw':
      return answer(await withdrawReply(services, t, player, cmd.amount, ctx.inboundId));
    case 'exclude':
      await services.selfExclude(player.id, cmd.days);
      return { reply: null, answeredBy: 'self_excluded', playerId: player.id, language };
    case 'bet': {
      const reply = await placeSmsBet(deps, t, player, cmd, ctx.inboundId);
      return reply === null ? { reply: null, answeredBy: 'bet_placed', playerId: player.id, language } : answer(reply);
    }
    case 'invalid':
      return answer(syntaxHelp(t, cmd));
  }
}

export function syntaxHelp(t: SmsTexts, p: SyntaxProblem): string {
  switch (p.problem) {
    case 'empty':
      return t.empty;
    case 'unknown':
      return t.unknown(quote(p.word));
    case 'bet_syntax':
      return t.betSyntax;
    case 'bad_amount':
      return t.badAmount(quote(p.word));
    case 'bad_game_id':
      return t.badGameId(quote(p.word));
    case 'deposit_syntax':
      return t.depositSyntax;
    case 'withdraw_syntax':
      return t.withdrawSyntax;
    case 'lang_syntax':
      return t.langSyntax;
    case 'exclude_syntax':
      return t.excludeSyntax;
  }
}

async function betsReply(services: MenuServices, t: SmsTexts, playerId: number): Promise<string> {
  const bets = await services.recentBets(playerId, { limit: 5, offset: 0 });
  if (bets.length === 0) return t.noBets;
  const lines = bets.map((b) =>
    t.betLine({
      reference: b.reference,
      state: b.state,
      stake: formatKes(b.stake),
      win: formatKes(b.potentialPayout),
      payout: b.payout === null ? null : formatKes(b.payout),
    }),
  );
  return fitLines(t.betsTitle, lines, TWO_PARTS) ?? lines[0]!;
}

/** "Nairobi FC" → "Nairobi", "A. Otieno" → "Otieno": enough to recognise a side in a line of odds */
export function shortName(name: string): string {
  const words = name.split(/\s+/).filter((w) => w !== '' && !w.endsWith('.'));
  return toGsm7(words[0] ?? name).slice(0, 9);
}

function gameLine(event: EventSummary, outcomes: MarketOutcome[]): string | null {
  const odds = (market: string, pick: string) => outcomes.find((o) => o.market === market && o.pick === pick)?.odds;
  const picks = event.sport === 'football' ? ['1', 'X', '2'] : ['1', '2'];
  const market = event.sport === 'football' ? '1X2' : 'WIN';
  const shown = picks.map((p) => odds(market, p));
  if (shown.some((o) => o === undefined)) return null;
  return `${event.id} ${shortName(event.home)}-${shortName(event.away)} ${shown.map((o) => formatOdds(o!)).join(' ')}`;
}

/** the next games across sports, grouped by sport, as many as fit two SMS */
async function gamesReply(services: MenuServices, t: SmsTexts, now: number): Promise<string> {
  const groups = await Promise.all(
    GAMES_PER_SPORT.map(async ([sport, wanted]) => {
      const events = (await services.upcomingEvents(sport, { limit: wanted + 4, offset: 0 }))
        .filter((e) => Date.parse(e.kickoffAt) - now >= GAMES_MIN_LEAD_MS)
        .slice(0, wanted);
      const lines = await Promise.all(
        events.map(async (e) => {
          const markets = await services.eventMarkets(e.id);
          return markets === null ? null : { id: e.id, kickoffAt: e.kickoffAt, line: gameLine(e, markets.outcomes) };
        }),
      );
      return { sport, rows: lines.filter((l): l is { id: number; kickoffAt: string; line: string } => l !== null && l.line !== null) };
    }),
  );
  const first = groups.flatMap((g) => g.rows)[0];
  if (first === undefined) return t.noGames;

  const counts = groups.map((g) => g.rows.length);
  const render = () =>
    [
      t.gamesHeader(first.id),
      ...groups.flatMap((g, i) =>
        counts[i]! === 0 ? [] : [t.sportHeader(g.sport, kickoffTime(g.rows[0]!.kickoffAt)), ...g.rows.slice(0, counts[i]).map((r) => r.line)],
      ),
    ].join('\n');
  // drop a game from the longest group until the list fits two SMS
  for (let text = render(); ; text = render()) {
    if (gsm7Length(toGsm7(text)) <= TWO_PARTS || counts.reduce((a, b) => a + b, 0) <= 1) return toGsm7(text);
    const longest = counts.lastIndexOf(Math.max(...counts));
    counts[longest]! -= 1;
  }
}

async function depositReply(services: MenuServices, t: SmsTexts, player: PlayerInfo, amount: Cents): Promise<string> {
  const started = await services.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount });
  if (started.ok) {
    const preview = services.depositPreview(amount);
    return t.depositStarted(formatKes(amount), preview.excise > 0 ? formatKes(preview.excise) : null, formatKes(preview.credited));
  }
  switch (started.reason) {
    case 'amount_too_low':
      return t.depositTooLow(formatKes(services.limits.minDeposit));
    case 'amount_too_high':
      return t.depositTooHigh(formatKes(services.limits.maxDeposit));
    case 'daily_deposit_limit':
      return t.dailyDepositLimit;
    case 'self_excluded':
      return t.depositsPaused;
    case 'player_blocked':
      return t.blocked;
    case 'payments_busy':
      return t.paymentsBusy;
    case 'payments_unavailable':
      return t.paymentsUnavailable;
  }
}

async function withdrawReply(services: MenuServices, t: SmsTexts, player: PlayerInfo, amount: Cents, inboundId: string): Promise<string> {
  const result = await services.requestWithdrawal({ playerId: player.id, msisdn: player.msisdn, amount, key: `sms:${inboundId}` });
  if (result.ok) {
    const w = result.value;
    return t.withdrawn({
      amount: formatKes(w.amount),
      wht: w.wht > 0 ? formatKes(w.wht) : null,
      net: formatKes(w.net),
      balance: formatKes(w.balance),
    });
  }
  switch (result.reason) {
    case 'amount_too_low':
      return t.withdrawTooLow(formatKes(services.limits.minWithdrawal));
    case 'amount_too_high':
      return t.withdrawTooHigh(formatKes(services.limits.maxWithdrawal));
    case 'insufficient_funds':
      return t.notEnoughMoney(formatKes((await services.balance(player.id)).balance));
    case 'daily_withdrawal_limit':
      return t.dailyWithdrawalLimit;
    case 'player_blocked':
      return t.blocked;
    case 'payments_unavailable':
      return t.paymentsUnavailable;
  }
}

interface ResolvedLeg {
  eventId: number;
  outcomeId: number;
  odds: number;
  sport: Sport;
  market: string;
  pick: string;
}

/** null: placed (the core's bet_placed receipt answers); otherwise the words for why not */
async function placeSmsBet(
  deps: CommandRunnerDeps,
  t: SmsTexts,
  player: PlayerInfo,
  cmd: Extract<Command, { kind: 'bet' }>,
  inboundId: string,
): Promise<string | null> {
  const { services } = deps;
  if (cmd.legs.length > services.limits.maxLegs) return t.tooManyLegs(services.limits.maxLegs);
  if (new Set(cmd.legs.map((l) => l.gameId)).size !== cmd.legs.length) return t.duplicateGame;

  const markets = await Promise.all(cmd.legs.map((l) => services.eventMarkets(l.gameId)));
  const now = Date.parse(services.now());
  const legs: ResolvedLeg[] = [];
  for (const [i, leg] of cmd.legs.entries()) {
    const m = markets[i];
    if (m === null || m === undefined) return t.gameNotFound(leg.gameId);
    const sport = m.event.sport;
    const target = resolvePick(sport, leg.pick);
    const outcome = target && m.outcomes.find((o) => o.market === target.market && o.pick === target.pick);
    if (!target || !outcome) return t.pickNotOffered(leg.gameId, quote(leg.pick, 8), PICK_CODES[sport]);
    if (Date.parse(m.event.kickoffAt) <= now) return t.gameStarted(leg.gameId);
    legs.push({ eventId: m.event.id, outcomeId: outcome.id, odds: outcome.odds, sport, market: target.market, pick: target.pick });
  }

  const place = () =>
    services.placeBet({
      playerId: player.id,
      selections: legs.map((l) => ({ eventId: l.eventId, outcomeId: l.outcomeId, odds: l.odds })),
      stake: cmd.stake,
      key: `sms:${inboundId}`,
    });
  let result = await place();
  for (let retry = 0; !result.ok && result.reason === 'odds_changed' && retry < 2; retry++) {
    const changed = oddsChanges(result.detail);
    for (const leg of legs) leg.odds = changed.get(leg.outcomeId) ?? leg.odds;
    if (retry === 1) {
      const text = legs
        .filter((l) => changed.has(l.outcomeId))
        .map((l) => `${l.eventId} ${pickCode(l.sport, l.market, l.pick)} ${formatOdds(l.odds)}`)
        .join(', ');
      return t.oddsChanged(text);
    }
    result = await place();
  }
  if (result.ok) return null;
  return betRefusal(services, t, player, result.reason, result.detail);
}

function oddsChanges(detail: unknown): Map<number, number> {
  const changes = new Map<number, number>();
  if (Array.isArray(detail)) {
    for (const d of detail as { outcomeId?: unknown; odds?: unknown }[]) {
      const id = Number(d?.outcomeId);
      const odds = Number(d?.odds);
      if (Number.isSafeInteger(id) && Number.isSafeInteger(odds)) changes.set(id, odds);
    }
  }
  return changes;
}

function detailNumber(detail: unknown, key: string): number | null {
  const v = detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>)[key] : undefined;
  const n = Number(v);
  return v === undefined || v === null || !Number.isFinite(n) ? null : n;
}

export function betRefusal(services: MenuServices, t: SmsTexts, player: PlayerInfo, reason: BetRejection, detail: unknown): string {
  const limit = detailNumber(detail, 'limit');
  switch (reason) {
    case 'stake_too_low':
      return t.stakeTooLow(formatKes(limit ?? services.limits.minStake));
    case 'stake_too_high':
      return t.stakeTooHigh(formatKes(limit ?? services.limits.maxStake));
    case 'payout_too_high':
      return limit === null ? t.betFailed : t.payoutTooHigh(formatKes(limit));
    case 'too_many_legs':
      return t.tooManyLegs(limit ?? services.limits.maxLegs);
    case 'duplicate_event':
      return t.duplicateGame;
    case 'no_selections':
      return t.betSyntax;
    case 'player_not_found':
    case 'player_blocked':
      return t.blocked;
    case 'self_excluded': {
      const until =
        detail !== null && typeof detail === 'object' ? String((detail as Record<string, unknown>).until ?? '') : (player.excludedUntil ?? '');
      return Number.isNaN(Date.parse(until)) ? t.onBreak('later') : t.onBreak(nairobiDateTime(new Date(until).toISOString()));
    }
    case 'selection_not_found':
      return t.pickGone;
    case 'event_closed': {
      const id = Array.isArray(detail) ? Number(detail[0]) : NaN;
      return Number.isSafeInteger(id) ? t.gameStarted(id) : t.pickGone;
    }
    case 'odds_changed':
      return t.betFailed;
    case 'daily_stake_limit': {
      const remaining = detailNumber(detail, 'remaining');
      return t.dailyStakeLimit(remaining === null ? null : formatKes(remaining));
    }
    case 'insufficient_funds': {
      const balance = detailNumber(detail, 'balance');
      return balance === null ? t.notEnoughMoney('too low') : t.notEnoughMoney(formatKes(balance));
    }
    case 'idempotency_conflict':
      return t.keyUsed;
  }
}
