import { formatKes, type Cents } from '../core/money.ts';
import type { Sport } from '../core/sports/types.ts';
import { marketsOf, outcomesOf, slipOdds } from './bet-slip.ts';
import { formatOdds, kickoffTime, nairobiDateTime } from './display-format.ts';
import { marketName, pickName } from './market-labels.ts';
import type { MenuContext } from './menu-context.ts';
import { messagesFor, type Messages } from './messages/catalogue.ts';
import { breakEndsAt } from './player-status.ts';
import { fitScreen } from './screen-fit.ts';
import type { BetLeg, BetListItem } from './services.ts';

/**
 * What each screen says, before it is fitted to a handset: a header kept on every page, lines (options or facts)
 * that may be paged, and a footer. The machine's screen states carry these ids in `meta.screen`; ids are the
 * states' dotted paths, so the hop log and the screen agree.
 */
export const CON_SCREENS = [
  'terms',
  'resume',
  'main',
  'bet.sports',
  'bet.events',
  'bet.markets',
  'bet.outcomes',
  'bet.slip',
  'bet.stake',
  'bet.confirm',
  'bet.closed',
  'bet.noFunds',
  'bet.refused',
  'balance.shown',
  'myBets.list',
  'myBets.detail',
  'deposit.amount',
  'deposit.confirm',
  'deposit.refused',
  'withdraw.amount',
  'withdraw.confirm',
  'withdraw.noFunds',
  'withdraw.refused',
  'account.menu',
  'account.language',
  'account.limits',
  'account.limitAmount',
  'account.breakMenu',
  'account.breakConfirm',
] as const;

export const END_SCREENS = [
  'declined',
  'blocked',
  'busy',
  'goodbye',
  'betPlaced',
  'depositStarted',
  'withdrawalSent',
  'breakStarted',
] as const;

export type ConScreen = (typeof CON_SCREENS)[number];
export type EndScreen = (typeof END_SCREENS)[number];
export type ScreenId = ConScreen | EndScreen;

export interface ScreenSpec {
  kind: 'CON' | 'END';
  /** kept at the top of every page */
  header: string;
  /** facts or list options, in order; what does not fit one screen is paged ("98. More") */
  lines: string[];
  /** options kept on every page (e.g. "1. Confirm", "2. Cancel"), so a long fact never hides them */
  options: string[];
  /** last line of every page, e.g. "0. Back"; '' for none */
  back: string;
}

const opt = (n: number | string, label: string) => `${n}. ${label}`;

/** room for one team name in a list line, so that odds and times stay visible after long names */
function nameRoom(maxChars: number): number {
  return Math.min(26, Math.max(12, Math.floor(maxChars / 7)));
}

function matchName(home: string, away: string, maxChars: number): string {
  const room = nameRoom(maxChars);
  return `${fitScreen(home, room)} v ${fitScreen(away, room)}`;
}

export function sportName(m: Messages, sport: Sport): string {
  return m[sport];
}

function con(header: string, lines: string[], back: string, options: string[] = []): ScreenSpec {
  return { kind: 'CON', header, lines, options, back };
}

function end(text: string): ScreenSpec {
  return { kind: 'END', header: text, lines: [], options: [], back: '' };
}

function betStateText(m: Messages, bet: BetListItem): string {
  switch (bet.state) {
    case 'open':
      return m.betStates.open;
    case 'won':
      return m.betStates.won(formatKes(bet.payout ?? bet.potentialPayout));
    case 'lost':
      return m.betStates.lost;
    case 'void':
      return m.betStates.void;
    case 'rejected':
      return m.betStates.rejected;
  }
}

function legLine(m: Messages, leg: BetLeg, maxChars: number): string {
  const room = nameRoom(maxChars);
  const home = fitScreen(leg.home, room);
  const away = fitScreen(leg.away, room);
  const result = leg.result === null ? m.legResults.pending : m.legResults[leg.result];
  const score = leg.score === null ? '' : ` ${leg.score}`;
  return `${home} v ${away}: ${pickName(m, leg, home, away, true)} ${formatOdds(leg.odds)} ${result}${score}`;
}

function amountOrNull(amount: Cents | null | undefined): string | null {
  return amount === null || amount === undefined ? null : formatKes(amount);
}

/** the words of a refused bet, deposit or withdrawal */
function refusalText(m: Messages, ctx: MenuContext, flow: 'bet' | 'deposit' | 'withdraw'): string {
  const r = ctx.refusal;
  const limits = ctx.settings.limits;
  switch (r?.reason) {
    case 'daily_stake_limit':
      return m.dailyStakeLimit(amountOrNull(r.amount));
    case 'stake_too_low':
      return m.stakeTooLow(formatKes(r.amount ?? limits.minStake));
    case 'stake_too_high':
      return m.stakeTooHigh(formatKes(r.amount ?? limits.maxStake));
    case 'payout_too_high':
      return r.amount === undefined ? m.betFailed : m.payoutTooHigh(formatKes(r.amount));
    case 'too_many_legs':
      return m.tooManyLegs(limits.maxLegs);
    case 'duplicate_event':
      return m.duplicateEvent;
    case 'self_excluded':
      if (flow === 'deposit') return m.depositsPaused;
      return m.betsPaused(r.until === undefined ? null : nairobiDateTime(r.until));
    case 'amount_too_low':
      return flow === 'deposit'
        ? m.depositTooLow(formatKes(limits.minDeposit))
        : m.withdrawTooLow(formatKes(limits.minWithdrawal));
    case 'amount_too_high':
      return flow === 'deposit'
        ? m.depositTooHigh(formatKes(limits.maxDeposit))
        : m.withdrawTooHigh(formatKes(limits.maxWithdrawal));
    case 'daily_deposit_limit':
      return m.dailyDepositLimit;
    case 'daily_withdrawal_limit':
      return m.dailyWithdrawalLimit;
    case 'payments_busy':
      return m.paymentsBusy;
    case 'payments_unavailable':
      return m.paymentsUnavailable;
    default:
      return flow === 'bet' ? m.betFailed : m.paymentsUnavailable;
  }
}

/** bet refusals the player fixes by changing the stake */
export const STAKE_REFUSALS: readonly string[] = ['daily_stake_limit', 'stake_too_low', 'stake_too_high', 'payout_too_high'];
/** bet refusals the player fixes by starting the slip again */
export const SLIP_REFUSALS: readonly string[] = ['too_many_legs', 'duplicate_event', 'no_selections', 'idempotency_conflict', 'player_not_found'];

export function screenSpec(screen: ScreenId, ctx: MenuContext): ScreenSpec {
  const m = messagesFor(ctx.lang);
  const { maxChars, limits } = ctx.settings;
  const back = m.back;
  const toMain = opt(0, m.mainMenu);
  switch (screen) {
    case 'terms':
      return con('', [m.terms(ctx.settings.termsUrl)], '', [opt(1, m.accept), opt(2, m.decline), opt(3, m.otherLanguage)]);
    case 'resume': {
      const r = ctx.resume;
      const what =
        r === null
          ? []
          : r.kind === 'bet'
            ? [m.resumeSlip(r.selections.length, amountOrNull(r.stake))]
            : [m.resumeDeposit(formatKes(r.amount))];
      return con(m.resumeTitle, what, '', [opt(1, m.continue), opt(2, m.startAgain)]);
    }
    case 'main': {
      const until = breakEndsAt(ctx.player, ctx.now);
      if (until !== null) {
        return con(m.onBreak(nairobiDateTime(until)), [opt(2, m.balance), opt(5, m.withdraw)], m.exit);
      }
      return con(
        m.mainTitle,
        [opt(1, m.betOnVirtuals), opt(2, m.balance), opt(3, m.myBets), opt(4, m.deposit), opt(5, m.withdraw), opt(6, m.account)],
        m.exit,
      );
    }
    case 'bet.sports': {
      const lines = [opt(1, m.football), opt(2, m.basketball), opt(3, m.tennis)];
      if (ctx.betting.slip.length > 0) lines.push(opt(4, m.mySlip(ctx.betting.slip.length)));
      return con(m.sportsTitle, lines, back);
    }
    case 'bet.events': {
      const title = m.eventsTitle(sportName(m, ctx.betting.sport ?? 'football'));
      const { events } = ctx.betting;
      if (events.length === 0) return con(title, [m.noEvents], back);
      const lines = events.map((e, i) => opt(i + 1, `${matchName(e.home, e.away, maxChars)} ${kickoffTime(e.kickoffAt)}`));
      return con(title, lines, back);
    }
    case 'bet.markets': {
      const e = ctx.betting.event;
      const header = e === null ? '' : `${matchName(e.home, e.away, maxChars)} ${kickoffTime(e.kickoffAt)}`;
      const markets = marketsOf(ctx.betting.outcomes);
      if (markets.length === 0) return con(header, [m.noMarkets], back);
      return con(header, markets.map((mk, i) => opt(i + 1, marketName(m, mk.market, mk.line))), back);
    }
    case 'bet.outcomes': {
      const e = ctx.betting.event;
      const room = nameRoom(maxChars);
      const home = fitScreen(e?.home ?? '', room);
      const away = fitScreen(e?.away ?? '', room);
      const picks = outcomesOf(ctx.betting.outcomes, ctx.betting.market);
      const market = picks[0] === undefined ? '' : marketName(m, picks[0].market, picks[0].line);
      const lines = picks.map((o, i) => opt(i + 1, `${pickName(m, o, home, away)} ${formatOdds(o.odds)}`));
      return con(`${home} v ${away}\n${market}`, lines, back);
    }
    case 'bet.slip': {
      const room = nameRoom(maxChars);
      const legs = ctx.betting.slip.map((l) => {
        const home = fitScreen(l.home, room);
        const away = fitScreen(l.away, room);
        return `${home} v ${away}: ${pickName(m, l, home, away, true)} ${formatOdds(l.odds)}`;
      });
      return con(m.slipTitle(ctx.betting.slip.length, formatOdds(slipOdds(ctx.betting.slip))), legs, back, [
        opt(1, m.addMatch),
        opt(2, m.enterStake),
      ]);
    }
    case 'bet.stake':
      return con(m.stakePrompt(formatKes(limits.minStake), formatKes(limits.maxStake)), [], back);
    case 'bet.confirm': {
      const q = ctx.betting.quote;
      const options = [opt(1, m.confirm), opt(2, m.cancel)];
      if (q === null) return con(m.confirmTitle(ctx.betting.slip.length), [], back, options);
      const lines = [m.stakeLine(formatKes(q.stake))];
      if (q.excise > 0) lines.push(m.exciseLine(formatKes(q.excise)));
      lines.push(m.totalOddsLine(formatOdds(q.totalOdds)), m.possibleWinLine(formatKes(q.potentialPayout)));
      if (q.potentialWht > 0) lines.push(m.winTaxLine(formatKes(q.potentialWht)));
      return con(m.confirmTitle(ctx.betting.slip.length), lines, back, options);
    }
    case 'bet.closed': {
      const removed = ctx.refusal?.removed ?? [];
      const text =
        ctx.refusal?.reason === 'selection_not_found'
          ? m.pickGone
          : removed.length === 1
            ? m.matchStarted(matchName(removed[0]!.home, removed[0]!.away, maxChars))
            : m.matchesStarted(removed.length);
      return con(text, [], toMain, [opt(1, m.chooseAnother)]);
    }
    case 'bet.noFunds':
    case 'withdraw.noFunds': {
      const text = m.notEnoughMoney(formatKes(ctx.statement.balance?.balance ?? 0));
      return con(text, [], toMain, [opt(1, screen === 'bet.noFunds' ? m.deposit : m.changeAmount)]);
    }
    case 'bet.refused': {
      const reason = ctx.refusal?.reason ?? '';
      const options = STAKE_REFUSALS.includes(reason)
        ? [opt(1, m.changeStake)]
        : SLIP_REFUSALS.includes(reason)
          ? [opt(1, m.newSlip)]
          : [];
      return con(refusalText(m, ctx, 'bet'), [], toMain, options);
    }
    case 'balance.shown': {
      const b = ctx.statement.balance;
      const lines = b !== null && b.openBets > 0 ? [m.openBetsLine(b.openBets, formatKes(b.openStakes))] : [];
      return con(m.balanceLine(formatKes(b?.balance ?? 0)), lines, back);
    }
    case 'myBets.list': {
      const { bets } = ctx.statement;
      if (bets.length === 0) return con(m.myBets, [m.noBets], back);
      const lines = bets.map((b, i) => opt(i + 1, `${b.reference} ${formatKes(b.stake)} ${betStateText(m, b)}`));
      return con(m.myBets, lines, back);
    }
    case 'myBets.detail': {
      const b = ctx.statement.bet;
      if (b === null) return con(m.myBets, [], back);
      const lines = ctx.statement.legs.map((leg) => legLine(m, leg, maxChars));
      lines.push(
        b.payout !== null && b.payout > 0
          ? m.stakeAndPaid(formatKes(b.stake), formatKes(b.payout))
          : m.stakeAndWin(formatKes(b.stake), formatKes(b.potentialPayout)),
      );
      return con(m.betTitle(b.reference, betStateText(m, b)), lines, back);
    }
    case 'deposit.amount':
      return con(m.depositPrompt(formatKes(limits.minDeposit), formatKes(limits.maxDeposit)), [], back);
    case 'deposit.confirm': {
      const d = ctx.payments.deposit;
      const lines: string[] = [];
      if (d !== null && d.excise > 0) lines.push(m.depositExciseLine(formatKes(d.excise)));
      if (d !== null) lines.push(m.creditedLine(formatKes(d.credited)));
      return con(m.depositLine(formatKes(d?.amount ?? 0)), lines, back, [opt(1, m.confirm), opt(2, m.cancel)]);
    }
    case 'deposit.refused':
      return con(refusalText(m, ctx, 'deposit'), [], toMain, [opt(1, m.tryAgain)]);
    case 'withdraw.refused':
      return con(refusalText(m, ctx, 'withdraw'), [], toMain, [opt(1, m.tryAgain)]);
    case 'withdraw.amount':
      return con(m.withdrawPrompt(formatKes(limits.minWithdrawal), formatKes(limits.maxWithdrawal)), [], back);
    case 'withdraw.confirm': {
      const w = ctx.payments.withdrawal;
      const lines: string[] = [];
      if (w !== null && w.wht > 0) lines.push(m.whtLine(formatKes(w.wht)));
      if (w !== null) lines.push(m.mpesaGetsLine(formatKes(w.net)));
      return con(m.withdrawLine(formatKes(w?.amount ?? 0)), lines, back, [opt(1, m.confirm), opt(2, m.cancel)]);
    }
    case 'account.menu':
      return con(m.accountTitle, [opt(1, m.language), opt(2, m.dailyLimits), opt(3, m.takeBreak)], back);
    case 'account.language':
      return con(m.languageTitle, [opt(1, m.english), opt(2, m.kiswahili)], back);
    case 'account.limits': {
      const p = ctx.player;
      return con(
        m.dailyLimits,
        [m.depositLimitLine(amountOrNull(p?.dailyDepositLimit)), m.stakeLimitLine(amountOrNull(p?.dailyStakeLimit))],
        back,
        [opt(1, m.changeDepositLimit), opt(2, m.changeStakeLimit)],
      );
    }
    case 'account.limitAmount':
      return con(ctx.account.limitKind === 'stake' ? m.stakeLimitPrompt : m.depositLimitPrompt, [], m.mainMenuKeys);
    case 'account.breakMenu':
      return con(m.breakTitle, [opt(1, m.days(1)), opt(2, m.days(7)), opt(3, m.days(30))], back);
    case 'account.breakConfirm':
      return con(m.breakConfirm(ctx.account.breakDays ?? 1), [], back, [opt(1, m.confirm), opt(2, m.cancel)]);

    case 'declined':
      return end(m.declined);
    case 'blocked':
      return end(m.blocked(ctx.settings.supportPhone));
    case 'busy':
      return end(m.busy);
    case 'goodbye':
      return end(m.goodbye);
    case 'betPlaced': {
      const p = ctx.betting.placed;
      return end(p === null ? m.goodbye : m.placed(p.reference, formatKes(p.stake), formatKes(p.potentialPayout)));
    }
    case 'depositStarted':
      return end(m.depositStarted(formatKes(ctx.payments.depositStarted ?? 0)));
    case 'withdrawalSent': {
      const w = ctx.payments.withdrawn;
      return end(m.withdrawn(formatKes(w?.net ?? 0), formatKes(w?.balance ?? 0)));
    }
    case 'breakStarted':
      return end(m.breakStarted(ctx.account.excludedUntil === null ? '' : nairobiDateTime(ctx.account.excludedUntil)));
  }
}
