import { placeBet, type SelectionInput } from '../src/core/bets.ts';
import type { Core } from '../src/core/core.ts';
import { createRound, eventOutcomes, upcomingEvents } from '../src/core/events.ts';
import { registerPlayer } from '../src/core/players.ts';
import type { Sport } from '../src/core/sports/types.ts';
import { deposit } from '../src/core/wallet.ts';
import { openEngine, ledgerVerdict, timedRollup, type LedgerVerdict, type RollupFigures } from './engine.ts';
import { cpuBusyPct, cpuSnapshot, walPerTx, walSnapshot, type Scratch, type WalPerTx } from './env.ts';
import { Latencies, prng, round, sleep, WaitSampler, type LatencySummary } from './stats.ts';

export interface ThroughputOptions {
  workers: number;
  playersPerWorker: number;
  seconds: number;
  /** hard cap per worker, so the loop is bounded in count as well as time */
  maxBetsPerWorker: number;
  warmupBetsPerWorker: number;
  depositCents: number;
}

export interface ThroughputResult {
  workers: number;
  pool: number;
  players: number;
  fundingSeconds: number;
  warmupBets: number;
  seconds: number;
  placed: number;
  rejected: Record<string, number>;
  legs: Record<string, number>;
  betsPerSecond: number;
  latency: LatencySummary;
  nodeCpuPctOfOneCore: number;
  machineCpuBusyPct: number | null;
  wal: WalPerTx | null;
  /** CPU the server's backends spent per bet (ms), from /proc; null when the server is not local */
  backendCpuMsPerBet: number | null;
  waits: Record<string, number>;
  /** pg_stat_user_tables over the measured window (scratch database only), busiest tables first */
  tableActivity: Record<string, TableActivity>;
  betsInDatabase: number;
  rollup: RollupFigures;
  ledger: LedgerVerdict;
}

export interface TableActivity {
  seqScans: number;
  seqTupRead: number;
  idxScans: number;
  inserted: number;
  updated: number;
  hotUpdated: number;
}

async function tableActivity(core: Core): Promise<Record<string, TableActivity>> {
  const { rows } = await core.db.query<{
    relname: string;
    seq_scan: unknown;
    seq_tup_read: unknown;
    idx_scan: unknown;
    n_tup_ins: unknown;
    n_tup_upd: unknown;
    n_tup_hot_upd: unknown;
  }>(
    `SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, n_tup_ins, n_tup_upd, n_tup_hot_upd
       FROM pg_stat_user_tables
      WHERE seq_scan + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd > 0
      ORDER BY seq_tup_read DESC, n_tup_ins DESC`,
  );
  return Object.fromEntries(
    rows.map((r) => [
      r.relname,
      {
        seqScans: Number(r.seq_scan),
        seqTupRead: Number(r.seq_tup_read),
        idxScans: Number(r.idx_scan),
        inserted: Number(r.n_tup_ins),
        updated: Number(r.n_tup_upd),
        hotUpdated: Number(r.n_tup_hot_upd),
      },
    ]),
  );
}

interface Pickable {
  eventId: number;
  outcomes: { id: number; odds: number }[];
}

/** runs `fn` for items with `concurrency` at a time; stops with an error once `deadline` has passed */
async function forEachConcurrent<T>(items: T[], concurrency: number, deadline: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        if (performance.now() > deadline) throw new Error('setup took longer than its time limit');
        await fn(items[next++]!);
      }
    }),
  );
}

/** registers and funds players through the core itself (registerPlayer + deposit), 32 at a time */
async function fundPlayers(core: Core, count: number, depositCents: number, concurrency: number): Promise<number[]> {
  const ids = new Array<number>(count);
  const indexes = Array.from({ length: count }, (_, i) => i);
  const now = core.clock();
  await forEachConcurrent(indexes, concurrency, performance.now() + 120_000, async (i) => {
    const msisdn = `2547${String(i).padStart(8, '0')}`;
    const reg = await registerPlayer(core.db, { msisdn, language: 'en', acceptedTerms: true, confirmedAdult: true, now });
    if (!reg.ok) throw new Error(`registration refused: ${reg.reason}`);
    const dep = await deposit(core, { playerId: reg.value.id, amount: depositCents, receipt: `BENCH${i}`, now });
    if (!dep.ok) throw new Error(`deposit refused: ${dep.reason}`);
    ids[i] = reg.value.id;
  });
  return ids;
}

/** one football and one basketball round kicking off in an hour: 14 events to bet on */
async function openEvents(core: Core): Promise<Pickable[]> {
  const now = core.clock();
  const kickoffAt = new Date(now.getTime() + 3_600_000);
  const sports: Sport[] = ['football', 'basketball'];
  const out: Pickable[] = [];
  for (const sport of sports) {
    await core.db.tx((q) => createRound(q, { sport, roundNo: 1, kickoffAt, margin: core.settings.margin, now }));
    for (const e of await upcomingEvents(core.db, { sport, now, limit: 100 })) {
      const outcomes = await eventOutcomes(core.db, e.id);
      out.push({ eventId: e.id, outcomes: outcomes.map((o) => ({ id: o.id, odds: o.odds })) });
    }
  }
  return out;
}

const STAKES = [20_00, 20_00, 50_00, 50_00, 100_00, 100_00, 200_00, 500_00];

/** 60% singles, 25% doubles, 15% trebles on distinct events */
function slip(rand: () => number, events: Pickable[]): SelectionInput[] {
  const r = rand();
  const legs = r < 0.6 ? 1 : r < 0.85 ? 2 : 3;
  const chosen = new Set<number>();
  while (chosen.size < legs) chosen.add(Math.floor(rand() * events.length));
  return [...chosen].map((i) => {
    const e = events[i]!;
    const o = e.outcomes[Math.floor(rand() * e.outcomes.length)]!;
    return { eventId: e.eventId, outcomeId: o.id, odds: o.odds };
  });
}

/**
 * Bets per second through `placeBet`: `workers` async callers on a pool of as many connections, each placing bets
 * for its own players only (no two callers ever share a wallet), for `seconds` or `maxBetsPerWorker`, whichever
 * ends first. Afterwards the pending system deltas are counted and rolled up, and the ledger is checked.
 */
export async function runThroughput(
  scratch: Scratch,
  opts: ThroughputOptions,
  log: (line: string) => void,
): Promise<ThroughputResult> {
  const engine = await openEngine(scratch, 'bets', opts.workers);
  const { core } = engine;
  try {
    const players = opts.workers * opts.playersPerWorker;
    log(`  funding ${players} players (registerPlayer + deposit, ${opts.workers} at a time)...`);
    const f0 = performance.now();
    const playerIds = await fundPlayers(core, players, opts.depositCents, opts.workers);
    const fundingSeconds = (performance.now() - f0) / 1000;
    await core.db.query('SELECT rollup_system_balances()');
    await core.db.query('ANALYZE');
    const events = await openEvents(core);

    const latencies = new Latencies(2_000_000);
    const rejected: Record<string, number> = {};
    const legs: Record<string, number> = {};
    let placed = 0;
    let warmupBets = 0;
    let measuring = false;

    const worker = async (w: number, count: number, until: number, rand: () => number, seq: { n: number }) => {
      const mine = playerIds.slice(w * opts.playersPerWorker, (w + 1) * opts.playersPerWorker);
      for (let i = 0; i < count && performance.now() < until; i++) {
        const selections = slip(rand, events);
        const playerId = mine[seq.n % mine.length]!;
        const stake = STAKES[Math.floor(rand() * STAKES.length)]!;
        const key = `w${w}-${seq.n++}`;
        const t = performance.now();
        const r = await placeBet(core, { playerId, selections, stake, key, now: new Date() });
        const ms = performance.now() - t;
        if (!measuring) {
          warmupBets += 1;
          continue;
        }
        latencies.add(ms);
        if (r.ok) {
          placed += 1;
          legs[selections.length] = (legs[selections.length] ?? 0) + 1;
        } else {
          rejected[r.reason] = (rejected[r.reason] ?? 0) + 1;
        }
      }
    };

    const rands = Array.from({ length: opts.workers }, (_, w) => prng(1000 + w));
    const seqs = Array.from({ length: opts.workers }, () => ({ n: 0 }));
    log(`  warm-up: ${opts.warmupBetsPerWorker} bets per worker (not counted)...`);
    const warmUntil = performance.now() + 15_000;
    await Promise.all(rands.map((rand, w) => worker(w, opts.warmupBetsPerWorker, warmUntil, rand, seqs[w]!)));
    // Statistics as autovacuum would long have gathered them in production: without this, the plans PL/pgSQL caches
    // in each connection during the first calls were made for empty tables (sequential scans of bets that grow with
    // the table). ANALYZE invalidates them; the next call re-plans with real numbers.
    log('  ANALYZE after warm-up (production tables have statistics), then reset the table counters...');
    await core.db.query('ANALYZE');
    await core.db.query('SELECT pg_stat_reset()');

    log(`  measuring: ${opts.workers} workers for ${opts.seconds} s...`);
    const sampler = await WaitSampler.start(scratch.baseUrl, engine.name, 100, (opts.seconds + 30) * 1000);
    const w0 = await walSnapshot(scratch);
    measuring = true;
    const c0 = cpuSnapshot();
    const n0 = process.cpuUsage();
    const t0 = performance.now();
    const until = t0 + opts.seconds * 1000;
    await Promise.all(rands.map((rand, w) => worker(w, opts.maxBetsPerWorker, until, rand, seqs[w]!)));
    const elapsed = (performance.now() - t0) / 1000;
    const nodeCpu = process.cpuUsage(n0);
    const c1 = cpuSnapshot();
    measuring = false;
    const w1 = await walSnapshot(scratch);
    const waits = await sampler.stop();
    await sleep(1_500); // backends publish their table counters about a second after going idle
    const activity = await tableActivity(core);

    const inDb = await core.db.query<{ n: unknown }>('SELECT count(*) AS n FROM bets');
    log('  rolling up system balance deltas and checking the ledger...');
    const rollup = await timedRollup(core);
    const ledger = await ledgerVerdict(core);
    return {
      workers: opts.workers,
      pool: opts.workers,
      players,
      fundingSeconds: round(fundingSeconds, 1),
      warmupBets,
      seconds: round(elapsed, 2),
      placed,
      rejected,
      legs,
      betsPerSecond: round(placed / elapsed, 1),
      latency: latencies.summary(),
      nodeCpuPctOfOneCore: round(((nodeCpu.user + nodeCpu.system) / 1000 / (elapsed * 1000)) * 100, 1),
      machineCpuBusyPct: cpuBusyPct(c0, c1),
      backendCpuMsPerBet:
        waits.backendCpuSeconds === null || placed === 0 ? null : Math.round((waits.backendCpuSeconds * 1e6) / placed) / 1000,
      wal: await walPerTx(scratch, w0, w1, placed + Object.values(rejected).reduce((a, b) => a + b, 0)),
      waits: waits.shares,
      tableActivity: activity,
      betsInDatabase: Number(inDb.rows[0]!.n),
      rollup,
      ledger,
    };
  } finally {
    await engine.close();
  }
}
