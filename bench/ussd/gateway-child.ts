/**
 * The USSD bench's server: the real gateway (`startGateway`, one Node process, as in production) on a scratch
 * PostgreSQL database and a scratch Redis key prefix, listening on a loopback port. Started by bench/ussd/ussd-bench.ts
 * with an IPC channel; never run by hand.
 *
 * Environment: the gateway's own variables (DATABASE_URL, REDIS_URL, LOG_LEVEL, SCHEDULER, SMS, SIMULATOR_DELAY_MS,
 * PORT, …, read by `loadConfig`) plus BENCH_REDIS_PREFIX (the store's key prefix; main.ts always uses `ussd:`, so the
 * store is built here exactly as main.ts builds it, with that prefix, and handed in as a ready-made part) and
 * BENCH_PROFILE_DIR (where a window whose 'reset' asks for a CPU profile writes it), BENCH_USSD_RAW=1
 * (hand the gateway the bare store and database, without the bench's counters: to check what they cost) and
 * BENCH_STANDIN=screens|xstate (answer with a stand-in for the menus, stand-ins.ts; the counters stay, so the only
 * difference from the real gateway is the conversation).
 *
 * IPC: sends { type: 'ready', port } once listening; answers { id, cmd } from the bench with { type: 'reply', id }:
 * reset (start a measured window), stats (its figures), drain (hop log → PostgreSQL now), stop (graceful, then exit).
 * A lost IPC channel (the bench died), SIGINT or SIGTERM stop it too; it exits within 5 s whatever happens.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { migrate } from '../../src/adapters/db/migrate.ts';
import { postgresDb } from '../../src/adapters/db/postgres.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { loadConfig } from '../../src/config.ts';
import { REDIS_OPTIONS, startGateway, type Gateway } from '../../src/main.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import { round } from '../stats.ts';
import { countRedis, HopCounters, timedDb, timedStore } from './instrument.ts';
import { standIn, STAND_IN_KINDS, type StandInKind } from './stand-ins.ts';
import { HOP_PATH, type ChildMessage, type ParentMessage } from './protocol.ts';

const send = (m: ChildMessage) => process.send?.(m);

const config = loadConfig(process.env);
const prefix = process.env.BENCH_REDIS_PREFIX;
if (!config.DATABASE_URL || !config.REDIS_URL || !prefix) {
  throw new Error('gateway-child: DATABASE_URL, REDIS_URL and BENCH_REDIS_PREFIX are required');
}
const profileDir = process.env.BENCH_PROFILE_DIR || null;
const raw = process.env.BENCH_USSD_RAW === '1';
const standInKind = process.env.BENCH_STANDIN || null;
if (standInKind !== null && !STAND_IN_KINDS.includes(standInKind as StandInKind)) {
  throw new Error(`gateway-child: BENCH_STANDIN must be one of ${STAND_IN_KINDS.join(', ')}, got ${standInKind}`);
}

const counters = new HopCounters();
const logger = createLogger(config.LOG_LEVEL);

// the same parts openDatabase/openRedisStore in main.ts build (pool of 20, migrations; the hop path's Redis options)
const pgDb = postgresDb({ connectionString: config.DATABASE_URL });
await migrate(pgDb);
const redis = new Redis(config.REDIS_URL, REDIS_OPTIONS);
redis.on('error', (err) => logger.error({ err }, 'redis unavailable'));
await new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('redis did not connect')), 5_000);
  redis.once('ready', () => {
    clearTimeout(timer);
    resolve();
  });
});
if (!raw) countRedis(redis, counters);
const bareStore = new RedisSessionStore(redis, { prefix, recentRecords: config.SESSION_CACHE_SIZE });
const store = raw ? bareStore : timedStore(bareStore, counters);

let gateway: Gateway | undefined;
let stopping: Promise<void> | undefined;

function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    // never linger: a stop that hangs still ends the process
    setTimeout(() => process.exit(code || 1), 5_000).unref();
    try {
      await gateway?.stop();
    } catch (err) {
      logger.error({ err }, 'gateway stop failed');
    }
    await store.close().catch(() => undefined);
    await pgDb.close().catch(() => undefined);
    process.exit(code);
  })();
  return stopping;
}

process.once('SIGINT', () => void stop(130));
process.once('SIGTERM', () => void stop(143));
process.once('disconnect', () => void stop(0));

gateway = await startGateway(config, {
  db: raw ? pgDb : timedDb(pgDb, counters),
  store,
  logger,
  ...(standInKind === null ? {} : { conversation: standIn(standInKind as StandInKind) }),
});
gateway.server.on('request', (req, res) => {
  if (req.method !== 'POST' || req.url !== HOP_PATH) return;
  const t = performance.now();
  res.once('finish', () => counters.requestLatency.add(performance.now() - t));
});

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let elu = performance.eventLoopUtilization();
const gc = { pauses: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.pauses += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
let inspector: Session | null = null;

async function handle(m: ParentMessage): Promise<unknown> {
  switch (m.cmd) {
    case 'reset': {
      counters.reset();
      loopDelay.reset();
      elu = performance.eventLoopUtilization();
      Object.assign(gc, { pauses: 0, totalMs: 0, maxMs: 0 });
      if (profileDir && m.profile) {
        inspector = new Session();
        inspector.connect();
        await inspector.post('Profiler.enable');
        await inspector.post('Profiler.start');
      }
      return null;
    }
    case 'stats': {
      let profile: string | null = null;
      if (profileDir && inspector) {
        const { profile: p } = await inspector.post('Profiler.stop');
        profile = join(profileDir, `ussd-${m.label ?? 'window'}.cpuprofile`);
        writeFileSync(profile, JSON.stringify(p));
        inspector.disconnect();
        inspector = null;
      }
      const used = performance.eventLoopUtilization(elu);
      const ms = (ns: number) => round(ns / 1e6, 2);
      return counters.snapshot({
        eventLoop: {
          utilization: round(used.utilization, 3),
          delayP50Ms: ms(loopDelay.percentile(50)),
          delayP99Ms: ms(loopDelay.percentile(99)),
          delayMaxMs: ms(loopDelay.max),
        },
        gc: { pauses: gc.pauses, totalMs: round(gc.totalMs, 1), maxMs: round(gc.maxMs, 1) },
        profile,
      });
    }
    case 'drain':
      return gateway?.drainHops();
    case 'stop':
      setImmediate(() => void stop(0));
      return null;
  }
}

process.on('message', (raw) => {
  const m = raw as ParentMessage;
  handle(m).then(
    (data) => send({ type: 'reply', id: m.id, data }),
    (err: unknown) => send({ type: 'reply', id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});

send({ type: 'ready', port: gateway.port });
