import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Db, Queryable, Row } from '../../core/db.ts';

// Named statements are parsed and planned once per connection instead of on every call: about half the server CPU of
// a short query. Our SQL is a fixed set of strings; the cap only guards against a caller building SQL per request.
const MAX_NAMED_STATEMENTS = 2_000;
const statementNames = new Map<string, string>();

function statement(sql: string, params?: readonly unknown[]): pg.QueryConfig {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `s${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name === undefined ? { text: sql, values: params as unknown[] } : { name, text: sql, values: params as unknown[] };
}

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
    (await pool.query(statement(sql, params))) as unknown as { rows: R[] };
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
      (await client.query(statement(sql, params))) as unknown as { rows: R[] },
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}
