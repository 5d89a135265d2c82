/**
 * SMS pick codes → the core's markets (src/core/sports/*). One code per outcome, plus a few spellings people type.
 *
 *   football    1 X 2 (1X2)   1X X2 12 (DC)   OV25 UN25 (OU25)   GG NG (BTTS)   HCP1 HCPX HCP2 (HCP, home -1)
 *   basketball  1 2 (WIN)     OV UN (TOT, the game's points line)
 *   tennis      1 2 (WIN)     S2 S3 (SETS: the match goes 2 or 3 sets)
 *
 * Football's handicap picks carry an HCP prefix because 1/X/2 already name the match result.
 */
import type { Sport } from '../../core/sports/types.ts';

export interface MarketPick {
  market: string;
  pick: string;
}

const mp = (market: string, pick: string): MarketPick => ({ market, pick });

const TABLE: Record<Sport, ReadonlyMap<string, MarketPick>> = {
  football: new Map([
    ['1', mp('1X2', '1')],
    ['X', mp('1X2', 'X')],
    ['2', mp('1X2', '2')],
    ['1X', mp('DC', '1X')],
    ['X1', mp('DC', '1X')],
    ['X2', mp('DC', 'X2')],
    ['2X', mp('DC', 'X2')],
    ['12', mp('DC', '12')],
    ['OV25', mp('OU25', 'OV25')],
    ['O25', mp('OU25', 'OV25')],
    ['OV', mp('OU25', 'OV25')],
    ['OVER', mp('OU25', 'OV25')],
    ['UN25', mp('OU25', 'UN25')],
    ['U25', mp('OU25', 'UN25')],
    ['UN', mp('OU25', 'UN25')],
    ['UNDER', mp('OU25', 'UN25')],
    ['GG', mp('BTTS', 'GG')],
    ['NG', mp('BTTS', 'NG')],
    ['HCP1', mp('HCP', '1')],
    ['HCPX', mp('HCP', 'X')],
    ['HCP2', mp('HCP', '2')],
    ['H1', mp('HCP', '1')],
    ['HX', mp('HCP', 'X')],
    ['H2', mp('HCP', '2')],
  ]),
  basketball: new Map([
    ['1', mp('WIN', '1')],
    ['2', mp('WIN', '2')],
    ['OV', mp('TOT', 'OV')],
    ['O', mp('TOT', 'OV')],
    ['OVER', mp('TOT', 'OV')],
    ['UN', mp('TOT', 'UN')],
    ['U', mp('TOT', 'UN')],
    ['UNDER', mp('TOT', 'UN')],
  ]),
  tennis: new Map([
    ['1', mp('WIN', '1')],
    ['2', mp('WIN', '2')],
    ['S2', mp('SETS', '2')],
    ['2S', mp('SETS', '2')],
    ['SETS2', mp('SETS', '2')],
    ['S3', mp('SETS', '3')],
    ['3S', mp('SETS', '3')],
    ['SETS3', mp('SETS', '3')],
  ]),
};

/** the codes we advertise, per sport (help texts and "not a pick for this game" replies) */
export const PICK_CODES: Record<Sport, string> = {
  football: '1 X 2 1X X2 12 OV25 UN25 GG NG HCP1 HCPX HCP2',
  basketball: '1 2 OV UN',
  tennis: '1 2 S2 S3',
};

export function resolvePick(sport: Sport, code: string): MarketPick | null {
  return TABLE[sport]?.get(code) ?? null;
}

/** the code we advertise for a market pick (to quote odds back) */
export function pickCode(sport: Sport, market: string, pick: string): string {
  for (const [code, target] of TABLE[sport] ?? []) {
    if (target.market === market && target.pick === pick) return code;
  }
  return pick;
}
