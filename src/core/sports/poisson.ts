/**
 * Poisson probabilities for 0..maxK, renormalised so the truncated support sums to 1.
 * Prices and draws both read this vector, so results come from exactly the priced distribution.
 */
export function truncatedPoisson(mean: number, maxK: number): number[] {
  if (!(mean > 0 && Number.isFinite(mean))) {
    throw new RangeError(`Poisson mean must be a positive finite number, got ${mean}`);
  }
  if (!(Number.isSafeInteger(maxK) && maxK >= 0)) {
    throw new RangeError(`maxK must be a non-negative integer, got ${maxK}`);
  }
  // Built outward from the mode as ratios of neighbours: e^-mean underflows for large means,
  // the ratios never do.
  const mode = Math.min(Math.floor(mean), maxK);
  const weights = new Array<number>(maxK + 1).fill(0);
  weights[mode] = 1;
  for (let k = mode + 1; k <= maxK; k++) weights[k] = (weights[k - 1] ?? 0) * (mean / k);
  for (let k = mode - 1; k >= 0; k--) weights[k] = (weights[k + 1] ?? 0) * ((k + 1) / mean);
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

/** Index k of the first cumulative probability above u: one uniform in, one draw out. */
export function inverseCdf(pmf: readonly number[], u: number): number {
  let cumulative = 0;
  let lastPossible = 0;
  for (const [k, p] of pmf.entries()) {
    if (p === 0) continue;
    cumulative += p;
    lastPossible = k;
    if (u < cumulative) return k;
  }
  // Rounding can leave the running sum a hair under 1; such a u belongs to the top of the support.
  return lastPossible;
}
