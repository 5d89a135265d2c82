/**
 * `npm run payments:reconcile`: one payment reconciliation pass, then a summary — for a cron job when the in-process
 * reconciler is off (RECONCILER=off), or by hand. It takes the same advisory lock as the in-process reconciler, so it
 * never runs alongside another instance's pass. Exits 1 when a step failed.
 *
 * With PAYMENTS=simulator the simulated Daraja lives inside the running gateway: queries go to PUBLIC_BASE_URL, or to
 * http://127.0.0.1:PORT when that is unset.
 */
import { pino } from 'pino';
import { openDatabase } from '../adapters/db/open.ts';
import { createPaymentsModule } from '../adapters/payments/payments-module.ts';
import { coreSettings, loadConfig } from '../config.ts';
import { systemClock } from '../core/clock.ts';
import { createCore } from '../core/core.ts';

const config = loadConfig();
const logger = pino({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  const core = await createCore(db, coreSettings(config), systemClock);
  const payments = createPaymentsModule({
    core,
    logger,
    config,
    selfBaseUrl: () => config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.PORT}`,
  });
  const s = await payments.reconcileOnce();
  await payments.close();
  if (!s.ran) {
    console.log('another instance is reconciling payments right now; nothing done');
  } else {
    console.log(
      [
        `payments reconciled (${payments.mode})`,
        `  callbacks replayed      ${s.callbacksReplayed}`,
        `  deposits queried        ${s.depositsQueried}  credited ${s.depositsCredited}  failed ${s.depositsFailed}  unresolved ${s.depositsUnresolved}`,
        `  payouts started         ${s.payoutsStarted}  resent ${s.payoutsResent}`,
        `  status queries sent     ${s.statusQueries}  (answers arrive on the gateway's callback route)`,
        `  payouts unresolved      ${s.payoutsUnresolved}`,
        `  errors                  ${s.errors}`,
      ].join('\n'),
    );
  }
  const open = await db.query<{ deposits: string; payouts: string; suspense: string }>(
    `SELECT (SELECT count(*) FROM deposits WHERE state = 'unresolved')::text AS deposits,
            (SELECT count(*) FROM payouts WHERE state = 'unresolved')::text AS payouts,
            (SELECT count(*) FROM payment_suspense WHERE state = 'open')::text AS suspense`,
  );
  const o = open.rows[0]!;
  console.log(`  for support: ${o.deposits} unresolved deposits, ${o.payouts} unresolved payouts, ${o.suspense} open suspense items`);
  if (s.errors > 0) process.exitCode = 1;
} finally {
  await db.close();
}
