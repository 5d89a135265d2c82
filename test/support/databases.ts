import { describe } from 'vitest';
import { randomBytes } from 'node:crypto';
import { migrate } from '../../src/adapters/db/migrate.ts';
import { pgliteDb } from '../../src/adapters/db/pglite.ts';
import { postgresDb } from '../../src/adapters/db/postgres.ts';
import type { Db } from '../../src/core/db.ts';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** a fresh, migrated database: PGlite in memory, or a schema of its own on the real server */
  open(): Promise<TestDb>;
}

export interface TestDb {
  db: Db;
  /** another connection pool on the same database (postgres only), for parallel clients */
  connect(max?: number): Db;
  cleanup(): Promise<void>;
}

const databaseUrl = process.env.DATABASE_URL;

const pglite: Backend = {
  name: 'pglite',
  async open() {
    const db = await pgliteDb();
    await migrate(db);
    return {
      db,
      connect: () => db,
      cleanup: () => db.close(),
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = postgresDb({ connectionString: databaseUrl!, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const pools: Db[] = [];
    const connect = (max = 10) => {
      const pool = postgresDb({ connectionString: databaseUrl!, schema, max });
      pools.push(pool);
      return pool;
    };
    const db = connect(20);
    await migrate(db);
    return {
      db,
      connect,
      async cleanup() {
        await Promise.all(pools.map((p) => p.close()));
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      },
    };
  },
};

/** every store-backed suite runs on PGlite, and on real PostgreSQL as well when DATABASE_URL is set */
export const backends: Backend[] = databaseUrl ? [pglite, postgres] : [pglite];

/**
 * A suite that needs real PostgreSQL (many connections, several processes). Without DATABASE_URL it is reported as
 * skipped: a file whose only suite needs PostgreSQL would otherwise have no suite at all, which vitest fails.
 */
export function describeOnPostgres(name: string, suite: (backend: Backend) => void): void {
  describe.runIf(Boolean(databaseUrl))('on real PostgreSQL (DATABASE_URL)', () => {
    describe(`${name} on ${postgres.name}`, () => suite(postgres));
  });
}
