import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrationFiles } from '../../src/adapters/db/migrate.ts';
import { pgliteDb } from '../../src/adapters/db/pglite.ts';
import { postgresDb } from '../../src/adapters/db/postgres.ts';
import type { Db } from '../../src/core/db.ts';

describe('migrations', () => {
  it('apply every file once and nothing on a second run (PGlite)', async () => {
    const db = await pgliteDb();
    const first = await migrate(db);
    expect(first).toEqual(migrationFiles().map((f) => f.name));
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(first);
    await db.close();
  });

  describe.skipIf(!process.env.DATABASE_URL)('on PostgreSQL', () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const pools: Db[] = [];
    const connect = () => {
      const db = postgresDb({ connectionString: process.env.DATABASE_URL!, schema, max: 2 });
      pools.push(db);
      return db;
    };
    afterAll(async () => {
      await Promise.all(pools.map((p) => p.close()));
      const admin = postgresDb({ connectionString: process.env.DATABASE_URL!, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    });

    it('are applied once when two processes start at the same moment', async () => {
      const admin = connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const [a, b] = await Promise.all([migrate(connect()), migrate(connect())]);
      const all = migrationFiles().map((f) => f.name);
      expect([a, b].sort((x, y) => y.length - x.length)).toEqual([all, []]);
      const { rows } = await admin.query<{ n: string }>('SELECT count(*)::text AS n FROM schema_migrations');
      expect(rows[0]!.n).toBe(String(all.length));
      expect(await migrate(admin)).toEqual([]);
    });
  });
});
