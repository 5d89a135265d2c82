import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createAdminRouter } from './adapters/admin/admin-routes.ts';
import { parseAdminTokens } from './adapters/admin/admin-tokens.ts';
import { createRerunner } from './adapters/admin/rerunner.ts';
import { openDatabase } from './adapters/db/open.ts';
import { createApp } from './adapters/http/app.ts';
import { createAtHopListener } from './adapters/http/at-hop-listener.ts';
import { createUssdRouter } from './adapters/http/ussd-routes.ts';
import { createLogger } from './adapters/logger.ts';
import { createMenuServices } from './adapters/menu-services.ts';
import { createPaymentsModule } from './adapters/payments/payments-module.ts';
import { createSmsModule } from './adapters/sms/sms-module.ts';
import { coreSettings, loadConfig, paymentLimits, ConfigError, type Config } from './config.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { createCore, type Core } from './core/core.ts';
import type { Db } from './core/db.ts';
import { startScheduler, type RunningScheduler } from './core/schedule.ts';
import type { Conversation } from './menus/conversation.ts';
import { createMenuConversation } from './menus/menu-conversation.ts';
import { handleHop } from './sessions/hop.ts';
import { createHopLogDrainer } from './sessions/hop-log-drainer.ts';
import { startHopRetention, type RunningRetention } from './sessions/hop-retention.ts';
import { MemorySessionStore } from './sessions/memory-session-store.ts';
import { RedisSessionStore } from './sessions/redis-session-store.ts';
import type { SessionStore } from './sessions/session-store.ts';

export interface Gateway {
  server: Server;
  port: number;
  stop(): Promise<void>;
  /** the core the gateway runs on (tests open rounds and read balances through it) */
  core: Core;
  store: SessionStore;
  /** moves every hop record waiting in the session store to PostgreSQL now */
  drainHops(): Promise<number>;
}

/**
 * Ready-made parts a caller can hand in instead of having them built from config (tests: a fresh database schema, a
 * test clock, a store under its own Redis prefix). The gateway closes only what it built itself.
 */
export interface GatewayParts {
  db?: Db;
  store?: SessionStore;
  clock?: Clock;
  logger?: Logger;
  /** what answers the player in place of the menus (the USSD bench's stand-ins, which measure what the menus cost) */
  conversation?: Conversation;
}

/**
 * Redis options for the hop path: a dead Redis must make a hop answer "busy" within about a second, never hang it.
 * No offline queue (commands fail at once while disconnected), one retry per command, short timeouts; the client
 * keeps reconnecting in the background (backoff capped at 2 s) and the next hop after recovery just works.
 */
export const REDIS_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 1_000,
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
} as const;

async function openRedisStore(url: string, logger: Logger, recentRecords: number): Promise<RedisSessionStore> {
  const redis = new Redis(url, REDIS_OPTIONS);
  let down = false;
  // ioredis reports every failed reconnect: log the outage once and its end once
  redis.on('error', (err) => {
    if (!down) logger.error({ err }, 'redis unavailable: USSD hops answer busy until it is back');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection restored');
    down = false;
  });
  // without an offline queue a hop sent before the first connect would fail: give it a moment, but start anyway
  await new Promise<void>((resolve) => {
    if (redis.status === 'ready') return resolve();
    const timer = setTimeout(resolve, REDIS_OPTIONS.connectTimeout + 500);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return new RedisSessionStore(redis, { prefix: 'ussd:', recentRecords });
}

/** the composition root: reads config, builds stores and services, wires them, listens */
export async function startGateway(config: Config, parts: GatewayParts = {}): Promise<Gateway> {
  const logger = parts.logger ?? createLogger(config.LOG_LEVEL);
  const clock = parts.clock ?? systemClock;
  const db = parts.db ?? (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR }));
  const core = await createCore(db, coreSettings(config), clock);
  const store =
    parts.store ??
    (config.REDIS_URL
      ? await openRedisStore(config.REDIS_URL, logger, config.SESSION_CACHE_SIZE)
      : new MemorySessionStore({ now: () => clock().getTime(), recentRecords: config.SESSION_CACHE_SIZE }));

  let scheduler: RunningScheduler | undefined;
  if (config.SCHEDULER === 'on') {
    scheduler = startScheduler(core, core.clock, {
      tickMs: config.SCHEDULER_TICK_MS,
      onError: (err) => logger.error({ err }, 'scheduler tick failed'),
      onTick: (s) => {
        if (s.created || s.drawn || s.settled.length) {
          logger.info({ created: s.created, drawn: s.drawn, settled: s.settled.length }, 'schedule advanced');
        }
      },
    });
  }

  // the simulator posts its callbacks to our own routes, so it needs the port we end up listening on
  let listeningPort = config.PORT;
  const paymentsModule = createPaymentsModule({
    core,
    logger,
    config,
    selfBaseUrl: () => `http://127.0.0.1:${listeningPort}`,
  });
  const payments = paymentsModule.port;
  const services = createMenuServices(core, payments, { limits: paymentLimits(config), logger });
  const sms = createSmsModule({ core, services, logger, config });
  const conversation =
    parts.conversation ??
    createMenuConversation(services, {
      maxChars: config.USSD_MAX_CHARS,
      ...(config.TERMS_URL ? { termsUrl: config.TERMS_URL } : {}),
      ...(config.SUPPORT_PHONE ? { supportPhone: config.SUPPORT_PHONE } : {}),
      // the conversation answers its own failures with the busy screen; this is the one log line for each
      onError: (err) => logger.error({ err }, 'menu conversation failed: answered "Service busy"'),
    });
  const hopDeps = {
    store,
    conversation,
    ttlSeconds: config.SESSION_TTL_SECONDS,
    resumeWindowSeconds: config.RESUME_WINDOW_SECONDS,
    clock,
    logger,
  };
  const drainer = createHopLogDrainer({ store, db, logger });
  drainer.start(config.HOP_DRAIN_MS);
  const retention: RunningRetention | undefined =
    config.HOP_RETENTION === 'on'
      ? startHopRetention({ db, clock, logger, retentionDays: config.HOP_RETENTION_DAYS })
      : undefined;
  const adminRouter = createAdminRouter({
    db,
    clock,
    logger,
    tokens: parseAdminTokens(config.ADMIN_TOKENS).tokens,
    sessionTtlSeconds: config.SESSION_TTL_SECONDS,
    rerunner: createRerunner(db, config),
  });

  const app = createApp({
    logger,
    probes: [
      { name: 'database', check: async () => (await db.query('SELECT 1 AS up')).rows.length === 1 },
      { name: 'sessions', check: () => store.ping() },
    ],
    routers: [createUssdRouter({ db, clock, logger, sessionEnded: (id) => store.forgetKept(id) }), sms.router, paymentsModule.router, adminRouter],
  });
  // the USSD hop, our one hot path, is answered before Koa; every other request goes through the app
  const server = createServer(createAtHopListener({ handleHop: (req) => handleHop(hopDeps, req), logger }, app.callback()));
  server.listen(config.PORT);
  await once(server, 'listening');
  const smsWorker = sms.startWorker();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  listeningPort = port;
  const reconciler = paymentsModule.startReconciler();
  logger.info(
    {
      port,
      database: db.kind,
      sessions: parts.store ? 'provided' : config.REDIS_URL ? 'redis' : 'memory',
      scheduler: config.SCHEDULER,
    },
    `gateway listening on http://localhost:${port}`,
  );
  return {
    server,
    port,
    core,
    store,
    drainHops: () => drainer.drainAll(),
    async stop() {
      await scheduler?.stop();
      await retention?.stop();
      await reconciler.stop();
      // no new hops; then the hop log's last records reach PostgreSQL before anything closes
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await drainer.stop().catch((err: unknown) => logger.error({ err }, 'final hop log drain failed'));
      await smsWorker.stop();
      await paymentsModule.close();
      if (!parts.store) await store.close();
      if (!parts.db) await db.close();
    },
  };
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const gateway = await startGateway(config);
  const shutdown = () => {
    gateway.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
