export type Sport = 'football' | 'basketball' | 'tennis';

export type OutcomeResult = 'won' | 'lost' | 'void';

/** odds are integer hundredths: 185 means 1.85 */
export interface PricedOutcome {
  market: string;
  pick: string;
  odds: number;
  probability: number;
  line?: number;
}

export interface Fixture<P> {
  home: string;
  away: string;
  params: P;
}

export interface SportModel<P, R> {
  sport: Sport;
  /** all markets of one match, odds with margin applied (see odds.ts) */
  price(params: P, margin: number): PricedOutcome[];
  /** draw a result from the same distribution the prices come from */
  draw(params: P, next: () => number): R;
  /** result of every outcome `price` returns, keyed `${market}:${pick}` */
  settle(params: P, result: R): Record<string, OutcomeResult>;
  /** short score text for screens and SMS, e.g. "2-1", "98-91", "2-1 sets" (GSM-7 ASCII only) */
  scoreText(result: R): string;
}
