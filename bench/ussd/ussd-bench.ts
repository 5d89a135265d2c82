/**
 * The USSD load run of `npm run bench`: our gateway, listening, on real Redis and PostgreSQL, against a floor.
 *
 * Setup (this process, on a scratch database `bench_<tag>_ussd`): migrations, then `phones` players registered and
 * funded through the core itself (registerPlayer + deposit, as the M-Pesa callback would credit them), and one
 * football and one basketball round kicking off in an hour (created here; the gateway runs with SCHEDULER=off so no
 * round closes or settles during the run). Then two server children:
 * - the gateway (bench/ussd/gateway-child.ts): `startGateway` in one Node process, LOG_LEVEL=warn, SMS=console,
 *   simulated M-Pesa with a 10-minute delay, sessions in Redis under the scratch prefix `bench_<tag>:ussd:`;
 * - the floor (bench/ussd/floor-server.ts): bare node:http + one Redis GET and one SET per hop, with a session blob
 *   the size of our persisted record (measured here from a probe session).
 * The load generator runs in this process (its own event loop, not the servers'): `phones` handsets with whole
 * sessions back to back, scenario A (dial → 2 Balance) and B (dial → … → bet placed, 9 hops). The measured windows
 * come in `rounds`, each interleaving floor A, ours A, floor B, ours B, so that a floor window and ours of the same
 * scenario run back to back and drift of the host hits both alike. The host's speed moves by tens of percent between
 * one window and the next, so one pair cannot show the ratio: the verdicts take the median over rounds of the
 * per-round ratio (ours ÷ the floor of the same round) and of our per-round p99 (bench/ussd/rounds.ts). Each server
 * warms up once per scenario, just before its first window: what the warm-up is for (the scenario's code compiled,
 * plans re-made after ANALYZE over real rows) lasts in the running children, so the later rounds measure at once and
 * the time goes into more rounds rather than into warming what is warm.
 * With BENCH_USSD_STANDINS=1 two more gateway children run in every round, right after ours of each scenario: the same
 * gateway answering with stand-ins for the menus (stand-ins.ts): fixed screens (no XState, no database), and a
 * minimal XState machine invoking a promise actor wherever the menus call a service (no database). Set against the
 * floor of their round, they show what the gateway's own plumbing costs and what the design's XState actors cost,
 * apart from the menus and the core; their hop logs are checked like ours.
 * With BENCH_USSD_PROFILE=1 only the last round's gateway windows are profiled: the profiler slows the gateway, and
 * with three rounds or more the median still lies between rounds that ran without it.
 * Then each scenario once more with a single phone on each server ("solo"): the service time of a hop with no
 * queueing, where the gateway's per-stage split (open = lock + record, conversation, commit = record + hop log +
 * unlock) shows what each stage costs rather than how long it waited for a saturated event loop.
 * Then the floor and ours once more per scenario with the phones paced (load.ts) to offer 25%, 50% and 75% of our
 * median hops/s over the rounds: what a hop's latency is at a load the gateway can carry, where the rounds show it with
 * the queue of a saturated server in front (50 phones in a closed loop wait 50 ÷ hops/s on average).
 * Afterwards: the hop log is drained and counted against the hops answered, the bets against the references the
 * phones received — per window of ours, each with its own session prefix (Aw, A1…An, As: warm-up, round n, solo) —
 * no session lock may be left behind, and the ledger must balance. Children, Redis keys and the
 * database are removed at the end, on error, and on Ctrl-C (`cleanupUssd`).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent } from 'node:http';
import { Redis } from 'ioredis';
import { int } from '../../src/core/db.ts';
import { createRound } from '../../src/core/events.ts';
import { registerPlayer } from '../../src/core/players.ts';
import type { Sport } from '../../src/core/sports/types.ts';
import { deposit } from '../../src/core/wallet.ts';
import { ledgerVerdict, openEngine, type EngineDb, type LedgerVerdict } from '../engine.ts';
import { cpuBusyPct, cpuSnapshot, redact, RUN_TAG, type Scratch } from '../env.ts';
import { processCpuSeconds, round, sleep, WaitSampler } from '../stats.ts';
import { killChildren, startChild, type ServerChild } from './children.ts';
import { post, runLoad, type LoadResult } from './load.ts';
import { summariseProfile, type ProfileSummary } from './profile.ts';
import { median, ratioOf, summariseScenario, type ScenarioSummary } from './rounds.ts';
import { STAND_IN_KINDS, STAND_IN_LABELS, type StandInKind } from './stand-ins.ts';
import {
  hopsPerSession,
  NETWORK_CODE,
  phoneNumber,
  SCENARIO_A,
  SCENARIO_B,
  SERVICE_CODE,
  textOfHop,
  type GatewayStats,
  type Scenario,
} from './protocol.ts';

const GATEWAY_CHILD = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));
const FLOOR_CHILD = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
const PROFILE_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
/** every Redis key of the run starts with this; removed at the end */
const KEY_PREFIX = `${RUN_TAG}:`;

export const TARGETS = { ratioA: 0.6, ratioB: 0.5, p99Ms: 25 } as const;

/** the stand-ins' session prefixes (SA1, XB2, …) and Redis key prefixes, apart from ours */
const standInPhase = (kind: StandInKind) => (kind === 'screens' ? 'S' : 'X');
const standInPrefix = (kind: StandInKind) => `${KEY_PREFIX}${kind}:`;

export interface UssdOptions {
  phones: number;
  /** interleaved rounds of measured windows (floor A, ours A, floor B, ours B) */
  rounds: number;
  /** each measured window */
  seconds: number;
  warmupSeconds: number;
  /** the single-phone windows */
  soloSeconds: number;
  /** CPU-profile the gateway during its two windows of the last round (BENCH_USSD_PROFILE=1) */
  profile: boolean;
  /** also measure the gateway with stand-ins for the menus in every round (BENCH_USSD_STANDINS=1) */
  standIns: boolean;
  depositKes: number;
}

export interface CpuPerHop {
  /** CPU ms per right hop: the server process, Redis, PostgreSQL backends (gateway only), the load generator */
  serverMs: number | null;
  /** share of the server process's CPU spent in the kernel (socket syscalls, loopback TCP) */
  serverKernelPct: number | null;
  redisMs: number | null;
  postgresMs: number | null;
  loadGeneratorMs: number;
  /** whole machine, both cores */
  machineBusyPct: number | null;
}

export type WindowFigures = Omit<LoadResult, 'betReferences'> & { betReferences: number; cpu: CpuPerHop };
export type OurWindow = WindowFigures & { server: GatewayStats; logLines: number; logTail: string[] };

export interface Verification {
  phase: string;
  hopsAnswered: number;
  hopRows: number;
  /** sessions whose logged seqs are not exactly 1..n (a hop not logged, or logged twice) */
  gappedSessions: number;
  betReferences: number | null;
  bets: number | null;
  pass: boolean;
}

/** the shares of our own median hops/s that the paced windows offer */
export const PACED_SHARES = [0.25, 0.5, 0.75] as const;

export interface PacedWindow {
  share: number;
  offeredHopsPerSecond: number;
  figures: OurWindow;
  /** the floor at the same offered load, just before */
  floor: WindowFigures;
}

export interface UssdRound {
  /** 1-based */
  round: number;
  /** the gateway ran under the CPU profiler in this round */
  profiled: boolean;
  floor: { A: WindowFigures; B: WindowFigures };
  ours: { A: OurWindow; B: OurWindow };
  ratios: { A: number; B: number };
  /** the gateway with stand-ins for the menus, when measured; each ratio is to this round's floor */
  standIns: Record<StandInKind, { A: WindowFigures; B: WindowFigures; ratios: { A: number; B: number } }> | null;
}

export interface UssdResult {
  skipped?: false;
  phones: number;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  redis: string;
  redisKeyPrefix: string;
  database: string;
  setupSeconds: number;
  /** our persisted session record (JSON bytes) after each hop of a probe session */
  recordBytes: { A: number[]; B: number[]; floorBlob: number };
  byRound: UssdRound[];
  /** over the rounds: the verdicts use ratio.median and oursP99Ms.median */
  summary: { A: ScenarioSummary; B: ScenarioSummary };
  /** the stand-ins over the rounds (ratio to each round's floor), when measured */
  standIns: Record<StandInKind, { A: ScenarioSummary; B: ScenarioSummary }> | null;
  /** ours with the phones paced below saturation */
  paced: { A: PacedWindow[]; B: PacedWindow[] };
  /** one phone per server: service time without queueing */
  solo: { floorA: WindowFigures; floorB: WindowFigures; A: OurWindow; B: OurWindow };
  verdicts: { ratioA: boolean; ratioB: boolean; p99A: boolean; p99B: boolean; logged: boolean; bets: boolean; locks: boolean; ledger: boolean };
  verification: Verification[];
  lockKeysLeft: number;
  hopStreamLeft: number;
  ledger: LedgerVerdict;
  profiles: { A: ProfileSummary; B: ProfileSummary } | null;
}

export type UssdOutcome = UssdResult | { skipped: true; reason: string };

// ---------------------------------------------------------------------------------------------------------------
// cleanup, also from the bench's Ctrl-C handler

let redisUrlInUse: string | null = null;

/** deletes every key of this run (SCAN + UNLINK, bounded in time) */
async function deleteRunKeys(redis: Redis): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  const until = performance.now() + 30_000;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', 2_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0' && performance.now() < until);
  return deleted;
}

/** ends the run's server children and removes its Redis keys; safe to call twice, never throws */
export async function cleanupUssd(): Promise<void> {
  await killChildren().catch(() => undefined);
  if (redisUrlInUse === null) return;
  const redis = new Redis(redisUrlInUse, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await deleteRunKeys(redis);
  } catch (err) {
    console.error(`could not remove Redis keys ${KEY_PREFIX}*: ${String(err)}`);
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** registers and funds the phones through the core, 10 at a time; opens one football and one basketball round */
async function seed(engine: EngineDb, phones: number, depositCents: number): Promise<void> {
  const { core } = engine;
  const now = core.clock();
  let next = 0;
  const until = performance.now() + 60_000;
  await Promise.all(
    Array.from({ length: Math.min(10, phones) }, async () => {
      while (next < phones) {
        if (performance.now() > until) throw new Error('funding the phones took longer than 60 s');
        const i = next++;
        const msisdn = phoneNumber(i).slice(1);
        const reg = await registerPlayer(core.db, { msisdn, language: 'en', acceptedTerms: true, confirmedAdult: true, now });
        if (!reg.ok) throw new Error(`registration refused: ${reg.reason}`);
        const dep = await deposit(core, { playerId: reg.value.id, amount: depositCents, receipt: `USSDBENCH${i}`, now });
        if (!dep.ok) throw new Error(`deposit refused: ${dep.reason}`);
      }
    }),
  );
  const kickoffAt = new Date(now.getTime() + 3_600_000);
  for (const sport of ['football', 'basketball'] as Sport[]) {
    await core.db.tx((q) => createRound(q, { sport, roundNo: 1, kickoffAt, margin: core.settings.margin, now }));
  }
  await core.db.query('SELECT rollup_system_balances()');
  await core.db.query('ANALYZE');
}

/** one session hop by hop on the gateway, with the stored record's size after each hop */
async function probe(port: number, redis: Redis, scenario: Scenario, phone: string, sessionId: string, prefix: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sizes: number[] = [];
  let last = '';
  try {
    for (let i = 0; i < hopsPerSession(scenario); i++) {
      const body = new URLSearchParams({
        sessionId,
        serviceCode: SERVICE_CODE,
        phoneNumber: phone,
        networkCode: NETWORK_CODE,
        text: textOfHop(scenario, i),
      }).toString();
      const answer = await post(agent, port, body, 10_000);
      if (answer.status !== 200 || !scenario.expect[i]!.test(answer.body)) {
        throw new Error(`probe ${scenario.name} hop ${i + 1} (text '${textOfHop(scenario, i)}'): ${answer.status} ${answer.body}`);
      }
      sizes.push(await redis.strlen(`${prefix}s:${sessionId}`));
      last = answer.body;
    }
  } finally {
    agent.destroy();
  }
  return { sizes, last };
}

/** kernel-mode CPU seconds of a local process (stime), or null */
function kernelSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[12]) / CLK_TCK;
  } catch {
    return null;
  }
}

function redisPid(info: string): number | null {
  const m = /process_id:(\d+)/.exec(info);
  return m ? Number(m[1]) : null;
}

const perHop = (seconds: number | null, hops: number) => (seconds === null || hops === 0 ? null : round((seconds * 1000) / hops, 3));

export async function runUssd(scratch: Scratch, opts: UssdOptions, log: (line: string) => void): Promise<UssdOutcome> {
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    await admin.ping();
  } catch (err) {
    admin.disconnect();
    return { skipped: true, reason: `Redis at ${redact(redisUrl)} is not reachable: ${String(err)}` };
  }
  redisUrlInUse = redisUrl;
  const ourPrefix = `${KEY_PREFIX}ussd:`;
  const floorPrefix = `${KEY_PREFIX}floor:`;
  const t0 = performance.now();
  let engine: EngineDb | null = null;
  let gateway: ServerChild | null = null;
  let floor: ServerChild | null = null;
  const standInChildren = new Map<StandInKind, ServerChild>();
  try {
    engine = await openEngine(scratch, 'ussd', 4);
    log(`  scratch database ${engine.name}; Redis ${redact(redisUrl)} under ${KEY_PREFIX}*`);
    log(`  registering and funding ${opts.phones} phones (KES ${opts.depositKes.toLocaleString('en')} each), opening rounds...`);
    await seed(engine, opts.phones, opts.depositKes * 100);

    log('  starting the gateway child (startGateway, SCHEDULER=off, LOG_LEVEL=warn, PAYMENTS=simulator, SMS=console)...');
    const databaseUrl = engine.url;
    const gatewayEnv = (prefix: string) => ({
      NODE_ENV: 'production',
      // production requires support-tool tokens; a throwaway one (never printed) satisfies it
      ADMIN_TOKENS: `bench:${randomBytes(24).toString('hex')}:support`,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      BENCH_REDIS_PREFIX: prefix,
      PORT: '0',
      LOG_LEVEL: 'warn',
      SCHEDULER: 'off',
      SMS: 'console',
      PAYMENTS: 'simulator',
      SIMULATOR_DELAY_MS: '600000',
    });
    gateway = await startChild('gateway', GATEWAY_CHILD, {
      ...gatewayEnv(ourPrefix),
      ...(opts.profile ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}),
    });
    const gw = gateway;

    const probeA = await probe(gw.port, admin, SCENARIO_A, phoneNumber(0), 'P-0-0', ourPrefix);
    const probeB = await probe(gw.port, admin, SCENARIO_B, phoneNumber(0), 'P-0-1', ourPrefix);
    const meanB = Math.round(probeB.sizes.reduce((a, b) => a + b, 0) / probeB.sizes.length);
    log(`  probe: ${probeB.last.split('\n')[0]}`);
    log(`  our session record after each hop (bytes): A ${probeA.sizes.join(', ')}; B ${probeB.sizes.join(', ')} (mean ${meanB})`);

    log(`  starting the floor child (node:http + Redis GET/SET of a ${meanB}-byte blob)...`);
    floor = await startChild('floor', FLOOR_CHILD, {
      REDIS_URL: redisUrl,
      FLOOR_PREFIX: floorPrefix,
      FLOOR_BLOB_BYTES: String(meanB),
      FLOOR_END_AFTER_INPUTS: String(SCENARIO_B.inputs.length),
    });
    const fl = floor;
    const floorForm = { sessionId: 'P-0-0', serviceCode: SERVICE_CODE, phoneNumber: phoneNumber(0), networkCode: NETWORK_CODE, text: '' };
    const floorAgent = new Agent();
    const floorProbe = await post(floorAgent, fl.port, new URLSearchParams(floorForm).toString(), 5_000).finally(() => floorAgent.destroy());
    if (floorProbe.status !== 200) throw new Error(`floor probe: ${floorProbe.status} ${floorProbe.body}`);
    const floorBlob = await admin.strlen(`${floorPrefix}s:P-0-0`);
    if (opts.standIns) {
      for (const kind of STAND_IN_KINDS) {
        log(`  starting the stand-in child "${kind}" (the gateway with ${STAND_IN_LABELS[kind]})...`);
        const prefix = standInPrefix(kind);
        const child = await startChild(`stand-in ${kind}`, GATEWAY_CHILD, { ...gatewayEnv(prefix), BENCH_STANDIN: kind });
        standInChildren.set(kind, child);
        await probe(child.port, admin, SCENARIO_A, phoneNumber(0), `P${kind}-0-0`, prefix);
        await probe(child.port, admin, SCENARIO_B, phoneNumber(0), `P${kind}-0-1`, prefix);
      }
    }
    const rPid = redisPid(await admin.info('server'));
    const redisLocal = rPid !== null && processCpuSeconds(rPid) !== null;
    log(`  setup ${round((performance.now() - t0) / 1000, 1)} s; Redis CPU ${redisLocal ? `read from /proc/${rPid}` : 'not visible (not on this machine)'}`);

    const phones = Array.from({ length: opts.phones }, (_, i) => phoneNumber(i));
    const maxSessionsPerPhone = 100_000;
    const allRefs: Record<string, string[]> = {};
    const answered: Record<string, number> = {};
    /** the floor is held to CON/END and references only; ours and the stand-ins to the scenario's screens */
    type Who = 'floor' | 'ours' | 'stand-in';
    const load = (server: ServerChild, scenario: Scenario, who: Who, solo: boolean, offeredHopsPerSecond?: number) => ({
      port: server.port,
      scenario,
      phones: solo ? phones.slice(0, 1) : phones,
      maxSessionsPerPhone,
      checkScreens: who !== 'floor',
      abort: () => server.exited(),
      ...(offeredHopsPerSecond === undefined ? {} : { offeredHopsPerSecond }),
    });

    const warmUp = async (server: ServerChild, scenario: Scenario, prefix: string, who: Who) => {
      const warm = await runLoad({ ...load(server, scenario, who, false), seconds: opts.warmupSeconds, sessionPrefix: prefix });
      answered[prefix] = warm.hops;
      allRefs[prefix] = warm.betReferences;
      // production tables have statistics: re-plan what the warm-up cached for near-empty tables
      if (who === 'ours') await engine!.core.db.query('ANALYZE');
      return warm.hops;
    };

    const window = async (
      server: ServerChild,
      scenario: Scenario,
      prefix: string,
      who: Who,
      how: { label: string; solo?: boolean; profile?: boolean; warmHops?: number | null; offered?: number; seconds?: number },
    ) => {
      const ours = who === 'ours';
      const seconds = how.seconds ?? (how.solo ? opts.soloSeconds : opts.seconds);
      if (ours) await server.ask('reset', { profile: how.profile ?? false });
      server.takeLineCount();
      const sampler = ours ? await WaitSampler.start(scratch.baseUrl, engine!.name, 100, (seconds + 30) * 1000) : null;
      const c0 = cpuSnapshot();
      const s0 = processCpuSeconds(server.pid);
      const k0 = kernelSeconds(server.pid);
      const r0 = rPid === null ? null : processCpuSeconds(rPid);
      const r = await runLoad({ ...load(server, scenario, who, how.solo ?? false, how.offered), seconds, sessionPrefix: prefix });
      const s1 = processCpuSeconds(server.pid);
      const k1 = kernelSeconds(server.pid);
      const r1 = rPid === null ? null : processCpuSeconds(rPid);
      const c1 = cpuSnapshot();
      // a profile is named by scenario: only one round is profiled
      const stats = ours ? await server.ask<GatewayStats>('stats', { label: scenario.name, timeoutMs: 60_000 }) : null;
      const waits = sampler ? await sampler.stop() : null;
      if (server.exited()) throw new Error(`${server.name} exited during the run:\n${server.tail()}`);
      answered[prefix] = r.hops;
      allRefs[prefix] = r.betReferences;
      const cpu: CpuPerHop = {
        serverMs: perHop(s0 === null || s1 === null ? null : s1 - s0, r.okHops),
        serverKernelPct:
          s0 === null || s1 === null || k0 === null || k1 === null || s1 === s0 ? null : round(((k1 - k0) / (s1 - s0)) * 100, 1),
        redisMs: perHop(r0 === null || r1 === null ? null : r1 - r0, r.okHops),
        postgresMs: waits ? perHop(waits.backendCpuSeconds, r.okHops) : null,
        loadGeneratorMs: r.loadCpuMsPerHop,
        machineBusyPct: cpuBusyPct(c0, c1),
      };
      const { betReferences, ...rest } = r;
      const figures: WindowFigures = { ...rest, betReferences: betReferences.length, cpu };
      const warmed = how.warmHops === null || how.warmHops === undefined ? '' : `; after a warm-up of ${how.warmHops} hops`;
      log(
        `  ${how.label}: ${r.hopsPerSecond} hops/s, p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, ${r.errorCount} errors` +
          ` (${r.sessionsCompleted} sessions${how.solo ? ', 1 phone' : ''}${warmed})`,
      );
      for (const s of r.errorSamples.slice(0, 3)) log(`    e.g. ${s}`);
      const logLines = server.takeLineCount();
      // the gateway logs only warnings and errors here: show what it said
      const logTail = logLines > 0 ? server.tail().split('\n').slice(-Math.min(logLines, 5)) : [];
      for (const l of logTail) log(`    gateway log: ${l.slice(0, 200)}`);
      return { figures, server: stats, logLines, logTail };
    };
    const floorWindow = async (scenario: Scenario, prefix: string, how: Parameters<typeof window>[4]) =>
      (await window(fl, scenario, prefix, 'floor', how)).figures;
    const ourWindow = async (scenario: Scenario, prefix: string, how: Parameters<typeof window>[4]): Promise<OurWindow> => {
      const w = await window(gw, scenario, prefix, 'ours', how);
      return { ...w.figures, server: w.server!, logLines: w.logLines, logTail: w.logTail };
    };

    log(
      `  measuring: ${opts.rounds} round${opts.rounds === 1 ? '' : 's'} of floor A, ours A, floor B, ours B; ${opts.phones} phones, ` +
        `${opts.seconds} s per window; each server warms up ${opts.warmupSeconds} s per scenario before its first window` +
        (opts.standIns ? `; the stand-ins (${STAND_IN_KINDS.join(', ')}) follow ours in each scenario` : '') +
        (opts.profile ? '; the gateway is CPU-profiled in the last round' : ''),
    );
    const byRound: UssdRound[] = [];
    for (let n = 1; n <= opts.rounds; n++) {
      const profiled = opts.profile && n === opts.rounds;
      const tag = (who: string, scenario: Scenario) => ({ label: `round ${n}/${opts.rounds} ${who} ${scenario.name}`, profile: profiled });
      const floorRun = async (scenario: Scenario) => {
        const warmHops = n === 1 ? await warmUp(fl, scenario, `F${scenario.name}w`, 'floor') : null;
        return floorWindow(scenario, `F${scenario.name}${n}`, { ...tag('floor', scenario), warmHops });
      };
      const ourRun = async (scenario: Scenario) => {
        const warmHops = n === 1 ? await warmUp(gw, scenario, `${scenario.name}w`, 'ours') : null;
        return ourWindow(scenario, `${scenario.name}${n}`, { ...tag('ours ', scenario), warmHops });
      };
      const standInRuns = async (scenario: Scenario) => {
        const out = new Map<StandInKind, WindowFigures>();
        for (const [kind, child] of standInChildren) {
          const phase = `${standInPhase(kind)}${scenario.name}`;
          const warmHops = n === 1 ? await warmUp(child, scenario, `${phase}w`, 'stand-in') : null;
          const how = { label: `round ${n}/${opts.rounds} ${kind} ${scenario.name}`, warmHops };
          out.set(kind, (await window(child, scenario, `${phase}${n}`, 'stand-in', how)).figures);
        }
        return out;
      };
      const fA = await floorRun(SCENARIO_A);
      const oA = await ourRun(SCENARIO_A);
      const sA = await standInRuns(SCENARIO_A);
      const fB = await floorRun(SCENARIO_B);
      const oB = await ourRun(SCENARIO_B);
      const sB = await standInRuns(SCENARIO_B);
      const ratios = { A: ratioOf(oA.hopsPerSecond, fA.hopsPerSecond), B: ratioOf(oB.hopsPerSecond, fB.hopsPerSecond) };
      let standIns: UssdRound['standIns'] = null;
      if (standInChildren.size > 0) {
        const entries = STAND_IN_KINDS.map((kind) => {
          const A = sA.get(kind)!;
          const B = sB.get(kind)!;
          return [kind, { A, B, ratios: { A: ratioOf(A.hopsPerSecond, fA.hopsPerSecond), B: ratioOf(B.hopsPerSecond, fB.hopsPerSecond) } }];
        });
        standIns = Object.fromEntries(entries) as NonNullable<UssdRound['standIns']>;
      }
      const others = standIns ? STAND_IN_KINDS.map((k) => `; ${k} A ${standIns[k].ratios.A}×, B ${standIns[k].ratios.B}×`).join('') : '';
      log(`  round ${n}/${opts.rounds}: ours ÷ floor A ${ratios.A}×, B ${ratios.B}×${others}${profiled ? ' (gateway under the profiler)' : ''}`);
      byRound.push({ round: n, profiled, floor: { A: fA, B: fB }, ours: { A: oA, B: oB }, ratios, standIns });
    }
    log(`  solo: one phone, ${opts.soloSeconds} s per window (service time without queueing)`);
    const fAs = await floorWindow(SCENARIO_A, 'FAs', { label: 'solo floor A', solo: true });
    const oAs = await ourWindow(SCENARIO_A, 'As', { label: 'solo ours  A', solo: true });
    const fBs = await floorWindow(SCENARIO_B, 'FBs', { label: 'solo floor B', solo: true });
    const oBs = await ourWindow(SCENARIO_B, 'Bs', { label: 'solo ours  B', solo: true });

    const paced: UssdResult['paced'] = { A: [], B: [] };
    log(
      `  paced: the floor, then ours, with the phones offering ${PACED_SHARES.map((x) => `${x * 100}%`).join(', ')} of our ` +
        `median hops/s, ${opts.soloSeconds} s each`,
    );
    for (const scenario of [SCENARIO_A, SCENARIO_B]) {
      const saturated = median(byRound.map((r) => r.ours[scenario.name].hopsPerSecond));
      for (const [i, share] of PACED_SHARES.entries()) {
        const offered = Math.max(1, Math.round(saturated * share));
        const how = (who: string) => ({ label: `paced ${who} ${scenario.name} at ${offered} hops/s offered`, offered, seconds: opts.soloSeconds });
        const floorFigures = await floorWindow(scenario, `F${scenario.name}p${i + 1}`, how('floor'));
        const figures = await ourWindow(scenario, `${scenario.name}p${i + 1}`, how('ours '));
        paced[scenario.name].push({ share, offeredHopsPerSecond: offered, figures, floor: floorFigures });
      }
    }
    await floor.stop();
    floor = null;

    log('  draining the hop log and checking it against the hops answered...');
    await gw.ask('drain', { timeoutMs: 60_000 });
    for (const child of standInChildren.values()) await child.ask('drain', { timeoutMs: 60_000 });
    const prefixes = [ourPrefix, ...[...standInChildren.keys()].map(standInPrefix)];
    const hopsLeft = async () => (await Promise.all(prefixes.map((p) => admin.xlen(`${p}hops`)))).reduce((a, b) => a + b, 0);
    let streamLeft = await hopsLeft();
    for (const until = performance.now() + 15_000; streamLeft > 0 && performance.now() < until; ) {
      await sleep(250);
      streamLeft = await hopsLeft();
    }
    const phases = [
      ...['A', 'B'].flatMap((s) => [`${s}w`, ...byRound.map((r) => `${s}${r.round}`), `${s}s`, ...PACED_SHARES.map((_, i) => `${s}p${i + 1}`)]),
      ...[...standInChildren.keys()].flatMap((kind) =>
        ['A', 'B'].flatMap((s) => [`${standInPhase(kind)}${s}w`, ...byRound.map((r) => `${standInPhase(kind)}${s}${r.round}`)]),
      ),
    ];
    const verification = await verify(engine, phases, answered, allRefs);
    let lockKeys = 0;
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${KEY_PREFIX}*lock:*`, 'COUNT', 2_000);
      cursor = next;
      lockKeys += keys.length;
    } while (cursor !== '0');
    const ledger = await ledgerVerdict(engine.core);
    await gateway.stop();
    gateway = null;
    for (const child of standInChildren.values()) await child.stop();
    standInChildren.clear();

    const last = byRound[byRound.length - 1]!;
    const profiles =
      opts.profile && last.ours.A.server.profile && last.ours.B.server.profile
        ? { A: summariseProfile(last.ours.A.server.profile), B: summariseProfile(last.ours.B.server.profile) }
        : null;
    const pairs = (s: 'A' | 'B') =>
      byRound.map((r) => ({ floorHopsPerSecond: r.floor[s].hopsPerSecond, oursHopsPerSecond: r.ours[s].hopsPerSecond, oursP99Ms: r.ours[s].latency.p99Ms }));
    const summary = { A: summariseScenario(pairs('A')), B: summariseScenario(pairs('B')) };
    const standInPairs = (kind: StandInKind, s: 'A' | 'B') =>
      byRound.map((r) => {
        const w = r.standIns![kind][s];
        return { floorHopsPerSecond: r.floor[s].hopsPerSecond, oursHopsPerSecond: w.hopsPerSecond, oursP99Ms: w.latency.p99Ms };
      });
    const standIns = byRound[0]?.standIns
      ? (Object.fromEntries(
          STAND_IN_KINDS.map((k) => [k, { A: summariseScenario(standInPairs(k, 'A')), B: summariseScenario(standInPairs(k, 'B')) }]),
        ) as NonNullable<UssdResult['standIns']>)
      : null;
    return {
      phones: opts.phones,
      rounds: opts.rounds,
      seconds: opts.seconds,
      warmupSeconds: opts.warmupSeconds,
      redis: redact(redisUrl),
      redisKeyPrefix: KEY_PREFIX,
      database: engine.name,
      setupSeconds: round((performance.now() - t0) / 1000, 1),
      recordBytes: { A: probeA.sizes, B: probeB.sizes, floorBlob },
      byRound,
      summary,
      standIns,
      paced,
      solo: { floorA: fAs, floorB: fBs, A: oAs, B: oBs },
      verdicts: {
        ratioA: summary.A.ratio.median >= TARGETS.ratioA,
        ratioB: summary.B.ratio.median >= TARGETS.ratioB,
        p99A: summary.A.oursP99Ms.median <= TARGETS.p99Ms,
        p99B: summary.B.oursP99Ms.median <= TARGETS.p99Ms,
        logged: streamLeft === 0 && verification.every((v) => v.hopRows === v.hopsAnswered && v.gappedSessions === 0),
        bets: verification.every((v) => v.bets === v.betReferences),
        locks: lockKeys === 0,
        ledger: ledger.pass,
      },
      verification,
      lockKeysLeft: lockKeys,
      hopStreamLeft: streamLeft,
      ledger,
      profiles,
    };
  } finally {
    await floor?.stop().catch(() => undefined);
    await gateway?.stop().catch(() => undefined);
    for (const child of standInChildren.values()) await child.stop().catch(() => undefined);
    await killChildren();
    await deleteRunKeys(admin).catch((err: unknown) => log(`  could not remove Redis keys ${KEY_PREFIX}*: ${String(err)}`));
    admin.disconnect();
    redisUrlInUse = null;
    await engine?.close();
  }
}

/** per session prefix of ours: hop rows, gapless seqs, bets by idempotency key (the menu's key starts with the sessionId) */
async function verify(
  engine: EngineDb,
  phases: string[],
  answered: Record<string, number>,
  refs: Record<string, string[]>,
): Promise<Verification[]> {
  const db = engine.core.db;
  const hops = await db.query<{ phase: string; n: unknown; gapped: unknown }>(
    `SELECT split_part(session_id, '-', 1) AS phase, sum(n) AS n, count(*) FILTER (WHERE mx <> n OR mn <> 1) AS gapped
       FROM (SELECT session_id, count(*) AS n, max(seq) AS mx, min(seq) AS mn FROM ussd_hops GROUP BY session_id) s
      GROUP BY 1`,
  );
  const bets = await db.query<{ phase: string; n: unknown }>(
    `SELECT split_part(idempotency_key, '-', 1) AS phase, count(*) AS n FROM bets GROUP BY 1`,
  );
  const rows = new Map(hops.rows.map((r) => [r.phase, { n: int(r.n), gapped: int(r.gapped) }]));
  const betRows = new Map(bets.rows.map((r) => [r.phase, int(r.n)]));
  const out: Verification[] = [];
  for (const phase of phases) {
    const h = rows.get(phase) ?? { n: 0, gapped: 0 };
    const isBet = phase.startsWith('B');
    let matched: number | null = null;
    if (isBet) {
      const { rows: m } = await db.query<{ n: unknown }>('SELECT count(*) AS n FROM bets WHERE reference = ANY ($1)', [refs[phase] ?? []]);
      matched = int(m[0]!.n);
    }
    const betCount = isBet ? (betRows.get(phase) ?? 0) : null;
    const refCount = isBet ? (refs[phase]?.length ?? 0) : null;
    out.push({
      phase,
      hopsAnswered: answered[phase] ?? 0,
      hopRows: h.n,
      gappedSessions: h.gapped,
      betReferences: refCount,
      bets: betCount,
      pass: h.n === (answered[phase] ?? 0) && h.gapped === 0 && (!isBet || (betCount === refCount && matched === refCount)),
    });
  }
  return out;
}

