import type { PricedOutcome } from './types.ts';

const MIN_ODDS = 101;

/**
 * Odds in hundredths for an outcome of the given probability.
 * Rounding down means every outcome returns at most 1/(1+margin) per unit staked, so the house
 * never earns less than the configured margin; the 1.01 floor only matters for near-certainties.
 */
export function applyMargin(probability: number, margin: number): number {
  if (!(probability > 0 && probability <= 1)) {
    throw new RangeError(`probability must be in (0, 1], got ${probability}`);
  }
  if (!(margin >= 0 && Number.isFinite(margin))) {
    throw new RangeError(`margin must be a finite number >= 0, got ${margin}`);
  }
  return Math.max(MIN_ODDS, Math.floor(100 / (probability * (1 + margin))));
}

/**
 * Prices the picks of one market. Picks normally partition the outcomes (probabilities sum to 1);
 * the margin is applied pick by pick, so overlapping picks such as double chance price correctly too.
 */
export function priceMarket(
  market: string,
  probs: { pick: string; probability: number; line?: number }[],
  margin: number,
): PricedOutcome[] {
  return probs.map(({ pick, probability, line }) => ({
    market,
    pick,
    odds: applyMargin(probability, margin),
    probability,
    ...(line === undefined ? {} : { line }),
  }));
}
