/**
 * How the USSD bench turns its rounds into verdict figures. The host's speed drifts by tens of percent within a
 * minute, so one floor window next to one gateway window cannot show their ratio; each round pairs the two back to
 * back, and the verdicts take the median over rounds, which one disturbed round cannot move.
 */
import { round } from '../stats.ts';

/** one scenario in one round: the floor's and our window, run back to back */
export interface RoundPair {
  floorHopsPerSecond: number;
  oursHopsPerSecond: number;
  oursP99Ms: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ScenarioSummary {
  /** ours ÷ floor per round, each from the same round's two windows */
  ratios: number[];
  ratio: Spread;
  oursP99Ms: Spread;
  floorHopsPerSecond: Spread;
  oursHopsPerSecond: Spread;
  /** the round (1-based) whose ratio is nearest the median, the earliest of equals: its stage tables are shown */
  typicalRound: number;
}

/** the middle value; for an even count the mean of the two middle ones */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function spread(xs: readonly number[], digits: number): Spread {
  return { median: round(median(xs), digits), min: Math.min(...xs), max: Math.max(...xs) };
}

export const ratioOf = (ours: number, floor: number) => round(ours / Math.max(floor, 1), 3);

export function summariseScenario(rounds: readonly RoundPair[]): ScenarioSummary {
  const ratios = rounds.map((r) => ratioOf(r.oursHopsPerSecond, r.floorHopsPerSecond));
  const ratio = spread(ratios, 3);
  let nearest = 0;
  ratios.forEach((x, i) => {
    if (Math.abs(x - ratio.median) < Math.abs(ratios[nearest]! - ratio.median)) nearest = i;
  });
  return {
    ratios,
    ratio,
    oursP99Ms: spread(rounds.map((r) => r.oursP99Ms), 2),
    floorHopsPerSecond: spread(rounds.map((r) => r.floorHopsPerSecond), 1),
    oursHopsPerSecond: spread(rounds.map((r) => r.oursHopsPerSecond), 1),
    typicalRound: nearest + 1,
  };
}
