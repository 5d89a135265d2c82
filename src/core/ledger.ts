import { createHash } from 'node:crypto';
import { int, intOrNull, type Queryable } from './db.ts';
import type { Cents } from './money.ts';

export interface Leg {
  account: number;
  amount: Cents;
}

export interface TransferInput {
  /** caller-chosen; a repeat with the same key and input moves nothing and returns the first result */
  key: string;
  kind: string;
  reference?: string;
  legs: Leg[];
  now: Date;
}

export type TransferResult =
  | { status: 'created' | 'duplicate'; transferId: number; wallet: number | null; walletBalance: Cents | null }
  | { status: 'conflict'; transferId: number }
  | { status: 'insufficient_funds'; account: number; balance: Cents };

/** what makes two calls "the same": a used key with another input is refused rather than silently ignored */
export function inputHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

export async function transfer(q: Queryable, input: TransferInput): Promise<TransferResult> {
  const legs = input.legs.filter((l) => l.amount !== 0);
  const hash = inputHash({ kind: input.kind, reference: input.reference ?? null, legs });
  const { rows } = await q.query<{ transfer_id: unknown; outcome: string; account_id: unknown; balance_after: unknown }>(
    'SELECT * FROM ledger_transfer($1, $2, $3, $4, $5::bigint[], $6::bigint[], $7)',
    [
      input.key,
      input.kind,
      hash,
      input.reference ?? null,
      legs.map((l) => String(l.account)),
      legs.map((l) => String(l.amount)),
      input.now,
    ],
  );
  const row = rows[0]!;
  switch (row.outcome) {
    case 'created':
    case 'duplicate':
      return {
        status: row.outcome,
        transferId: int(row.transfer_id),
        wallet: intOrNull(row.account_id),
        walletBalance: intOrNull(row.balance_after),
      };
    case 'conflict':
      return { status: 'conflict', transferId: int(row.transfer_id) };
    case 'insufficient_funds':
      return { status: 'insufficient_funds', account: int(row.account_id), balance: int(row.balance_after) };
    default:
      throw new Error(`ledger_transfer answered ${row.outcome}`);
  }
}

/** folds batched system-account deltas into their cached balances */
export async function rollupSystemBalances(q: Queryable): Promise<void> {
  await q.query('SELECT rollup_system_balances()');
}
