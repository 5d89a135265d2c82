import type { Db } from '../../core/db.ts';
import { migrate } from './migrate.ts';
import { pgliteDb } from './pglite.ts';
import { postgresDb } from './postgres.ts';

/** real PostgreSQL when a URL is given, otherwise embedded PGlite under dataDir; migrations applied either way */
export async function openDatabase(opts: { databaseUrl?: string; dataDir?: string }): Promise<Db> {
  const db = opts.databaseUrl ? postgresDb({ connectionString: opts.databaseUrl }) : await pgliteDb(opts.dataDir);
  await migrate(db);
  return db;
}
