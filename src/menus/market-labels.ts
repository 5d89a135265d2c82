import { formatLine } from './display-format.ts';
import type { Messages } from './messages/catalogue.ts';

/**
 * Plain names for the core's market and pick codes (football 1X2, DC, OU25, BTTS, HCP; basketball WIN, TOT;
 * tennis WIN, SETS). A code this file does not know is shown as it is rather than hidden, so a new market
 * still works on the phone before it gets words.
 */
export function marketName(m: Messages, market: string, line: number | null): string {
  switch (market) {
    case '1X2':
      return m.markets.matchResult;
    case 'DC':
      return m.markets.doubleChance;
    case 'OU25':
      return m.markets.overUnder25;
    case 'BTTS':
      return m.markets.bothTeamsScore;
    case 'HCP':
      return m.markets.handicap;
    case 'WIN':
      return m.markets.winner;
    case 'TOT':
      return m.markets.totalPoints(line === null ? '' : formatLine(line));
    case 'SETS':
      return m.markets.totalSets;
    default:
      return market;
  }
}

export interface PickText {
  market: string;
  pick: string;
  line: number | null;
}

/**
 * What a pick means in words. `standalone` is for places where the market is not on screen (the slip, bet
 * history): a bare "Yes" would not say what it answers.
 */
export function pickName(m: Messages, p: PickText, home: string, away: string, standalone = false): string {
  const line = p.line === null ? '' : formatLine(p.line);
  switch (`${p.market}:${p.pick}`) {
    case '1X2:1':
    case 'WIN:1':
      return home;
    case '1X2:X':
      return m.picks.draw;
    case '1X2:2':
    case 'WIN:2':
      return away;
    case 'DC:1X':
      return m.picks.homeOrDraw(home);
    case 'DC:X2':
      return m.picks.drawOrAway(away);
    case 'DC:12':
      return m.picks.homeOrAway(home, away);
    case 'OU25:OV25':
      return m.picks.over('2.5');
    case 'OU25:UN25':
      return m.picks.under('2.5');
    case 'BTTS:GG':
      return standalone ? m.picks.bothScore(m.picks.yes) : m.picks.yes;
    case 'BTTS:NG':
      return standalone ? m.picks.bothScore(m.picks.no) : m.picks.no;
    case 'HCP:1':
      return `${home} -1`;
    case 'HCP:X':
      return `${m.picks.draw} -1`;
    case 'HCP:2':
      return `${away} +1`;
    case 'TOT:OV':
      return m.picks.over(line);
    case 'TOT:UN':
      return m.picks.under(line);
    case 'SETS:2':
    case 'SETS:3':
      return m.picks.sets(p.pick);
    default:
      return `${p.market} ${p.pick}`;
  }
}
