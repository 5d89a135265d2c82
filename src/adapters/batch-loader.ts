/**
 * Collects the keys asked for while the event loop works through one turn and reads them with one query.
 *
 * Why: under load many hops reach the same read (the player behind a dial, a balance) within one turn of the event
 * loop, because their Redis replies arrive together. One `= ANY($1)` query for all of them costs the database and the
 * driver about what one single-row query costs. A quiet gateway pays nothing for it: a lone key waits only until the
 * current turn ends (setImmediate), not for a timer.
 *
 * A failed batch fails every caller in it; a key the batch did not return resolves to `missing`.
 */
export interface BatchLoader<K, V> {
  load(key: K): Promise<V>;
}

export function batchLoader<K, V>(
  readMany: (keys: K[]) => Promise<Map<K, V>>,
  missing: V,
  opts: { maxBatch?: number } = {},
): BatchLoader<K, V> {
  const maxBatch = opts.maxBatch ?? 100;
  type Waiter = { resolve: (v: V) => void; reject: (e: unknown) => void };
  type Batch = { waiting: Map<K, Waiter[]>; sent: boolean };
  let open: Batch | null = null;

  const send = (batch: Batch) => {
    if (batch.sent) return;
    batch.sent = true;
    if (open === batch) open = null;
    readMany([...batch.waiting.keys()]).then(
      (found) => {
        for (const [key, waiters] of batch.waiting) {
          const value = found.has(key) ? (found.get(key) as V) : missing;
          for (const w of waiters) w.resolve(value);
        }
      },
      (err: unknown) => {
        for (const waiters of batch.waiting.values()) for (const w of waiters) w.reject(err);
      },
    );
  };

  return {
    load(key) {
      return new Promise<V>((resolve, reject) => {
        let batch = open;
        if (batch === null) {
          const fresh: Batch = { waiting: new Map(), sent: false };
          open = batch = fresh;
          setImmediate(() => send(fresh));
        }
        const waiters = batch.waiting.get(key);
        if (waiters === undefined) batch.waiting.set(key, [{ resolve, reject }]);
        else waiters.push({ resolve, reject });
        // a full batch goes at once; its scheduled send then finds it already sent
        if (batch.waiting.size >= maxBatch) send(batch);
      });
    },
  };
}
