import type { Cents } from './money.ts';
import { FINANCE_ACT_2025, type TaxRules } from './taxes.ts';

/** the rules the core is run with; the composition root builds this from validated configuration */
export interface CoreSettings {
  taxes: TaxRules;
  minStake: Cents;
  maxStake: Cents;
  maxPayout: Cents;
  maxLegs: number;
  /** bookmaker margin (overround) applied to fair odds, 0.08 = 8% */
  margin: number;
  eventIntervalSeconds: number;
  roundsAhead: number;
  /**
   * bet batches in flight at once; more bets wait and go in the next batch. About the database server's cores: fewer
   * leaves cores idle, more makes every bet pay for commits and contention (measured in `npm run bench`).
   */
  betBatchConcurrency: number;
}

export const DEFAULT_SETTINGS: CoreSettings = {
  taxes: FINANCE_ACT_2025,
  // KES 20 is the legal minimum online stake under the Gambling Control Act 2025
  minStake: 20_00,
  maxStake: 50_000_00,
  maxPayout: 1_000_000_00,
  maxLegs: 10,
  margin: 0.08,
  eventIntervalSeconds: 120,
  roundsAhead: 3,
  betBatchConcurrency: 2,
};
