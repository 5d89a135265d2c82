import { once } from 'node:events';
import type { Server } from 'node:http';
import { openDatabase } from './adapters/db/open.ts';
import { createApp } from './adapters/http/app.ts';
import { createLogger } from './adapters/logger.ts';
import { coreSettings, loadConfig, ConfigError, type Config } from './config.ts';
import { systemClock } from './core/clock.ts';
import { createCore } from './core/core.ts';
import { startScheduler, type RunningScheduler } from './core/schedule.ts';

export interface Gateway {
  server: Server;
  port: number;
  stop(): Promise<void>;
}

/** the composition root: reads config, builds stores and services, wires them, listens */
export async function startGateway(config: Config): Promise<Gateway> {
  const logger = createLogger(config.LOG_LEVEL);
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const core = await createCore(db, coreSettings(config), systemClock);
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
  const app = createApp({
    logger,
    probes: [{ name: 'database', check: async () => (await db.query('SELECT 1 AS up')).rows.length === 1 }],
  });
  const server = app.listen(config.PORT);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { port, database: db.kind, scheduler: config.SCHEDULER },
    `gateway listening on http://localhost:${port}`,
  );
  return {
    server,
    port,
    async stop() {
      await scheduler?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
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
