/**
 * Reads what a person typed into a command. Pure: no services, no database.
 *
 * Syntax: words separated by `#` (or `*`, which some people type instead); with neither, spaces separate
 * ("BAL", "LANG SW", "1234 1 50"). Case does not matter, spaces around separators do not matter ("gid # 1 # 100"),
 * empty parts are skipped ("BAL#", "1234##1#50"), and a keyword glued to its number works ("W100", "DEPOSIT 100").
 *
 *   GAMES                           upcoming games with ids and odds
 *   <GAMEID>#<PICK>#<AMOUNT>        a single bet
 *   <GAMEID>#<PICK>#...#<AMOUNT>    a multibet (one pick per game)
 *   BAL, BETS, HELP, STOP, START, ACCEPT
 *   DEPOSIT#<AMOUNT>, W#<AMOUNT>, LANG#EN|SW, EXCLUDE#<DAYS>
 *
 * Some Kiswahili words work too (MECHI, SALIO, WEKA, TOA, LUGHA, MSAADA, KUBALI). Picks are kept as typed
 * (upper-cased); which picks a game has depends on its sport and is decided when the bet is placed (sms-picks.ts).
 */
import type { Cents } from '../../core/money.ts';
import { parseKes } from '../../core/money.ts';
import type { Lang } from '../../menus/services.ts';

export type SyntaxProblem =
  | { problem: 'empty' }
  | { problem: 'unknown'; word: string }
  | { problem: 'bet_syntax' }
  | { problem: 'bad_amount'; word: string }
  | { problem: 'bad_game_id'; word: string }
  | { problem: 'deposit_syntax' }
  | { problem: 'withdraw_syntax' }
  | { problem: 'lang_syntax' }
  | { problem: 'exclude_syntax' };

export type Command =
  | { kind: 'games' }
  | { kind: 'balance' }
  | { kind: 'bets' }
  | { kind: 'help' }
  | { kind: 'stop' }
  | { kind: 'start' }
  | { kind: 'accept'; language: Lang }
  | { kind: 'deposit'; amount: Cents }
  | { kind: 'withdraw'; amount: Cents }
  | { kind: 'language'; language: Lang }
  | { kind: 'exclude'; days: number }
  | { kind: 'bet'; legs: { gameId: number; pick: string }[]; stake: Cents }
  | ({ kind: 'invalid' } & SyntaxProblem);

type Keyword = 'games' | 'balance' | 'bets' | 'help' | 'stop' | 'start' | 'accept' | 'deposit' | 'withdraw' | 'language' | 'exclude';

const KEYWORDS: ReadonlyMap<string, Keyword> = new Map<string, Keyword>([
  ...(['GAMES', 'GAME', 'G', 'ODDS', 'MATCHES', 'MECHI', 'MICHEZO'] as const).map((w): [string, Keyword] => [w, 'games']),
  ...(['BAL', 'BALANCE', 'SALIO'] as const).map((w): [string, Keyword] => [w, 'balance']),
  ...(['BETS', 'MYBETS', 'BETI'] as const).map((w): [string, Keyword] => [w, 'bets']),
  ...(['HELP', 'H', '?', 'INFO', 'MENU', 'MSAADA'] as const).map((w): [string, Keyword] => [w, 'help']),
  ...(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'OPTOUT'] as const).map((w): [string, Keyword] => [w, 'stop']),
  ...(['START', 'SUBSCRIBE', 'OPTIN'] as const).map((w): [string, Keyword] => [w, 'start']),
  ...(['ACCEPT', 'YES', 'AGREE', 'KUBALI', 'NDIYO'] as const).map((w): [string, Keyword] => [w, 'accept']),
  ...(['DEPOSIT', 'DEP', 'D', 'WEKA'] as const).map((w): [string, Keyword] => [w, 'deposit']),
  ...(['W', 'WITHDRAW', 'WD', 'TOA'] as const).map((w): [string, Keyword] => [w, 'withdraw']),
  ...(['LANG', 'LANGUAGE', 'LUGHA'] as const).map((w): [string, Keyword] => [w, 'language']),
  ...(['EXCLUDE', 'BREAK', 'PUMZIKA'] as const).map((w): [string, Keyword] => [w, 'exclude']),
]);

const SWAHILI_ACCEPT = new Set(['KUBALI', 'NDIYO']);

const LANGUAGES: ReadonlyMap<string, Lang> = new Map<string, Lang>([
  ['EN', 'en'],
  ['ENG', 'en'],
  ['ENGLISH', 'en'],
  ['KIINGEREZA', 'en'],
  ['SW', 'sw'],
  ['SWA', 'sw'],
  ['SWAHILI', 'sw'],
  ['KISWAHILI', 'sw'],
]);

/** game ids are event ids: positive and short enough to stay a safe integer */
const GAME_ID = /^\d{1,12}$/;

/** "KES 100", "ksh100", "sh 1,000", "100/=" → the number part */
function amountText(word: string): string {
  return word
    .replace(/^(KES|KSH|KSHS|SHS|SH)\.?/i, '')
    .replace(/\/=?$/, '')
    .replace(/\s+/g, '');
}

export function parseAmount(word: string): Cents | null {
  const cents = parseKes(amountText(word));
  return cents === null || cents <= 0 ? null : cents;
}

function splitParts(text: string): string[] {
  const trimmed = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().toUpperCase();
  const separated = /[#*]/.test(trimmed) ? trimmed.split(/[#*]/) : trimmed.split(/\s+/);
  return separated.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseCommand(text: string): Command {
  let parts = splitParts(text);
  if (parts.length === 0) return { kind: 'invalid', problem: 'empty' };

  // a keyword glued to its argument: W100, DEPOSIT100, EXCLUDE7, LANGSW
  if (parts.length === 1 && !KEYWORDS.has(parts[0]!) && !GAME_ID.test(parts[0]!)) {
    const glued = /^([A-Z]+)\s*(\d[\d,.]*|EN|SW)$/.exec(parts[0]!);
    if (glued && KEYWORDS.has(glued[1]!)) parts = [glued[1]!, glued[2]!];
  }
  const [first, ...args] = parts as [string, ...string[]];

  if (GAME_ID.test(first)) return parseBet(parts);
  const keyword = KEYWORDS.get(first);
  if (keyword === undefined) {
    // a bet whose game id has a typo ("12O4#1#50") reads better as a bet problem than as an unknown word
    if (parts.length >= 3 && /^\w{1,12}$/.test(first) && /\d/.test(first)) return { kind: 'invalid', problem: 'bad_game_id', word: first };
    return { kind: 'invalid', problem: 'unknown', word: first };
  }
  switch (keyword) {
    case 'games':
    case 'balance':
    case 'bets':
    case 'help':
    case 'stop':
    case 'start':
      // extra words are ignored: "BAL please", "GAMES#FOOTBALL"
      return { kind: keyword };
    case 'accept':
      return { kind: 'accept', language: SWAHILI_ACCEPT.has(first) ? 'sw' : 'en' };
    case 'deposit':
    case 'withdraw': {
      const syntax = keyword === 'deposit' ? 'deposit_syntax' : 'withdraw_syntax';
      if (args.length !== 1) return { kind: 'invalid', problem: syntax };
      const amount = parseAmount(args[0]!);
      return amount === null ? { kind: 'invalid', problem: 'bad_amount', word: args[0]! } : { kind: keyword, amount };
    }
    case 'language': {
      const language = args.length === 1 ? LANGUAGES.get(args[0]!) : undefined;
      return language === undefined ? { kind: 'invalid', problem: 'lang_syntax' } : { kind: 'language', language };
    }
    case 'exclude': {
      const days = args.length === 1 && /^\d{1,4}$/.test(args[0]!) ? Number(args[0]) : NaN;
      return Number.isInteger(days) && days >= 1 && days <= 3650
        ? { kind: 'exclude', days }
        : { kind: 'invalid', problem: 'exclude_syntax' };
    }
  }
}

function parseBet(parts: string[]): Command {
  // GAMEID PICK (GAMEID PICK)* AMOUNT: an odd count of at least 3
  if (parts.length < 3 || parts.length % 2 === 0) return { kind: 'invalid', problem: 'bet_syntax' };
  const stakeWord = parts[parts.length - 1]!;
  const legs: { gameId: number; pick: string }[] = [];
  for (let i = 0; i < parts.length - 1; i += 2) {
    const id = parts[i]!;
    if (!GAME_ID.test(id)) return { kind: 'invalid', problem: 'bad_game_id', word: id };
    legs.push({ gameId: Number(id), pick: normalisePick(parts[i + 1]!) });
  }
  const stake = parseAmount(stakeWord);
  if (stake === null) return { kind: 'invalid', problem: 'bad_amount', word: stakeWord };
  return { kind: 'bet', legs, stake };
}

/** "ov 2.5" → "OV25", "0V25" (zero for O) → "OV25", "x 2" → "X2" */
export function normalisePick(word: string): string {
  return word
    .toUpperCase()
    .replace(/[\s.]/g, '')
    .replace(/^0(?=[VU])/, 'O');
}

/** the command's name as recorded with the inbound message */
export function commandName(cmd: Command): string {
  return cmd.kind === 'invalid' ? `invalid:${cmd.problem}` : cmd.kind;
}
