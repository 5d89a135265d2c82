import type { SystemAccountIds } from './accounts.ts';
import type { Db } from './db.ts';

/** one bet as `place_bets` takes it; amounts in cents, ids as strings (bigint-safe in JSON) */
export interface BetSubmission {
  key: string;
  hash: string;
  player: number;
  stake: number;
  excise: number;
  potential: number;
  outcomes: string[];
  odds: number[];
  events: string[];
  now: string;
  day: string;
}

export interface PlaceBetRow {
  outcome: string;
  bet_id: unknown;
  reference: string | null;
  detail: unknown;
}

export interface BetBatcher {
  submit(bet: BetSubmission): Promise<PlaceBetRow>;
}

interface Waiting {
  bet: BetSubmission;
  resolve: (row: PlaceBetRow) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for bets. A bet that arrives while fewer than `maxInFlight` batches are running goes at once (no added
 * latency when quiet); bets that arrive while the database is busy wait for the next free slot and go together in
 * one `place_bets` call: one round trip and one commit for all of them. Under load this is what lets placement keep
 * up with the WAL flush instead of queueing behind it.
 */
export function createBetBatcher(
  db: Db,
  accounts: SystemAccountIds,
  opts: { maxInFlight?: number; maxBatch?: number } = {},
): BetBatcher {
  const maxInFlight = opts.maxInFlight ?? 2;
  const maxBatch = opts.maxBatch ?? 64;
  const queue: Waiting[] = [];
  let inFlight = 0;

  const call = async (bets: BetSubmission[]) => {
    const { rows } = await db.query<PlaceBetRow & { n: number }>('SELECT * FROM place_bets($1::jsonb, $2, $3)', [
      JSON.stringify(bets.map((b, n) => ({ ...b, n }))),
      accounts.stakes_held,
      accounts.excise_payable,
    ]);
    return rows;
  };

  const run = async (batch: Waiting[]) => {
    try {
      const rows = await call(batch.map((w) => w.bet));
      for (const row of rows) batch[row.n]!.resolve(row);
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // the whole batch rolled back (a deadlock, a bug in one bet): each bet goes again on its own, so one bad bet
      // cannot fail its neighbours
      await Promise.all(batch.map((w) => run([w])));
    }
  };

  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      inFlight += 1;
      void run(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };

  return {
    submit: (bet) =>
      new Promise<PlaceBetRow>((resolve, reject) => {
        queue.push({ bet, resolve, reject });
        pump();
      }),
  };
}
