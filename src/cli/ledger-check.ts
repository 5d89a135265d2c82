import { openDatabase } from '../adapters/db/open.ts';
import { loadConfig } from '../config.ts';
import { checkLedger } from '../core/ledger-check.ts';
import { rollupSystemBalances } from '../core/ledger.ts';

/** `npm run ledger:check`: exits 1 and lists the offending accounts when money does not add up */
const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  await rollupSystemBalances(db);
  const problems = await checkLedger(db);
  const { rows } = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM entries');
  if (problems.length === 0) {
    console.log(`ledger ok: ${rows[0]!.n} entries sum to zero, every balance matches its entries, no wallet negative`);
  } else {
    console.error(`ledger check FAILED (${problems.length} problems):`);
    for (const p of problems) console.error(`  ${JSON.stringify(p)}`);
    process.exitCode = 1;
  }
} finally {
  await db.close();
}
