import { expect, it } from 'vitest';
import { uniformStream } from '../../../src/core/fairness.ts';
import { applyMargin } from '../../../src/core/sports/odds.ts';
import type { PricedOutcome, SportModel } from '../../../src/core/sports/types.ts';

const MARGIN = 0.08;
const DRAWS = 20_000;
/** Draws are seeded, so a tolerance of 5 standard errors cannot flake yet still catches real bias. */
const STANDARD_ERRORS = 5;

function byMarket(priced: PricedOutcome[]): Map<string, PricedOutcome[]> {
  const markets = new Map<string, PricedOutcome[]>();
  for (const outcome of priced) markets.set(outcome.market, [...(markets.get(outcome.market) ?? []), outcome]);
  return markets;
}

const key = (o: PricedOutcome): string => `${o.market}:${o.pick}`;

/**
 * Behaviour every sport model owes its callers. `winners` gives how many picks of a market win at
 * once (1 unless listed); market probabilities must sum to that number.
 */
export function itHonoursTheModelContract<P, R>(
  model: SportModel<P, R>,
  paramsList: P[],
  winners: Record<string, number> = {},
): void {
  const winnersOf = (market: string): number => winners[market] ?? 1;

  it('prices every market with probabilities summing to its number of winners', () => {
    for (const params of paramsList) {
      for (const [market, outcomes] of byMarket(model.price(params, MARGIN))) {
        const total = outcomes.reduce((sum, o) => sum + o.probability, 0);
        expect(total, market).toBeCloseTo(winnersOf(market), 9);
      }
    }
  });

  it('applies the margin to every priced outcome', () => {
    for (const params of paramsList) {
      for (const outcome of model.price(params, MARGIN)) {
        expect(outcome.odds).toBe(applyMargin(outcome.probability, MARGIN));
      }
    }
  });

  it('settles exactly the priced outcomes with the right number of winners for any drawn result', () => {
    const problems: string[] = [];
    for (const [p, params] of paramsList.entries()) {
      const priced = model.price(params, MARGIN);
      const pricedKeys = priced.map(key).sort().join(',');
      const markets = [...byMarket(priced)].map(([market, outcomes]) => ({ market, keys: outcomes.map(key) }));
      const next = uniformStream('contract-settle', p);
      for (let i = 0; i < 1000; i++) {
        const result = model.draw(params, next);
        const settled = model.settle(params, result);
        if (Object.keys(settled).sort().join(',') !== pricedKeys) problems.push(`keys ${JSON.stringify(result)}`);
        for (const { market, keys } of markets) {
          const results = keys.map((k) => settled[k]);
          const won = results.filter((r) => r === 'won').length;
          if (won !== winnersOf(market) || results.includes('void')) problems.push(`${market} ${JSON.stringify(result)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('draws results as often as the prices say', () => {
    for (const [p, params] of paramsList.entries()) {
      const priced = model.price(params, MARGIN);
      const keys = priced.map(key);
      const wins = keys.map(() => 0);
      const next = uniformStream('contract-freq', p);
      for (let i = 0; i < DRAWS; i++) {
        const settled = model.settle(params, model.draw(params, next));
        keys.forEach((k, j) => {
          if (settled[k] === 'won') wins[j] = (wins[j] ?? 0) + 1;
        });
      }
      for (const [j, outcome] of priced.entries()) {
        const frequency = (wins[j] ?? 0) / DRAWS;
        const standardError = Math.sqrt((outcome.probability * (1 - outcome.probability)) / DRAWS);
        expect(Math.abs(frequency - outcome.probability), key(outcome)).toBeLessThanOrEqual(
          STANDARD_ERRORS * standardError + 1e-12,
        );
      }
    }
  });

  it('writes short score text in plain GSM-7 characters', () => {
    for (const [p, params] of paramsList.entries()) {
      for (let i = 0; i < 200; i++) {
        const text = model.scoreText(model.draw(params, uniformStream('contract-text', `${p}:${i}`)));
        expect(text).toMatch(/^[0-9A-Za-z -]{3,20}$/);
      }
    }
  });
}
