/**
 * Every word the SMS channel says, in English and Kiswahili. Amounts arrive already formatted ("KES 1,250.00"), dates
 * already in Nairobi time. Receipts return variants, most detailed first: the renderer sends the first that fits one
 * SMS. Plain ASCII only, so nothing here can switch a message to UCS-2.
 */
import type { Lang } from '../../menus/services.ts';

export interface SmsTexts {
  // receipts (outbox kinds)
  betPlaced(p: { reference: string; legs: number; stake: string; win: string }): string[];
  betWon(p: { reference: string; payout: string; wht: string | null; credited: string }): string[];
  betVoid(p: { reference: string; credited: string }): string[];
  depositCredited(p: { receipt: string; amount: string; excise: string | null; credited: string; balance: string | null }): string[];
  /** `reason`: the payments adapter's words (English only), e.g. "You cancelled the M-Pesa request" */
  depositFailed(p: { amount: string | null; reason: string | null }): string[];
  withdrawalPaid(p: { amount: string; wht: string | null; net: string; receipt: string | null }): string[];
  withdrawalFailed(p: { amount: string }): string[];
  selfExcluded(p: { until: string }): string[];

  // replies to commands
  /** most detailed first; the runner sends the first that fits one SMS */
  terms(url: string): string[];
  help: string;
  registered: string;
  alreadyRegistered: string;
  balance(balance: string, openBets: number, openStakes: string): string;
  betsTitle: string;
  noBets: string;
  betLine(p: { reference: string; state: 'open' | 'won' | 'lost' | 'void' | 'rejected'; stake: string; win: string; payout: string | null }): string;
  gamesHeader(exampleId: number): string;
  sportHeader(sport: 'football' | 'basketball' | 'tennis', kickoff: string): string;
  noGames: string;
  onBreak(until: string): string;
  depositStarted(amount: string, excise: string | null, credited: string): string;
  depositTooLow(min: string): string;
  depositTooHigh(max: string): string;
  dailyDepositLimit: string;
  depositsPaused: string;
  paymentsBusy: string;
  paymentsUnavailable: string;
  withdrawn(p: { amount: string; wht: string | null; net: string; balance: string }): string;
  withdrawTooLow(min: string): string;
  withdrawTooHigh(max: string): string;
  dailyWithdrawalLimit: string;
  notEnoughMoney(balance: string): string;
  blocked: string;
  languageSaved: string;
  stopped: string;
  started: string;
  slowDown: string;
  busy: string;

  // syntax help
  unknown(word: string): string;
  empty: string;
  betSyntax: string;
  badAmount(word: string): string;
  badGameId(word: string): string;
  depositSyntax: string;
  withdrawSyntax: string;
  langSyntax: string;
  excludeSyntax: string;

  // bets
  gameNotFound(id: number): string;
  pickNotOffered(id: number, pick: string, picks: string): string;
  gameStarted(id: number): string;
  oddsChanged(changes: string): string;
  stakeTooLow(min: string): string;
  stakeTooHigh(max: string): string;
  payoutTooHigh(max: string): string;
  tooManyLegs(max: number): string;
  duplicateGame: string;
  dailyStakeLimit(remaining: string | null): string;
  pickGone: string;
  keyUsed: string;
  betFailed: string;
}

const games = (n: number) => (n === 1 ? '1 game' : `${n} games`);

export const en: SmsTexts = {
  betPlaced: ({ reference, legs, stake, win }) => [
    `Bet ${reference} placed: ${games(legs)}, stake ${stake}, possible win ${win}. Good luck! Send BETS to check your bets.`,
    `Bet ${reference} placed: ${games(legs)}, stake ${stake}, possible win ${win}. Good luck!`,
    `Bet ${reference} placed. Stake ${stake}, possible win ${win}.`,
  ],
  betWon: ({ reference, payout, wht, credited }) =>
    wht === null
      ? [`Congratulations! Bet ${reference} won ${payout}. It is in your wallet. Send BAL for your balance.`, `Bet ${reference} won ${payout}, now in your wallet.`]
      : [
          `Congratulations! Bet ${reference} won ${payout}. Withholding tax ${wht}. ${credited} is in your wallet.`,
          `Bet ${reference} won ${payout}. Withholding tax ${wht}. Credited ${credited}.`,
          `Bet ${reference} won. Tax ${wht}. Credited ${credited}.`,
        ],
  betVoid: ({ reference, credited }) => [
    `Bet ${reference} was made void. ${credited} was returned to your wallet.`,
    `Bet ${reference} void. ${credited} refunded.`,
  ],
  depositCredited: ({ receipt, amount, excise, credited, balance }) => {
    const bal = balance === null ? '' : ` Balance ${balance}.`;
    return excise === null
      ? [`Deposit of ${amount} received (M-Pesa ${receipt}).${bal} Send GAMES to bet.`, `Deposit of ${amount} received (M-Pesa ${receipt}).${bal}`]
      : [
          `Deposit of ${amount} received (M-Pesa ${receipt}). Excise duty ${excise}, to your wallet ${credited}.${bal}`,
          `Deposit ${amount} (M-Pesa ${receipt}). Excise ${excise}. Credited ${credited}.${bal}`,
          `Deposit ${amount}. Excise ${excise}. Credited ${credited}.${bal}`,
          `Deposit ${amount}. Excise ${excise}. Credited ${credited}.`,
        ];
  },
  depositFailed: ({ amount, reason }) => {
    const what = amount === null ? 'Your M-Pesa deposit' : `Your M-Pesa deposit of ${amount}`;
    return [
      ...(reason === null ? [] : [`${what} was not completed: ${reason}. No money was taken. Send DEPOSIT#AMOUNT to try again.`]),
      `${what} was not completed and no money was taken. Send DEPOSIT#AMOUNT to try again.`,
    ];
  },
  withdrawalPaid: ({ amount, wht, net, receipt }) => {
    const ref = receipt === null ? '' : `, receipt ${receipt}`;
    return wht === null
      ? [`Withdrawal of ${amount} sent to your M-Pesa${ref}.`]
      : [
          `Withdrawal of ${amount}: ${net} sent to your M-Pesa${ref}. Withholding tax ${wht}.`,
          `Withdrawal ${amount}: ${net} sent${ref}. Tax ${wht}.`,
        ];
  },
  withdrawalFailed: ({ amount }) => [
    `Sorry, your withdrawal of ${amount} could not be paid. The money is back in your wallet. Please try again later.`,
    `Withdrawal of ${amount} failed. The money is back in your wallet.`,
  ],
  selfExcluded: ({ until }) => [
    `Your break from betting has started. You can bet again after ${until}. Take care.`,
    `Your break has started. You can bet again after ${until}.`,
  ],

  terms: (url) => [
    `Betting by SMS, 18+ only. Betting can be addictive, play responsibly. T&Cs: ${url} Reply ACCEPT if you are 18+ and agree (Kiswahili: KUBALI).`,
    `18+ only. Betting can be addictive, play responsibly. T&Cs: ${url} Reply ACCEPT if you are 18+ and agree (Kiswahili: KUBALI).`,
    `18+ only. Play responsibly. T&Cs: ${url} Reply ACCEPT if you are 18+ and agree.`,
  ],
  help:
    'GAMES: games and odds\nBet: GAMEID#PICK#AMOUNT e.g. 1234#1#50\nMultibet: 1234#1#1240#GG#50\n' +
    'BAL, BETS, DEPOSIT#100, W#100, LANG#SW, EXCLUDE#7, STOP\n' +
    'Picks: 1 X 2 1X X2 12 OV25 UN25 GG NG HCP1 HCPX HCP2. Basketball 1 2 OV UN. Tennis 1 2 S2 S3',
  registered: 'Welcome, you are registered!',
  alreadyRegistered: 'You are already registered.',
  balance: (balance, openBets, openStakes) =>
    openBets === 0 ? `Balance ${balance}.` : `Balance ${balance}. Open bets: ${openBets} (${openStakes}).`,
  betsTitle: 'Your last bets:',
  noBets: 'You have no bets yet. Send GAMES to see games and odds.',
  betLine: ({ reference, state, stake, win, payout }) => {
    switch (state) {
      case 'open':
        return `${reference} open, stake ${stake}, win ${win}`;
      case 'won':
        return `${reference} won ${payout ?? win}`;
      case 'lost':
        return `${reference} lost, stake ${stake}`;
      case 'void':
        return `${reference} void, refunded ${payout ?? stake}`;
      default:
        return `${reference} rejected`;
    }
  },
  gamesHeader: (id) => `Reply GAMEID#PICK#AMOUNT e.g. ${id}#1#50`,
  sportHeader: (sport, kickoff) =>
    sport === 'football' ? `Football ${kickoff} 1 X 2:` : sport === 'basketball' ? `Basketball ${kickoff} 1 2:` : `Tennis ${kickoff} 1 2:`,
  noGames: 'No games are open right now. Please try again in a minute.',
  onBreak: (until) => `You are on a break from betting until ${until}.`,
  depositStarted: (amount, excise, credited) =>
    excise === null
      ? `Enter your M-Pesa PIN on the prompt to deposit ${amount}.`
      : `Enter your M-Pesa PIN on the prompt to deposit ${amount}. Excise duty ${excise}, to your wallet ${credited}.`,
  depositTooLow: (min) => `The minimum deposit is ${min}.`,
  depositTooHigh: (max) => `The maximum deposit is ${max}.`,
  dailyDepositLimit: 'This deposit is over your daily deposit limit.',
  depositsPaused: 'Deposits are paused during your break.',
  paymentsBusy: 'M-Pesa is busy, please try again in a minute.',
  paymentsUnavailable: 'M-Pesa is not available right now. Please try again later.',
  withdrawn: ({ amount, wht, net, balance }) =>
    wht === null
      ? `Withdrawal of ${amount} is on its way to your M-Pesa. Balance ${balance}.`
      : `Withdrawal of ${amount}: ${net} is on its way to your M-Pesa (withholding tax ${wht}). Balance ${balance}.`,
  withdrawTooLow: (min) => `The minimum withdrawal is ${min}.`,
  withdrawTooHigh: (max) => `The maximum withdrawal is ${max}.`,
  dailyWithdrawalLimit: 'This is over the daily withdrawal limit.',
  notEnoughMoney: (balance) => `Not enough money: your balance is ${balance}. Send DEPOSIT#AMOUNT to top up.`,
  blocked: 'Your account is blocked. Please call customer care.',
  languageSaved: 'Language set to English.',
  stopped: 'You will get no more promotional SMS from us. Receipts for your bets and payments still come. Send START to get offers again.',
  started: 'You will get our offers by SMS again. Send STOP to stop them.',
  slowDown: 'You are sending too many messages. Please wait a minute, then try again.',
  busy: 'Sorry, something went wrong. Please try again in a minute.',

  unknown: (word) => `Sorry, we did not understand "${word}". Send GAMES for games and odds, BAL for your balance or HELP for all commands.`,
  empty: 'Send GAMES for games and odds, BAL for your balance or HELP for all commands.',
  betSyntax: 'To bet send GAMEID#PICK#AMOUNT e.g. 1234#1#50. Multibet: 1234#1#1240#X#50. Send HELP for the picks.',
  badAmount: (word) => `"${word}" is not an amount. Use shillings, e.g. 50. To bet send GAMEID#PICK#AMOUNT e.g. 1234#1#50.`,
  badGameId: (word) => `"${word}" is not a game ID. Send GAMES for open games and their IDs.`,
  depositSyntax: 'To deposit send DEPOSIT#AMOUNT e.g. DEPOSIT#100.',
  withdrawSyntax: 'To withdraw send W#AMOUNT e.g. W#100.',
  langSyntax: 'To change language send LANG#EN for English or LANG#SW for Kiswahili.',
  excludeSyntax: 'To take a break from betting send EXCLUDE#DAYS, 1 to 3650 days, e.g. EXCLUDE#7.',

  gameNotFound: (id) => `Game ${id} was not found. Send GAMES for open games.`,
  pickNotOffered: (id, pick, picks) => `"${pick}" is not a pick for game ${id}. Picks: ${picks}.`,
  gameStarted: (id) => `Game ${id} has already started. Send GAMES for open games.`,
  oddsChanged: (changes) => `Odds changed: ${changes}. Send your bet again to accept them.`,
  stakeTooLow: (min) => `The minimum stake is ${min}.`,
  stakeTooHigh: (max) => `The maximum stake is ${max}.`,
  payoutTooHigh: (max) => `The most you can win is ${max}. Please lower the stake.`,
  tooManyLegs: (max) => `A bet can have at most ${max} games.`,
  duplicateGame: 'A bet can have each game only once.',
  dailyStakeLimit: (remaining) =>
    remaining === null ? 'This bet is over your daily stake limit.' : `This bet is over your daily stake limit. You can stake ${remaining} more today.`,
  pickGone: 'Sorry, a pick is no longer available. Send GAMES for open games.',
  keyUsed: 'This message was already used for a bet. Send BETS to see your bets.',
  betFailed: 'Sorry, we could not place this bet. Please try again.',
};

const mechi = (n: number) => `mechi ${n}`;

export const sw: SmsTexts = {
  betPlaced: ({ reference, legs, stake, win }) => [
    `Beti ${reference} imewekwa: ${mechi(legs)}, kiasi ${stake}, ushindi hadi ${win}. Kila la heri! Tuma BETS kuona beti zako.`,
    `Beti ${reference} imewekwa: ${mechi(legs)}, kiasi ${stake}, ushindi hadi ${win}. Kila la heri!`,
    `Beti ${reference} imewekwa. Kiasi ${stake}, ushindi hadi ${win}.`,
  ],
  betWon: ({ reference, payout, wht, credited }) =>
    wht === null
      ? [`Hongera! Beti ${reference} imeshinda ${payout}. Iko kwenye akaunti yako. Tuma BAL kuona salio.`, `Beti ${reference} imeshinda ${payout}.`]
      : [
          `Hongera! Beti ${reference} imeshinda ${payout}. Kodi ${wht}. ${credited} iko kwenye akaunti yako.`,
          `Beti ${reference} imeshinda ${payout}. Kodi ${wht}. Umepokea ${credited}.`,
          `Beti ${reference} imeshinda. Kodi ${wht}. Umepokea ${credited}.`,
        ],
  betVoid: ({ reference, credited }) => [
    `Beti ${reference} imebatilishwa. ${credited} imerudishwa kwenye akaunti yako.`,
    `Beti ${reference} imebatilishwa. ${credited} imerudishwa.`,
  ],
  depositCredited: ({ receipt, amount, excise, credited, balance }) => {
    const bal = balance === null ? '' : ` Salio ${balance}.`;
    return excise === null
      ? [`Umeweka ${amount} (M-Pesa ${receipt}).${bal} Tuma GAMES kubeti.`, `Umeweka ${amount} (M-Pesa ${receipt}).${bal}`]
      : [
          `Umeweka ${amount} (M-Pesa ${receipt}). Ushuru ${excise}, kwa akaunti yako ${credited}.${bal}`,
          `Umeweka ${amount} (M-Pesa ${receipt}). Ushuru ${excise}. Umepokea ${credited}.${bal}`,
          `Umeweka ${amount}. Ushuru ${excise}. Umepokea ${credited}.${bal}`,
          `Umeweka ${amount}. Ushuru ${excise}. Umepokea ${credited}.`,
        ];
  },
  // the adapter's reasons are English: Kiswahili readers get the plain fact
  depositFailed: ({ amount }) => [
    amount === null
      ? 'Kuweka pesa kwa M-Pesa hakukukamilika na hakuna pesa iliyotolewa. Tuma DEPOSIT#KIASI kujaribu tena.'
      : `Kuweka ${amount} kwa M-Pesa hakukukamilika na hakuna pesa iliyotolewa. Tuma DEPOSIT#KIASI kujaribu tena.`,
  ],
  withdrawalPaid: ({ amount, wht, net, receipt }) => {
    const ref = receipt === null ? '' : `, risiti ${receipt}`;
    return wht === null
      ? [`Umetoa ${amount}, imetumwa kwa M-Pesa yako${ref}.`]
      : [`Umetoa ${amount}: ${net} imetumwa kwa M-Pesa yako${ref}. Kodi ${wht}.`, `Umetoa ${amount}: ${net} imetumwa${ref}. Kodi ${wht}.`];
  },
  withdrawalFailed: ({ amount }) => [
    `Samahani, kutoa ${amount} hakukufaulu. Pesa imerudishwa kwenye akaunti yako. Tafadhali jaribu tena baadaye.`,
    `Kutoa ${amount} hakukufaulu. Pesa imerudishwa kwenye akaunti yako.`,
  ],
  selfExcluded: ({ until }) => [
    `Mapumziko yako ya kubeti yameanza. Utaweza kubeti tena baada ya ${until}. Jitunze.`,
    `Mapumziko yameanza. Utaweza kubeti tena baada ya ${until}.`,
  ],

  terms: (url) => [
    `Beti kwa SMS, miaka 18+ pekee. Kamari inaweza kulevya, cheza kwa busara. Masharti: ${url} Jibu KUBALI kama una miaka 18+ na unakubali.`,
    `Miaka 18+ pekee. Kamari inaweza kulevya, cheza kwa busara. Masharti: ${url} Jibu KUBALI kama una miaka 18+ na unakubali.`,
    `Miaka 18+ pekee. Cheza kwa busara. Masharti: ${url} Jibu KUBALI kama una miaka 18+.`,
  ],
  help:
    'GAMES: mechi na odds\nBeti: GAMEID#CHAGUO#KIASI mfano 1234#1#50\nMultibet: 1234#1#1240#GG#50\n' +
    'BAL, BETS, DEPOSIT#100, W#100, LANG#EN, EXCLUDE#7, STOP\n' +
    'Chaguo: 1 X 2 1X X2 12 OV25 UN25 GG NG HCP1 HCPX HCP2. Kikapu 1 2 OV UN. Tenisi 1 2 S2 S3',
  registered: 'Karibu, umesajiliwa!',
  alreadyRegistered: 'Tayari umesajiliwa.',
  balance: (balance, openBets, openStakes) =>
    openBets === 0 ? `Salio ${balance}.` : `Salio ${balance}. Beti wazi: ${openBets} (${openStakes}).`,
  betsTitle: 'Beti zako za mwisho:',
  noBets: 'Bado huna beti. Tuma GAMES kuona mechi na odds.',
  betLine: ({ reference, state, stake, win, payout }) => {
    switch (state) {
      case 'open':
        return `${reference} wazi, kiasi ${stake}, ushindi ${win}`;
      case 'won':
        return `${reference} imeshinda ${payout ?? win}`;
      case 'lost':
        return `${reference} imepoteza, kiasi ${stake}`;
      case 'void':
        return `${reference} imebatilishwa, ${payout ?? stake} imerudishwa`;
      default:
        return `${reference} imekataliwa`;
    }
  },
  gamesHeader: (id) => `Jibu GAMEID#CHAGUO#KIASI mfano ${id}#1#50`,
  sportHeader: (sport, kickoff) =>
    sport === 'football' ? `Soka ${kickoff} 1 X 2:` : sport === 'basketball' ? `Kikapu ${kickoff} 1 2:` : `Tenisi ${kickoff} 1 2:`,
  noGames: 'Hakuna mechi kwa sasa. Tafadhali jaribu tena baada ya dakika moja.',
  onBreak: (until) => `Uko kwenye mapumziko ya kubeti hadi ${until}.`,
  depositStarted: (amount, excise, credited) =>
    excise === null
      ? `Weka PIN yako ya M-Pesa kwenye ujumbe utakaokuja ili kuweka ${amount}.`
      : `Weka PIN yako ya M-Pesa kwenye ujumbe utakaokuja ili kuweka ${amount}. Ushuru ${excise}, kwa akaunti yako ${credited}.`,
  depositTooLow: (min) => `Kiasi cha chini cha kuweka ni ${min}.`,
  depositTooHigh: (max) => `Kiasi cha juu cha kuweka ni ${max}.`,
  dailyDepositLimit: 'Hii inazidi kikomo chako cha kuweka kwa siku.',
  depositsPaused: 'Kuweka pesa kumesimamishwa wakati wa mapumziko.',
  paymentsBusy: 'M-Pesa ina shughuli nyingi, jaribu tena baada ya dakika moja.',
  paymentsUnavailable: 'M-Pesa haipatikani kwa sasa. Tafadhali jaribu tena baadaye.',
  withdrawn: ({ amount, wht, net, balance }) =>
    wht === null
      ? `Kutoa ${amount}: inatumwa kwa M-Pesa yako. Salio ${balance}.`
      : `Kutoa ${amount}: ${net} inatumwa kwa M-Pesa yako (kodi ${wht}). Salio ${balance}.`,
  withdrawTooLow: (min) => `Kiasi cha chini cha kutoa ni ${min}.`,
  withdrawTooHigh: (max) => `Kiasi cha juu cha kutoa ni ${max}.`,
  dailyWithdrawalLimit: 'Hii inazidi kikomo cha kutoa kwa siku.',
  notEnoughMoney: (balance) => `Salio halitoshi: salio lako ni ${balance}. Tuma DEPOSIT#KIASI kuongeza pesa.`,
  blocked: 'Akaunti yako imezuiwa. Tafadhali piga simu kwa huduma kwa wateja.',
  languageSaved: 'Lugha imewekwa: Kiswahili.',
  stopped: 'Hutapokea tena SMS za matangazo. Risiti za beti na malipo zitaendelea kuja. Tuma START kupata ofa tena.',
  started: 'Utapokea ofa zetu kwa SMS tena. Tuma STOP kuzisimamisha.',
  slowDown: 'Unatuma ujumbe mwingi sana. Tafadhali subiri dakika moja, kisha ujaribu tena.',
  busy: 'Samahani, kuna hitilafu. Tafadhali jaribu tena baada ya dakika moja.',

  unknown: (word) => `Samahani, hatukuelewa "${word}". Tuma GAMES kuona mechi, BAL kuona salio au HELP kwa amri zote.`,
  empty: 'Tuma GAMES kuona mechi na odds, BAL kuona salio au HELP kwa amri zote.',
  betSyntax: 'Kubeti tuma GAMEID#CHAGUO#KIASI mfano 1234#1#50. Multibet: 1234#1#1240#X#50. Tuma HELP kuona chaguo.',
  badAmount: (word) => `"${word}" si kiasi. Tumia shilingi, mfano 50. Kubeti tuma GAMEID#CHAGUO#KIASI mfano 1234#1#50.`,
  badGameId: (word) => `"${word}" si namba ya mechi. Tuma GAMES kuona mechi zilizo wazi.`,
  depositSyntax: 'Kuweka pesa tuma DEPOSIT#KIASI mfano DEPOSIT#100.',
  withdrawSyntax: 'Kutoa pesa tuma W#KIASI mfano W#100.',
  langSyntax: 'Kubadilisha lugha tuma LANG#SW kwa Kiswahili au LANG#EN kwa English.',
  excludeSyntax: 'Kupumzika kubeti tuma EXCLUDE#SIKU, siku 1 hadi 3650, mfano EXCLUDE#7.',

  gameNotFound: (id) => `Mechi ${id} haikupatikana. Tuma GAMES kuona mechi zilizo wazi.`,
  pickNotOffered: (id, pick, picks) => `"${pick}" si chaguo la mechi ${id}. Chaguo: ${picks}.`,
  gameStarted: (id) => `Mechi ${id} imeshaanza. Tuma GAMES kuona mechi zilizo wazi.`,
  oddsChanged: (changes) => `Odds zimebadilika: ${changes}. Tuma beti yako tena kuzikubali.`,
  stakeTooLow: (min) => `Kiasi cha chini cha beti ni ${min}.`,
  stakeTooHigh: (max) => `Kiasi cha juu cha beti ni ${max}.`,
  payoutTooHigh: (max) => `Ushindi wa juu ni ${max}. Tafadhali punguza kiasi.`,
  tooManyLegs: (max) => `Beti inaweza kuwa na mechi ${max} tu.`,
  duplicateGame: 'Beti haiwezi kuwa na mechi moja mara mbili.',
  dailyStakeLimit: (remaining) =>
    remaining === null
      ? 'Beti hii inazidi kikomo chako cha siku.'
      : `Beti hii inazidi kikomo chako cha siku. Unaweza kubeti ${remaining} zaidi leo.`,
  pickGone: 'Samahani, chaguo moja halipatikani tena. Tuma GAMES kuona mechi zilizo wazi.',
  keyUsed: 'Ujumbe huu tayari umetumika kwa beti. Tuma BETS kuona beti zako.',
  betFailed: 'Samahani, hatukuweza kuweka beti hii. Tafadhali jaribu tena.',
};

export function textsFor(language: Lang | string | null | undefined): SmsTexts {
  return language === 'sw' ? sw : en;
}
