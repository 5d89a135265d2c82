/**
 * Moves hop records from the session store (where each hop writes its record in the same call as the session, before
 * the reply leaves) into PostgreSQL `ussd_hops`, for support and analytics.
 *
 * At-least-once, never lost: records are acked (removed from the store) only after the INSERT has committed; a crash
 * in between re-reads them next time, and UNIQUE (session_id, seq) + ON CONFLICT DO NOTHING makes the re-insert a
 * no-op. One statement per batch (it commits atomically, no explicit transaction needed).
 * Every app instance runs one (started by main). Instances sharing a Redis may read the same records at the same
 * time (the store's stream read is not a consumer group): that is safe — the repeat insert is ignored and acking twice
 * is a no-op — it only does some work twice.
 */
import type { Logger } from 'pino';
import type { Queryable } from '../core/db.ts';
import type { HopRecord, SessionStore } from './session-store.ts';

export const DEFAULT_HOP_BATCH = 500;

/** all the drainer needs from a session store, so it can be handed any queue of hop records */
export type HopSource = Pick<SessionStore, 'readHops' | 'ackHops'>;

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

interface HopRow {
  session_id: string;
  seq: number;
  phone: string;
  network: string;
  service_code: string;
  text: string;
  input: string;
  reply: string;
  state: string;
  latency_ms: number;
  at: string;
}

function toRow(hop: HopRecord): HopRow | null {
  if (typeof hop.sessionId !== 'string' || !Number.isInteger(hop.seq) || typeof hop.phone !== 'string') return null;
  const at = new Date(typeof hop.at === 'number' ? hop.at : Number.NaN);
  return {
    session_id: hop.sessionId,
    seq: hop.seq,
    phone: hop.phone,
    network: String(hop.network ?? ''),
    service_code: String(hop.serviceCode ?? ''),
    text: String(hop.text ?? ''),
    input: String(hop.input ?? ''),
    reply: String(hop.reply ?? ''),
    state: String(hop.state ?? ''),
    latency_ms: Number.isFinite(hop.latencyMs) ? Math.max(0, Math.round(hop.latencyMs)) : 0,
    at: Number.isNaN(at.getTime()) ? new Date(0).toISOString() : at.toISOString(),
  };
}

/**
 * inserts the hop rows, each into the monthly child of its `at` (created when missing); a row already there (a
 * re-drain) is left alone. Goes through `ussd_hops_insert_batch` (migration 008), not `INSERT INTO ussd_hops`: the
 * parent's routing trigger plans a dynamic INSERT per row, the function one per month in the batch.
 */
export async function insertHops(q: Queryable, rows: HopRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query('SELECT ussd_hops_insert_batch($1::jsonb)', [JSON.stringify(rows)]);
}

export function createHopLogDrainer(deps: HopLogDrainerDeps): HopLogDrainer {
  const batchSize = deps.batchSize ?? DEFAULT_HOP_BATCH;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let current: Promise<unknown> = Promise.resolve();
  let failing = false;

  const drainOnce = async (): Promise<number> => {
    const batch = await deps.store.readHops(batchSize);
    if (batch.length === 0) return 0;
    const rows: HopRow[] = [];
    for (const { id, hop } of batch) {
      const row = toRow(hop);
      if (row === null) deps.logger.error({ id, hop }, 'unreadable hop record dropped from the hop log');
      else rows.push(row);
    }
    await insertHops(deps.db, rows);
    await deps.store.ackHops(batch.map((b) => b.id));
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
