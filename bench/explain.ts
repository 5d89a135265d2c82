import pg from 'pg';
import type { Db, Queryable, Row } from '../src/core/db.ts';

export interface ExplainedStatement {
  ms: number;
  query: string;
  plan: string;
}

/**
 * A Db on one dedicated connection with auto_explain loaded for this session only (LOAD + SET: nothing changes on
 * the server), reporting every statement's EXPLAIN ANALYZE as a NOTICE to this client rather than to the server log.
 * Nested statements (functions' bodies, foreign-key checks) are logged only with `nested`; trigger times always are.
 * Timing instrumentation slows the statements down; figures from it are for finding the slow part, not for the table.
 */
export async function explainingDb(
  url: string,
  opts: { nested?: boolean } = {},
): Promise<{ db: Db; statements: ExplainedStatement[] }> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const statements: ExplainedStatement[] = [];
  client.on('notice', (n) => {
    const text = n.message ?? '';
    const m = /^duration: ([\d.]+) ms\s+plan:\n([\s\S]*)$/.exec(text);
    if (!m) return;
    const body = m[2]!;
    const q = /Query Text: ([\s\S]*?)\n(?=\S)/.exec(body);
    statements.push({ ms: Number(m[1]), query: (q?.[1] ?? body.split('\n')[0] ?? '').replace(/\s+/g, ' ').trim(), plan: body });
  });
  await client.query("LOAD 'auto_explain'");
  await client.query(
    `SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;
     SET auto_explain.log_triggers = on; SET auto_explain.log_nested_statements = ${opts.nested ? 'on' : 'off'};
     SET auto_explain.log_level = notice`,
  );
  const wrap: Queryable = {
    query: async <R = Row>(sql: string, params?: readonly unknown[]) =>
      (await client.query(sql, params as unknown[])) as unknown as { rows: R[] },
    exec: async (sql) => {
      await client.query(sql);
    },
  };
  const db: Db = {
    kind: 'postgres',
    ...wrap,
    async tx(fn) {
      await client.query('BEGIN');
      try {
        const result = await fn(wrap);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    session: (fn) => fn(wrap),
    close: () => client.end(),
  };
  return { db, statements };
}
