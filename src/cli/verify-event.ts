import { openDatabase } from '../adapters/db/open.ts';
import { loadConfig } from '../config.ts';
import { verifyEvent } from '../core/events.ts';

/** `npm run verify -- <eventId>`: recomputes an event's result and odds from its revealed seed */
const id = Number(process.argv[2]);
if (!Number.isSafeInteger(id) || id <= 0) {
  console.error('usage: npm run verify -- <eventId>');
  process.exit(2);
}
const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  const v = await verifyEvent(db, id);
  if (!v) {
    console.error(`no event ${id}`);
    process.exitCode = 2;
  } else if (v.status === 'open') {
    console.log(`event ${id} has not been played yet; its seed hash is ${v.seedHash} (the seed is revealed after kickoff)`);
  } else {
    console.log(`event ${id}`);
    console.log(`  seed hash (published before betting) ${v.seedHash}`);
    console.log(`  server seed (revealed)               ${v.serverSeed}`);
    console.log(`  sha256(seed) matches the hash        ${v.seedMatchesHash ? 'yes' : 'NO'}`);
    console.log(`  stored result                        ${JSON.stringify(v.storedResult)}`);
    console.log(`  recomputed from HMAC-SHA256(seed,id) ${JSON.stringify(v.recomputedResult)}`);
    console.log(`  odds recompute from the parameters   ${v.oddsMatch ? 'yes' : 'NO'}`);
    console.log(v.verified ? 'VERIFIED' : 'NOT VERIFIED');
    if (!v.verified) process.exitCode = 1;
  }
} finally {
  await db.close();
}
