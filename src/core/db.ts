/**
 * The database handle the core takes. Both `pg.Pool` (real PostgreSQL) and PGlite (embedded) are wrapped to
 * this shape in `src/adapters/db/`, so the core never imports a driver.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
  /** runs a script of several statements without parameters (migrations) */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** runs fn inside BEGIN/COMMIT on one connection; rolls back when fn throws */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** runs fn on one dedicated connection (session-level advisory locks need that) */
  session<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** bigint columns arrive as string (pg) or bigint (PGlite); money and ids are safe integers here */
export function int(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`not a safe integer: ${String(value)}`);
  return n;
}

export function intOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : int(value);
}
