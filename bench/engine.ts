import { migrate } from '../src/adapters/db/migrate.ts';
import { postgresDb } from '../src/adapters/db/postgres.ts';
import { systemClock } from '../src/core/clock.ts';
import { createCore, type Core } from '../src/core/core.ts';
import { int } from '../src/core/db.ts';
import { checkLedger, type LedgerProblem } from '../src/core/ledger-check.ts';
import { DEFAULT_SETTINGS, type CoreSettings } from '../src/core/settings.ts';
import { EARLIER_REGIME } from '../src/core/taxes.ts';
import type { Scratch } from './env.ts';

/** the core's settings for the run: production defaults, or the stake/winnings tax regime with BENCH_TAXES=earlier */
export function benchSettings(): { settings: CoreSettings; regime: string } {
  if (process.env.BENCH_TAXES === 'earlier') {
    return { settings: { ...DEFAULT_SETTINGS, taxes: EARLIER_REGIME }, regime: 'earlier (excise on stake, WHT on winnings)' };
  }
  return { settings: DEFAULT_SETTINGS, regime: 'Finance Act 2025 (excise on deposit, WHT on withdrawal)' };
}

export interface EngineDb {
  core: Core;
  name: string;
  url: string;
  close(): Promise<void>;
}

/** a scratch database with the migrations applied and a core on a pool of `poolSize` connections */
export async function openEngine(scratch: Scratch, suffix: string, poolSize: number): Promise<EngineDb> {
  const { name, url } = await scratch.create(suffix);
  const db = postgresDb({ connectionString: url, max: poolSize });
  try {
    await migrate(db);
    const core = await createCore(db, benchSettings().settings, systemClock);
    return {
      core,
      name,
      url,
      async close() {
        await db.close().catch(() => undefined);
        await scratch.drop(name);
      },
    };
  } catch (err) {
    await db.close().catch(() => undefined);
    await scratch.drop(name);
    throw err;
  }
}

export interface RollupFigures {
  deltaRows: number;
  seconds: number;
}

/** how many delta rows wait for the system accounts, and how long folding them in takes */
export async function timedRollup(core: Core): Promise<RollupFigures> {
  const { rows } = await core.db.query<{ n: unknown }>('SELECT count(*) AS n FROM system_balance_deltas');
  const t0 = performance.now();
  await core.db.query('SELECT rollup_system_balances()');
  return { deltaRows: int(rows[0]!.n), seconds: Math.round(performance.now() - t0) / 1000 };
}

export interface LedgerVerdict {
  pass: boolean;
  problems: number;
  sample: LedgerProblem[];
  seconds: number;
}

export async function ledgerVerdict(core: Core): Promise<LedgerVerdict> {
  const t0 = performance.now();
  const problems = await checkLedger(core.db);
  return {
    pass: problems.length === 0,
    problems: problems.length,
    sample: problems.slice(0, 5),
    seconds: Math.round(performance.now() - t0) / 1000,
  };
}
