import type { Lang } from '../services.ts';
import { en } from './en.ts';
import { sw } from './sw.ts';

/**
 * Every word a player reads, in one shape per language. Amounts arrive already formatted ("KES 1,250.00") and odds
 * as "1.85", so a catalogue only chooses words. Option numbers are added by the screens ("2. Balance"), so the
 * numbering cannot differ between languages. Every string must be GSM-7 (no curly quotes, accents or emoji): one
 * other character turns the whole screen into UCS-2 and the handset cuts it to 70 characters.
 */
export interface Messages {
  // navigation
  more: string;
  back: string;
  exit: string;
  mainMenu: string;
  /** shown on screens where '0' means something else */
  mainMenuKeys: string;

  // notices: one line at the top of a screen
  invalidChoice: string;
  invalidAmount: string;
  belowMinimum(amount: string): string;
  aboveMaximum(amount: string): string;
  wholeShillings: string;
  registered: string;
  oddsChanged: string;
  pickReplaced: string;
  slipFull(maxLegs: number): string;
  matchClosed: string;
  betCancelled: string;
  cancelled: string;
  languageSaved: string;
  limitSaved: string;
  limitRemoved: string;

  // terms and registration
  terms(url: string): string;
  accept: string;
  decline: string;
  /** the language this catalogue is not, in that language's own words */
  otherLanguage: string;
  declined: string;
  blocked(supportPhone: string): string;
  busy: string;
  goodbye: string;

  // resume
  resumeTitle: string;
  resumeSlip(matches: number, stake: string | null): string;
  resumeDeposit(amount: string): string;
  continue: string;
  startAgain: string;

  // main menu
  mainTitle: string;
  betOnVirtuals: string;
  balance: string;
  myBets: string;
  deposit: string;
  withdraw: string;
  account: string;
  onBreak(until: string): string;

  // betting
  sportsTitle: string;
  football: string;
  basketball: string;
  tennis: string;
  mySlip(matches: number): string;
  eventsTitle(sport: string): string;
  noEvents: string;
  noMarkets: string;
  markets: {
    matchResult: string;
    doubleChance: string;
    overUnder25: string;
    bothTeamsScore: string;
    handicap: string;
    winner: string;
    totalPoints(line: string): string;
    totalSets: string;
  };
  picks: {
    draw: string;
    homeOrDraw(home: string): string;
    drawOrAway(away: string): string;
    homeOrAway(home: string, away: string): string;
    over(line: string): string;
    under(line: string): string;
    yes: string;
    no: string;
    /** a yes/no pick shown away from its market (slip, bet history) */
    bothScore(answer: string): string;
    sets(count: string): string;
  };
  slipTitle(matches: number, odds: string): string;
  addMatch: string;
  enterStake: string;
  stakePrompt(min: string, max: string): string;
  confirmTitle(matches: number): string;
  stakeLine(amount: string): string;
  exciseLine(amount: string): string;
  totalOddsLine(odds: string): string;
  possibleWinLine(amount: string): string;
  winTaxLine(amount: string): string;
  confirm: string;
  cancel: string;
  placed(reference: string, stake: string, win: string): string;
  matchStarted(match: string): string;
  matchesStarted(count: number): string;
  pickGone: string;
  chooseAnother: string;
  notEnoughMoney(balance: string): string;
  dailyStakeLimit(remaining: string | null): string;
  stakeTooLow(min: string): string;
  stakeTooHigh(max: string): string;
  payoutTooHigh(max: string): string;
  tooManyLegs(max: number): string;
  duplicateEvent: string;
  betsPaused(until: string | null): string;
  betFailed: string;
  changeStake: string;
  newSlip: string;

  // balance and history
  balanceLine(amount: string): string;
  openBetsLine(count: number, amount: string): string;
  noBets: string;
  betStates: { open: string; won(amount: string): string; lost: string; void: string; rejected: string };
  betTitle(reference: string, state: string): string;
  legResults: { won: string; lost: string; void: string; pending: string };
  stakeAndWin(stake: string, win: string): string;
  stakeAndPaid(stake: string, paid: string): string;

  // deposit and withdrawal
  depositPrompt(min: string, max: string): string;
  depositLine(amount: string): string;
  depositExciseLine(amount: string): string;
  creditedLine(amount: string): string;
  depositStarted(amount: string): string;
  depositTooLow(min: string): string;
  depositTooHigh(max: string): string;
  dailyDepositLimit: string;
  depositsPaused: string;
  paymentsBusy: string;
  paymentsUnavailable: string;
  tryAgain: string;
  withdrawPrompt(min: string, max: string): string;
  withdrawLine(amount: string): string;
  whtLine(amount: string): string;
  mpesaGetsLine(amount: string): string;
  withdrawn(net: string, balance: string): string;
  withdrawTooLow(min: string): string;
  withdrawTooHigh(max: string): string;
  dailyWithdrawalLimit: string;
  changeAmount: string;

  // account
  accountTitle: string;
  language: string;
  dailyLimits: string;
  takeBreak: string;
  languageTitle: string;
  english: string;
  kiswahili: string;
  depositLimitLine(amount: string | null): string;
  stakeLimitLine(amount: string | null): string;
  changeDepositLimit: string;
  changeStakeLimit: string;
  depositLimitPrompt: string;
  stakeLimitPrompt: string;
  breakTitle: string;
  days(count: number): string;
  breakConfirm(days: number): string;
  breakStarted(until: string): string;
}

export const catalogues: Record<Lang, Messages> = { en, sw };

export function messagesFor(lang: Lang): Messages {
  return catalogues[lang];
}
