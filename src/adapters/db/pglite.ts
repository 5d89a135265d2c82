import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, Row } from '../../core/db.ts';

/** embedded PostgreSQL; `dataDir` undefined keeps everything in memory (tests) */
export async function pgliteDb(dataDir?: string): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const query = async <R = Row>(sql: string, params?: readonly unknown[]) =>
    (await pglite.query<R>(sql, params as unknown[])) as { rows: R[] };
  const exec = async (sql: string) => {
    await pglite.exec(sql);
  };
  return {
    kind: 'pglite',
    query,
    exec,
    tx: (fn) => pglite.transaction((t) => fn(wrap(t))),
    // PGlite is one connection: every caller already shares it
    session: (fn) => fn({ query, exec }),
    close: () => pglite.close(),
  };
}

function wrap(t: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    query: async <R = Row>(sql: string, params?: readonly unknown[]) =>
      (await t.query<R>(sql, params as unknown[])) as { rows: R[] },
    exec: async (sql) => {
      await t.exec(sql);
    },
  };
}
