import type { SystemAccountIds } from './accounts.ts';
import type { Clock } from './clock.ts';
import { int, type Db } from './db.ts';
import { createRound, drawDueEvents } from './events.ts';
import { rollupSystemBalances } from './ledger.ts';
import type { CoreSettings } from './settings.ts';
import { settleEvent, type SettlementSummary } from './settlement.ts';
import { SPORTS } from './sports/leagues.ts';

export interface SchedulerDeps {
  db: Db;
  accounts: SystemAccountIds;
  settings: CoreSettings;
}

export interface TickSummary {
  created: number;
  drawn: number;
  settled: SettlementSummary[];
}

/** rounds are numbered by their time slot, so every process agrees on round numbers without talking */
export function roundAt(now: Date, intervalSeconds: number): number {
  return Math.floor(now.getTime() / 1000 / intervalSeconds);
}

/**
 * One pass of the schedule: keep the next `roundsAhead` rounds of every sport open, draw what has kicked off, settle
 * what is drawn, fold system balances. Every step is idempotent and picks up whatever an earlier, interrupted pass
 * left behind, so a restart after a crash catches up without skipping or repeating anything.
 */
export async function schedulerTick(deps: SchedulerDeps, now: Date): Promise<TickSummary> {
  const { eventIntervalSeconds: interval, roundsAhead, margin } = deps.settings;
  const current = roundAt(now, interval);
  // look before inserting: a conflicting insert would still burn event ids every tick
  const existing = await deps.db.query<{ sport: string; round_no: unknown }>(
    'SELECT DISTINCT sport, round_no FROM events WHERE sport = ANY ($3) AND round_no BETWEEN $1 AND $2',
    [current + 1, current + roundsAhead, SPORTS],
  );
  const have = new Set(existing.rows.map((r) => `${r.sport}:${int(r.round_no)}`));
  let created = 0;
  for (let roundNo = current + 1; roundNo <= current + roundsAhead; roundNo++) {
    for (const sport of SPORTS) {
      if (have.has(`${sport}:${roundNo}`)) continue;
      created += await deps.db.tx((q) =>
        createRound(q, { sport, roundNo, kickoffAt: new Date(roundNo * interval * 1000), margin, now }),
      );
    }
  }
  const drawn = await drawDueEvents(deps.db, now);
  const due = await deps.db.query<{ id: unknown }>(
    `SELECT id FROM events WHERE status = 'resulted' ORDER BY kickoff_at, id`,
  );
  const settled: SettlementSummary[] = [];
  for (const row of due.rows) {
    const summary = await settleEvent({ ...deps, taxes: deps.settings.taxes }, int(row.id), now);
    if (summary) settled.push(summary);
  }
  await rollupSystemBalances(deps.db);
  return { created, drawn, settled };
}

export const SCHEDULER_LOCK = 7_290_003;

/**
 * Runs a tick only while holding the scheduler's advisory lock, so among many app instances one schedules at a time;
 * the lock is the connection's, so a crashed leader frees it by dying. Returns null when another instance leads.
 */
export async function leaderTick(deps: SchedulerDeps, clock: Clock): Promise<TickSummary | null> {
  return deps.db.session(async (conn) => {
    const { rows } = await conn.query<{ leader: boolean }>('SELECT pg_try_advisory_lock($1) AS leader', [SCHEDULER_LOCK]);
    if (!rows[0]?.leader) return null;
    try {
      return await schedulerTick(deps, clock());
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [SCHEDULER_LOCK]);
    }
  });
}

export interface RunningScheduler {
  stop(): Promise<void>;
}

/** the in-process scheduler `npm start` runs; errors are reported and the next tick tries again */
export function startScheduler(
  deps: SchedulerDeps,
  clock: Clock,
  opts: { tickMs: number; onError: (err: unknown) => void; onTick?: (s: TickSummary) => void },
): RunningScheduler {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const run = () => {
    current = leaderTick(deps, clock)
      .then((s) => {
        if (s) opts.onTick?.(s);
      })
      .catch(opts.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(run, opts.tickMs);
      });
  };
  let timer = setTimeout(run, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
