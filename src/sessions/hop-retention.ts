/**
 * Hop log retention. `ussd_hops` is split into monthly children (migration 007); this job keeps the next months'
 * children created ahead of time and drops the children whose whole month is older than the retention period, so a
 * purge is a DROP TABLE, not a DELETE over millions of rows. Rows in `ussd_hops_default` (a month that had no child
 * yet) and aggregator end notifications (`ussd_session_ends`) are deleted row by row past the cut-off — both are small.
 * Money records (ledger, bets, deposits, withdrawals, payouts, SMS) are never touched.
 *
 * A whole month is dropped only once its last day is past the cut-off, so a hop is kept between HOP_RETENTION_DAYS
 * and HOP_RETENTION_DAYS + one month.
 *
 * Leader-only: every instance runs the job daily, but a run first takes a session-level advisory lock (try, not wait);
 * the instance that does not get it skips that run.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Db, Queryable } from '../core/db.ts';

/** any fixed number; the same in every process sharing the database */
export const HOP_RETENTION_LOCK = 7_290_007;
export const DEFAULT_MONTHS_AHEAD = 2;
const DAY_MS = 86_400_000;

export interface HopRetentionDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  retentionDays: number;
  monthsAhead?: number;
}

export interface RetentionRun {
  /** false when another instance holds the lock (this run did nothing) */
  ran: boolean;
  created: string[];
  dropped: string[];
  deletedDefaultRows: number;
  deletedSessionEnds: number;
  cutoff: Date;
}

const monthStart = (d: Date, plus = 0) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1));

/** creates this month's child and the next `monthsAhead` ones when missing; returns the names it created */
export async function ensureHopPartitions(q: Queryable, now: Date, monthsAhead = DEFAULT_MONTHS_AHEAD): Promise<string[]> {
  const existing = new Set(await hopPartitions(q).then((ps) => ps.map((p) => p.name)));
  const created: string[] = [];
  for (let k = 0; k <= monthsAhead; k++) {
    const { rows } = await q.query<{ name: string }>('SELECT ussd_hops_ensure_partition($1) AS name', [monthStart(now, k)]);
    const name = rows[0]!.name;
    if (!existing.has(name)) created.push(name);
  }
  return created;
}

export interface HopPartition {
  /** e.g. ussd_hops_2026_11 */
  name: string;
  /** as the catalog names it (schema-qualified when not on the search path) */
  qualified: string;
  /** first instant of the month (UTC) */
  month: Date;
}

/** the monthly children of ussd_hops (the default child is not one of them) */
export async function hopPartitions(q: Queryable): Promise<HopPartition[]> {
  const { rows } = await q.query<{ name: string; qualified: string }>(
    `SELECT c.relname AS name, c.oid::regclass::text AS qualified
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'ussd_hops'::regclass ORDER BY c.relname`,
  );
  const out: HopPartition[] = [];
  for (const r of rows) {
    const m = /^ussd_hops_(\d{4})_(\d{2})$/.exec(r.name);
    if (m) out.push({ name: r.name, qualified: r.qualified, month: new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) });
  }
  return out;
}

/** drops every monthly child whose month ended at or before the cut-off; deletes older default rows and end notices */
export async function purgeHops(q: Queryable, cutoff: Date): Promise<Omit<RetentionRun, 'ran' | 'created' | 'cutoff'>> {
  const dropped: string[] = [];
  for (const p of await hopPartitions(q)) {
    if (monthStart(p.month, 1).getTime() <= cutoff.getTime()) {
      await q.query(`DROP TABLE ${p.qualified}`);
      dropped.push(p.name);
    }
  }
  const d = await q.query<{ n: unknown }>('WITH gone AS (DELETE FROM ussd_hops_default WHERE at < $1 RETURNING 1) SELECT count(*) AS n FROM gone', [cutoff]);
  const e = await q.query<{ n: unknown }>(
    'WITH gone AS (DELETE FROM ussd_session_ends WHERE received_at < $1 RETURNING 1) SELECT count(*) AS n FROM gone',
    [cutoff],
  );
  return { dropped, deletedDefaultRows: Number(d.rows[0]!.n), deletedSessionEnds: Number(e.rows[0]!.n) };
}

/** one run: partitions ahead, then the purge — only on the instance holding the advisory lock */
export async function runRetentionOnce(deps: HopRetentionDeps): Promise<RetentionRun> {
  const now = deps.clock();
  const cutoff = new Date(now.getTime() - deps.retentionDays * DAY_MS);
  return deps.db.session(async (q) => {
    const { rows } = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [HOP_RETENTION_LOCK]);
    if (!rows[0]?.locked) return { ran: false, created: [], dropped: [], deletedDefaultRows: 0, deletedSessionEnds: 0, cutoff };
    try {
      const created = await ensureHopPartitions(q, now, deps.monthsAhead ?? DEFAULT_MONTHS_AHEAD);
      const purged = await purgeHops(q, cutoff);
      return { ran: true, created, ...purged, cutoff };
    } finally {
      await q.query('SELECT pg_advisory_unlock($1)', [HOP_RETENTION_LOCK]);
    }
  });
}

export interface RunningRetention {
  stop(): Promise<void>;
}

/** runs at start, then every `intervalMs` (a day by default); failures are logged and retried next time */
export function startHopRetention(deps: HopRetentionDeps, intervalMs = DAY_MS): RunningRetention {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = runRetentionOnce(deps)
      .then((r) => {
        if (r.ran && (r.created.length || r.dropped.length || r.deletedDefaultRows || r.deletedSessionEnds)) {
          deps.logger.info(r, 'hop log retention ran');
        }
      })
      .catch((err: unknown) => deps.logger.error({ err }, 'hop log retention failed; will retry'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
