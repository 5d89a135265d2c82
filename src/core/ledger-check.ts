import { int, type Queryable } from './db.ts';

export interface LedgerProblem {
  kind:
    | 'entries_not_zero'
    | 'transfer_unbalanced'
    | 'orphan_entry'
    | 'balance_mismatch'
    | 'negative_wallet'
    | 'version_mismatch';
  account?: string;
  transferId?: number;
  expected?: number;
  actual?: number;
}

/**
 * The conservation check: all entries sum to zero, so does every transfer, every entry names a transfer and an account
 * that exist, every cached balance (plus deltas not yet
 * rolled up) equals the sum of its entries, a wallet's version counts its entries, and no wallet is negative.
 */
export async function checkLedger(q: Queryable): Promise<LedgerProblem[]> {
  const problems: LedgerProblem[] = [];
  const total = await q.query<{ s: unknown }>('SELECT coalesce(sum(amount), 0) AS s FROM entries');
  const sum = int(total.rows[0]!.s);
  if (sum !== 0) problems.push({ kind: 'entries_not_zero', expected: 0, actual: sum });

  const unbalanced = await q.query<{ transfer_id: unknown; s: unknown }>(
    'SELECT transfer_id, sum(amount) AS s FROM entries GROUP BY transfer_id HAVING sum(amount) <> 0 LIMIT 100',
  );
  for (const r of unbalanced.rows) {
    problems.push({ kind: 'transfer_unbalanced', transferId: int(r.transfer_id), expected: 0, actual: int(r.s) });
  }

  const orphans = await q.query<{ transfer_id: unknown; account_id: unknown }>(
    `SELECT e.transfer_id, e.account_id FROM entries e
      WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.id = e.transfer_id)
         OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = e.account_id)
      LIMIT 100`,
  );
  for (const r of orphans.rows) {
    problems.push({ kind: 'orphan_entry', transferId: int(r.transfer_id), account: String(r.account_id) });
  }

  const balances = await q.query<{ code: string; kind: string; cached: unknown; actual: unknown; version: unknown; n: unknown }>(
    `SELECT a.code, a.kind, a.balance + coalesce(d.s, 0) AS cached, coalesce(e.s, 0) AS actual,
            a.version, coalesce(e.n, 0) AS n
       FROM accounts a
       LEFT JOIN (SELECT account_id, sum(amount) AS s, count(*) AS n FROM entries GROUP BY account_id) e
              ON e.account_id = a.id
       LEFT JOIN (SELECT account_id, sum(amount) AS s FROM system_balance_deltas GROUP BY account_id) d
              ON d.account_id = a.id`,
  );
  for (const r of balances.rows) {
    const cached = int(r.cached);
    const actual = int(r.actual);
    if (cached !== actual) problems.push({ kind: 'balance_mismatch', account: r.code, expected: actual, actual: cached });
    if (r.kind === 'wallet' && cached < 0) problems.push({ kind: 'negative_wallet', account: r.code, actual: cached });
    if (r.kind === 'wallet' && int(r.version) !== int(r.n)) {
      problems.push({ kind: 'version_mismatch', account: r.code, expected: int(r.n), actual: int(r.version) });
    }
  }
  return problems;
}
