/**
 * `npm run replay -- <sessionId> [--rerun]`: prints a recorded USSD session as the phone showed it, screen by screen,
 * with the inputs and timings between. `--rerun` also feeds the recorded inputs into today's menus in a dry run
 * (nothing written, no money moved; see src/adapters/admin/dry-run-services.ts) and marks every screen that differs
 * from what the customer saw. Exits 1 when the session is unknown, 2 when a rerun found differences.
 */
import { createRerunner } from '../adapters/admin/rerunner.ts';
import { sessionHops } from '../adapters/admin/session-log.ts';
import { formatRerun, formatSession, rerunSession } from '../adapters/admin/session-rerun.ts';
import { openDatabase } from '../adapters/db/open.ts';
import { loadConfig } from '../config.ts';

const args = process.argv.slice(2);
const rerun = args.includes('--rerun');
const sessionId = args.find((a) => !a.startsWith('--'));
if (!sessionId) {
  console.error('usage: npm run replay -- <sessionId> [--rerun]');
  process.exit(64);
}
const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  const hops = await sessionHops(db, sessionId);
  if (hops.length === 0) {
    console.error(`no hops recorded for session ${sessionId}`);
    process.exitCode = 1;
  } else {
    process.stdout.write(formatSession(sessionId, hops));
    if (rerun) {
      const { conversation, services } = createRerunner(db, config)();
      const result = await rerunSession(sessionId, hops, conversation, services);
      process.stdout.write(`\n${formatRerun(result)}`);
      if (result.differing > 0) process.exitCode = 2;
    }
  }
} finally {
  await db.close();
}
