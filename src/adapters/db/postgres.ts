import pg from 'pg';
import type { Db, Queryable, Row } from '../../core/db.ts';

export interface PostgresOptions {
  connectionString: string;
  max?: number;
  /** schema to put first on the search_path (tests give each file its own) */
  schema?: string;
}

export function postgresDb(opts: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 20,
    ...(opts.schema ? { options: `-c search_path=${opts.schema},public` } : {}),
  });
  // an idle client losing its server must not crash the process; the next query reports the outage
  pool.on('error', () => undefined);
  const query = async <R = Row>(sql: string, params?: readonly unknown[]) =>
    (await pool.query(sql, params as unknown[])) as unknown as { rows: R[] };
  return {
    kind: 'postgres',
    query,
    exec: async (sql) => {
      await pool.query(sql);
    },
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn(wrap(client));
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function wrap(client: pg.PoolClient): Queryable {
  return {
    query: async <R = Row>(sql: string, params?: readonly unknown[]) =>
      (await client.query(sql, params as unknown[])) as unknown as { rows: R[] },
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}
