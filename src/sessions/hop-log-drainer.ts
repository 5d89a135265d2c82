/**
 * Moves hop records from the session store (where each hop writes its record in the same call as the session, before
 * the reply leaves) into PostgreSQL `ussd_hops`, for support and analytics.
 *
 * At-least-once, never lost: records are acked (removed from the store) only after the INSERT has committed; a crash
 * in between re-reads them next time, and UNIQUE (session_id, seq) + ON CONFLICT DO NOTHING makes the re-insert a
 * no-op. One statement per batch (it commits atomically, no explicit transaction needed).
 * The drain runs on the gateway's event loop, so a batch costs it as little as possible: the commit already wrote each
 * record as its row's JSON, the batch goes to PostgreSQL as those strings joined into an array, unparsed, and one
 * "everything up to the last id read" acks it. Only a batch PostgreSQL refuses is parsed, record by record, so a bad
 * entry costs one batch the slow way instead of blocking the log behind it.
 * Every app instance runs one (started by main). Instances sharing a Redis may read the same records at the same
 * time (the store's stream read is not a consumer group): that is safe — the repeat insert is ignored and acking twice
 * is a no-op — it only does some work twice.
 */
import type { Logger } from 'pino';
import type { Queryable } from '../core/db.ts';
import { hopRow, type HopEntry, type HopRecord, type HopRow, type SessionStore } from './session-store.ts';

export const DEFAULT_HOP_BATCH = 500;

/** all the drainer needs from a session store, so it can be handed any queue of hop records */
export type HopSource = Pick<SessionStore, 'readHops' | 'ackHopsThrough'>;

export interface HopLogDrainerDeps {
  store: HopSource;
  db: Queryable;
  logger: Logger;
  /** records per INSERT (default 500) */
  batchSize?: number;
}

export interface HopLogDrainer {
  /** moves one batch; resolves to how many records were read (and acked) */
  drainOnce(): Promise<number>;
  /** drains until the store has nothing left (bounded: stops after `maxBatches`) */
  drainAll(maxBatches?: number): Promise<number>;
  /** runs `drainOnce` every `intervalMs` (next run after the previous one finished); errors are logged, then retried */
  start(intervalMs: number): void;
  /** stops the interval runner, waits for a run in progress, then drains what is left */
  stop(): Promise<void>;
}

const INSERT_BATCH = 'SELECT ussd_hops_insert_batch($1::jsonb)';

/**
 * inserts the hop rows, each into the monthly child of its `at` (created when missing); a row already there (a
 * re-drain) is left alone. Goes through `ussd_hops_insert_batch` (migration 008), not `INSERT INTO ussd_hops`: the
 * parent's routing trigger plans a dynamic INSERT per row, the function one per month in the batch.
 */
export async function insertHops(q: Queryable, rows: HopRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(INSERT_BATCH, [JSON.stringify(rows)]);
}

/** {@link insertHops} for entries as the commit wrote them (each a row's JSON): the array is joined, never parsed */
async function insertEntries(q: Queryable, entries: HopEntry[]): Promise<void> {
  await q.query(INSERT_BATCH, [jsonArray(entries.map((e) => e.json))]);
}

/**
 * `[a,b,…]` of at least one JSON text, made by one join: brackets added around the joined text would make a rope that
 * pg flattens into a second copy of the whole batch (500 hops are some 170 kB, each copy a large-object allocation)
 */
function jsonArray(jsons: string[]): string {
  jsons[0] = `[${jsons[0]}`;
  jsons[jsons.length - 1] = `${jsons[jsons.length - 1]}]`;
  return jsons.join(',');
}

/**
 * An entry as a row PostgreSQL takes, or null when it is not a hop record. Commits write the row itself; a deploy can
 * leave entries the previous version wrote, a camelCase {@link HopRecord}.
 */
function rowOf(json: string): HopRow | null {
  let entry: unknown;
  try {
    entry = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof entry !== 'object' || entry === null) return null;
  const hop = recordOf('session_id' in entry ? fieldsOfRow(entry as Untyped<HopRow>) : (entry as Untyped<HopRecord>));
  return hop === null ? null : hopRow(hop);
}

type Untyped<T> = { [K in keyof T]?: unknown };

/**
 * A parsed record, typed as PostgreSQL needs it: null without the identity the row is unique on, and the other
 * columns filled in (text missing → '', a latency or time that is not a number → 0 / the epoch), so the row breaks no
 * NOT NULL or CHECK.
 */
function recordOf(hop: Untyped<HopRecord>): HopRecord | null {
  if (typeof hop.sessionId !== 'string' || typeof hop.phone !== 'string' || !isSeq(hop.seq)) return null;
  return {
    sessionId: hop.sessionId,
    seq: hop.seq,
    phone: hop.phone,
    network: String(hop.network ?? ''),
    serviceCode: String(hop.serviceCode ?? ''),
    text: String(hop.text ?? ''),
    input: String(hop.input ?? ''),
    reply: String(hop.reply ?? ''),
    state: String(hop.state ?? ''),
    latencyMs: typeof hop.latencyMs === 'number' && Number.isFinite(hop.latencyMs) ? hop.latencyMs : 0,
    at: typeof hop.at === 'number' ? hop.at : Number.NaN,
  };
}

const MAX_SEQ = 2 ** 31 - 1;

/** what the `seq` column takes: int, CHECK (seq > 0) */
function isSeq(seq: unknown): seq is number {
  return Number.isInteger(seq) && (seq as number) >= 1 && (seq as number) <= MAX_SEQ;
}

/** a row's fields under the record's names */
function fieldsOfRow(row: Untyped<HopRow>): Untyped<HopRecord> {
  return {
    sessionId: row.session_id,
    seq: row.seq,
    phone: row.phone,
    network: row.network,
    serviceCode: row.service_code,
    text: row.text,
    input: row.input,
    reply: row.reply,
    state: row.state,
    latencyMs: row.latency_ms,
    at: typeof row.at === 'string' ? Date.parse(row.at) : Number.NaN,
  };
}

/**
 * SQLSTATE class 22 (data exception): PostgreSQL cannot hold one of the values, e.g. a NUL character in `text`, which
 * the aggregator's form may carry and no PostgreSQL text can. A row that passed {@link rowOf} can break no NOT NULL,
 * CHECK or UNIQUE (ON CONFLICT), so any other error is the database's, not the row's.
 */
function isRefusedValue(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

export function createHopLogDrainer(deps: HopLogDrainerDeps): HopLogDrainer {
  const batchSize = deps.batchSize ?? DEFAULT_HOP_BATCH;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let current: Promise<unknown> = Promise.resolve();
  let failing = false;

  /**
   * The careful path, for a batch PostgreSQL refused: each entry is parsed, what is not a hop record is dropped, the
   * rest inserted; when PostgreSQL refuses a value even then, row by row, dropping only the rows it refuses. Anything
   * else (the database down) rejects with nothing dropped, so the whole batch is read again next time.
   */
  const insertCarefully = async (batch: HopEntry[], refusal: unknown): Promise<void> => {
    const rows: HopRow[] = [];
    const unreadable: HopEntry[] = [];
    for (const entry of batch) {
      const row = rowOf(entry.json);
      if (row === null) unreadable.push(entry);
      else rows.push(row);
    }
    try {
      await insertHops(deps.db, rows);
    } catch (err) {
      if (!isRefusedValue(err)) throw err;
      await insertRowByRow(rows);
    }
    for (const { id, json } of unreadable) {
      deps.logger.error({ id, entry: json }, 'unreadable hop record dropped from the hop log');
    }
    deps.logger.warn(
      { err: refusal, records: batch.length, unreadable: unreadable.length },
      'hop log batch failed as one insert; drained entry by entry',
    );
  };

  const insertRowByRow = async (rows: HopRow[]): Promise<void> => {
    for (const row of rows) {
      try {
        await insertHops(deps.db, [row]);
      } catch (err) {
        if (!isRefusedValue(err)) throw err;
        deps.logger.error({ err, row }, 'hop record PostgreSQL cannot store dropped from the hop log');
      }
    }
  };

  const drainOnce = async (): Promise<number> => {
    const batch = await deps.store.readHops(batchSize);
    if (batch.length === 0) return 0;
    try {
      await insertEntries(deps.db, batch);
    } catch (err) {
      // a bad entry, or the database down: the careful path tells them apart
      await insertCarefully(batch, err);
    }
    await deps.store.ackHopsThrough(batch[batch.length - 1]!.id);
    return batch.length;
  };

  const drainAll = async (maxBatches = 1_000): Promise<number> => {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await drainOnce();
      total += n;
      if (n < batchSize) break;
    }
    return total;
  };

  // serialises runs: the timer, drainAll callers and stop never drain concurrently (they would insert twice)
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = current.then(fn, fn);
    current = run.catch(() => undefined);
    return run;
  };

  const tick = (intervalMs: number) => {
    void exclusive(() => drainAll(10))
      .then(() => {
        if (failing) deps.logger.info('hop log drain recovered');
        failing = false;
      })
      .catch((err: unknown) => {
        // logged once per outage, not on every tick
        if (!failing) deps.logger.error({ err }, 'hop log drain failed; will retry');
        failing = true;
      })
      .finally(() => {
        if (running) timer = setTimeout(() => tick(intervalMs), intervalMs);
      });
  };

  return {
    drainOnce: () => exclusive(drainOnce),
    drainAll: (maxBatches) => exclusive(() => drainAll(maxBatches)),
    start(intervalMs) {
      if (running) return;
      running = true;
      timer = setTimeout(() => tick(intervalMs), intervalMs);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await exclusive(() => drainAll());
    },
  };
}
