/**
 * `npm run bench`: the core engine against the textbook pgbench baseline on the same PostgreSQL, in one run.
 *
 *   1. pgbench TPC-B (scale 32, 32 clients, -j 2, 20 s) on a scratch database
 *   2. bets/s through placeBet: 32 workers on 32 pooled connections, distinct players, 20 s; ledger check
 *   3. settleEvent for one event carrying 100,000 open bets (singles and multibets); ledger check
 *   4. system_balance_deltas left by the bet run, and the time to roll them up
 *   5. USSD: the real gateway listening in a child process (real Redis + PostgreSQL), 50 phones running whole
 *      sessions (A: menu → balance, B: menu → bet placed) against it and against a bare node:http + Redis floor, in
 *      interleaved rounds; hops/s and latency vs the floor (medians over rounds), then both again with the phones
 *      paced below saturation, then the hop log and bets checked against what the phones saw
 *      (bench/ussd/ussd-bench.ts)
 *
 * Everything happens in scratch databases named bench_<tag>_* that the run creates and drops; existing data is never
 * touched and no server setting is changed. Figures are printed and written to bench/results/latest.json.
 *
 * Knobs (environment): DATABASE_URL, BENCH_SECONDS (20), BENCH_SETTLE_BETS (100000), BENCH_ONLY (pgbench,bets,settle,ussd),
 * BENCH_TAXES=earlier (stake excise + winnings WHT regime), PGBENCH (path to the binary), BENCH_EXPLAIN=1 (time the
 * settlement under session-level auto_explain and write every statement's EXPLAIN ANALYZE to
 * bench/results/settle-explain.txt — a diagnosis run: its settlement time includes the instrumentation).
 * USSD: REDIS_URL (redis://127.0.0.1:6379; keys under bench_<tag>:*, removed afterwards), BENCH_USSD_ROUNDS (3 rounds
 * of floor A, ours A, floor B, ours B; the verdicts take the median over rounds), BENCH_USSD_SECONDS (7 per window),
 * BENCH_USSD_PHONES (50), BENCH_USSD_PROFILE=1 (CPU-profile the gateway's windows of the last round into
 * bench/results/ussd-{A,B}.cpuprofile and print the top self-time functions — slightly slows the gateway),
 * BENCH_USSD_RAW=1 (run the gateway without the bench's per-stage counters, to check their cost; no stage tables),
 * BENCH_USSD_STANDINS=1 (in every round, also the gateway with stand-ins for the menus: fixed screens, and a minimal
 * XState machine; shows what the plumbing and the design's XState actors cost apart from the menus and the core).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSettings } from './engine.ts';
import { cpuBusyPct, cpuSnapshot, databaseUrl, machineFacts, redact, RUN_TAG, Scratch, type WalPerTx } from './env.ts';
import { runPgbench, type PgbenchOutcome } from './pgbench.ts';
import { runSettlement, type SettlementResult } from './settlement.ts';
import { round, sleep, table } from './stats.ts';
import { runThroughput, type ThroughputResult } from './throughput.ts';
import { ussdReport } from './ussd/report.ts';
import { cleanupUssd, runUssd, type UssdOutcome } from './ussd/ussd-bench.ts';

const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const EXPLAIN_FILE = fileURLToPath(new URL('./results/settle-explain.txt', import.meta.url));

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
  return n;
}

const log = (line: string) => console.log(line);

const walText = (w: WalPerTx) => `${w.bytesPerTx} / ${w.recordsPerTx} / ${w.fullPageImagesPerTx} / ${w.syncsPerTx}`;

function printWaits(title: string, waits: Record<string, number>) {
  const rows = Object.entries(waits).slice(0, 8).map(([k, v]) => [k, `${v}%`]);
  if (rows.length > 0) log(`\n${title}\n${table(['backend state (pg_stat_activity samples)', 'share'], rows)}`);
}

async function main() {
  const seconds = envInt('BENCH_SECONDS', 20, 2, 60);
  const settleBets = envInt('BENCH_SETTLE_BETS', 100_000, 1_000, 200_000);
  const explain = process.env.BENCH_EXPLAIN === '1';
  // 3 rounds of 7 s windows take about as long as the single 20 s windows did
  const ussdRounds = envInt('BENCH_USSD_ROUNDS', 3, 1, 20);
  const ussdSeconds = envInt('BENCH_USSD_SECONDS', 7, 2, 120);
  const ussdPhones = envInt('BENCH_USSD_PHONES', 50, 1, 1_000);
  const only = new Set((process.env.BENCH_ONLY ?? 'pgbench,bets,settle,ussd').split(',').map((s) => s.trim()));
  const db = databaseUrl();
  log(`DATABASE_URL: ${redact(db.url)} (${db.fromEnv ? 'from the environment' : 'default; DATABASE_URL is unset'})`);
  log(`scratch databases: ${RUN_TAG}_* (created and dropped by this run)`);

  const scratch = await Scratch.open(db.url);
  // one teardown, whether the run ends, fails or is interrupted (a signal arrives while the run's finally may run too)
  let closing: Promise<void> | null = null;
  const closeAll = () => (closing ??= cleanupUssd().finally(() => scratch.close()));
  const onSignal = (sig: string) => {
    console.error(`\n${sig}: stopping the bench's server children, removing its Redis keys, dropping scratch databases...`);
    void closeAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  const started = new Date();
  const out: Record<string, unknown> = {
    startedAt: started.toISOString(),
    databaseUrl: redact(db.url),
    databaseUrlSource: db.fromEnv ? 'env' : 'default',
    taxRegime: benchSettings().regime,
  };
  let failed = false;
  try {
    const machine = await machineFacts(scratch);
    const idle0 = cpuSnapshot();
    await sleep(2_000);
    const background = cpuBusyPct(idle0, cpuSnapshot());
    out.machine = { ...machine, backgroundCpuBusyPct: background, loadavg: loadavg().map((x) => round(x, 2)) };
    log(`\nmachine: ${machine.cpus} CPU (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}`);
    log(`server:  ${machine.postgres}`);
    log(
      `settings: ${Object.entries(machine.settings)
        .map(([k, v]) => `${k}=${v || "''"}`)
        .join(', ')}`,
    );
    log(`tax regime: ${benchSettings().regime}`);
    log(`background CPU before start: ${background ?? '?'}% busy over 2 s; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    if (background !== null && background > 15) {
      log('WARNING: the machine is busy with other work; throughput figures will be low and noisy');
    }

    let pgbench: PgbenchOutcome | null = null;
    if (only.has('pgbench')) {
      log(`\n[1/4] pgbench baseline: -i -s 32, then -c 32 -j 2 -T ${seconds} (TPC-B, simple protocol)`);
      pgbench = await runPgbench(scratch, { scale: 32, clients: 32, threads: 2, seconds });
      out.pgbench = pgbench;
      if (pgbench.skipped) log(`  skipped: ${pgbench.reason}`);
      else log(`  init ${pgbench.initSeconds} s; tps = ${pgbench.tps}`);
    }

    let bets: ThroughputResult | null = null;
    if (only.has('bets')) {
      log(`\n[2/4] bet placement: placeBet, 32 workers, pool of 32, 3,200 players, ${seconds} s`);
      bets = await runThroughput(
        scratch,
        {
          workers: 32,
          playersPerWorker: 100,
          seconds,
          maxBetsPerWorker: 50_000,
          warmupBetsPerWorker: 10,
          depositCents: 50_000_00,
        },
        log,
      );
      out.bets = bets;
    }

    let settle: SettlementResult | null = null;
    if (only.has('settle')) {
      log(`\n[3/4] settlement: one event with ${settleBets.toLocaleString('en')} open bets${explain ? ' (under auto_explain: slower than normal)' : ''}`);
      mkdirSync(dirname(EXPLAIN_FILE), { recursive: true });
      settle = await runSettlement(
        scratch,
        {
          bets: settleBets,
          players: Math.max(1_000, Math.round(settleBets / 5)),
          singles: 0.7,
          depositCents: 20_000_00,
          ...(explain ? { explainTo: EXPLAIN_FILE } : {}),
        },
        log,
      );
      out.settlement = settle;
    }

    let ussd: UssdOutcome | null = null;
    if (only.has('ussd')) {
      log(
        `\n[4/4] USSD load: the gateway listening (child process) vs a node:http + Redis floor, ${ussdPhones} phones, ` +
          `${ussdRounds} × ${ussdSeconds} s per server and scenario`,
      );
      ussd = await runUssd(
        scratch,
        {
          phones: ussdPhones,
          rounds: ussdRounds,
          seconds: ussdSeconds,
          warmupSeconds: 2,
          soloSeconds: Math.min(5, ussdSeconds),
          profile: process.env.BENCH_USSD_PROFILE === '1',
          standIns: process.env.BENCH_USSD_STANDINS === '1',
          depositKes: 100_000,
        },
        log,
      );
      out.ussd = ussd;
      if (ussd.skipped) log(`  skipped: ${ussd.reason}`);
    }

    const tps = pgbench && !pgbench.skipped ? pgbench.tps : null;
    const ratio = tps && bets ? round(bets.betsPerSecond / tps, 2) : null;
    out.ratio = ratio;

    log('\n=== results ===');
    const rows: (string | number)[][] = [];
    if (pgbench) rows.push(['pgbench TPC-B tps (-c 32 -j 2)', pgbench.skipped ? 'skipped' : pgbench.tps, '']);
    if (pgbench && !pgbench.skipped) {
      rows.push(['  pgbench avg latency ms', pgbench.latencyAvgMs ?? '?', '']);
      rows.push(['  machine CPU busy during pgbench', `${pgbench.machineCpuBusyPct ?? '?'}%`, '']);
      if (pgbench.wal) rows.push(['  WAL bytes / records / FPI / flushes per tx', walText(pgbench.wal), '']);
      rows.push(['  server backend CPU ms per tx', pgbench.backendCpuMsPerTx ?? 'n/a', '']);
    }
    if (bets) {
      rows.push(['bets/s via placeBet (32 workers)', bets.betsPerSecond, '']);
      rows.push(['  ratio bets/s ÷ pgbench tps', ratio === null ? 'n/a' : `${ratio}×`, ratio === null ? '' : ratio >= 1 ? 'PASS (≥ 1.0×)' : 'FAIL (< 1.0×)']);
      rows.push(['  bets placed / rejected', `${bets.placed} / ${Object.values(bets.rejected).reduce((a, b) => a + b, 0)}`, '']);
      rows.push(['  legs 1/2/3', `${bets.legs[1] ?? 0}/${bets.legs[2] ?? 0}/${bets.legs[3] ?? 0}`, '']);
      rows.push(['  latency p50 / p90 / p99 / max ms', `${bets.latency.p50Ms} / ${bets.latency.p90Ms} / ${bets.latency.p99Ms} / ${bets.latency.maxMs}`, '']);
      rows.push(['  machine CPU busy during bets', `${bets.machineCpuBusyPct ?? '?'}%`, '']);
      rows.push(['  bench process CPU (of one core)', `${bets.nodeCpuPctOfOneCore}%`, '']);
      if (bets.wal) rows.push(['  WAL bytes / records / FPI / flushes per bet', walText(bets.wal), '']);
      rows.push(['  server backend CPU ms per bet', bets.backendCpuMsPerBet ?? 'n/a', '']);
      rows.push(['  funding 3,200 players (s)', bets.fundingSeconds, '']);
      rows.push(['  ledger check after bets', bets.ledger.pass ? 'pass' : `FAIL (${bets.ledger.problems})`, '']);
      const scans = Object.entries(bets.tableActivity)
        .filter(([, a]) => a.seqScans > 0)
        .slice(0, 3)
        .map(([t, a]) => `${t} ${a.seqScans}`)
        .join(', ');
      rows.push(['  seq scans while betting (per table)', scans || 'none', '']);
      rows.push(['system_balance_deltas rows before rollup', bets.rollup.deltaRows, '']);
      rows.push(['  rollup_system_balances() seconds', bets.rollup.seconds, '']);
    }
    if (settle) {
      const s = settle.summary;
      rows.push([`settleEvent seconds (${settle.bets.toLocaleString('en')} open bets on event)`, settle.seconds, settle.seconds <= 5 ? 'PASS (≤ 5 s aim)' : settle.seconds <= 10 ? 'PASS (≤ 10 s target)' : 'FAIL (> 10 s)']);
      rows.push(['  bets settled (won/lost/void)', `${s.bets} (${s.won}/${s.lost}/${s.void})`, s.bets === settle.expectedSettled ? 'as expected' : `expected ${settle.expectedSettled}`]);
      rows.push(['  singles / multibets (open legs elsewhere)', `${settle.singles} / ${settle.multibets} (${settle.multibetsWithOpenLegs})`, '']);
      rows.push(['  still open after (legs on open events)', settle.stillOpen, '']);
      rows.push(['  bets settled per second', settle.betsPerSecond, '']);
      rows.push(['  server backend CPU seconds for it', settle.backendCpuSeconds ?? 'n/a', '']);
      rows.push(['  pre-settled events (s each)', settle.preSettled.seconds.join(', '), '']);
      rows.push(['  set-based setup seconds', settle.setupSeconds, settle.fidelity.ok ? 'seed mirrors engine' : 'SEED DRIFT (see above)']);
      rows.push(['  rollup of setup deltas: rows / s', `${settle.setupRollup.deltaRows} / ${settle.setupRollup.seconds}`, '']);
      rows.push(['  deltas after settlement / rollup s', `${settle.rollup.deltaRows} / ${settle.rollup.seconds}`, '']);
      rows.push(['  ledger check after settlement', settle.ledger.pass ? 'pass' : `FAIL (${settle.ledger.problems})`, '']);
    }
    if (rows.length > 0) log(table(['figure', 'value', 'verdict'], rows));
    if (pgbench && !pgbench.skipped) printWaits('pgbench backends:', pgbench.waits);
    if (bets) printWaits('placeBet backends:', bets.waits);
    if (settle) printWaits('settleEvent backend (idle connections left out):', settle.waits);
    if (settle?.explained) {
      log(`\nsettleEvent statements under auto_explain (plans in ${settle.explained.file}):`);
      log(table(['ms', 'statement'], settle.explained.top.map((t) => [t.ms, t.query.slice(0, 110)])));
    }
    if (ussd && !ussd.skipped) log(`\n${ussdReport(ussd)}`);
    if (bets && !bets.ledger.pass) log(`ledger problems (bets): ${JSON.stringify(bets.ledger.sample)}`);
    if (settle && !settle.ledger.pass) log(`ledger problems (settlement): ${JSON.stringify(settle.ledger.sample)}`);
    const ussdBroken =
      ussd && !ussd.skipped && !(ussd.verdicts.logged && ussd.verdicts.bets && ussd.verdicts.locks && ussd.verdicts.ledger);
    failed = Boolean((bets && !bets.ledger.pass) || (settle && !settle.ledger.pass) || ussdBroken);
  } catch (err) {
    failed = true;
    out.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    console.error(`\nbench failed: ${String(out.error)}`);
  } finally {
    await closeAll();
  }
  out.finishedAt = new Date().toISOString();
  out.totalSeconds = round((Date.now() - started.getTime()) / 1000, 1);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(out, null, 2)}\n`);
  log(`\nfigures written to ${RESULTS} (total ${String(out.totalSeconds)} s)`);
  process.exitCode = failed ? 1 : 0;
}

await main();
