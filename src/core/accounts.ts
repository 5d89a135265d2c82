import { int, type Queryable } from './db.ts';

export const SYSTEM_ACCOUNTS = [
  'mpesa_clearing',
  'stakes_held',
  'house_revenue',
  'excise_payable',
  'wht_payable',
  'pending_withdrawals',
  'suspense',
] as const;
export type SystemAccount = (typeof SYSTEM_ACCOUNTS)[number];
export type SystemAccountIds = Record<SystemAccount, number>;

export async function loadSystemAccounts(q: Queryable): Promise<SystemAccountIds> {
  const { rows } = await q.query<{ id: unknown; code: string }>(
    "SELECT id, code FROM accounts WHERE kind = 'system'",
  );
  const ids = Object.fromEntries(rows.map((r) => [r.code, int(r.id)]));
  for (const code of SYSTEM_ACCOUNTS) {
    if (ids[code] === undefined) throw new Error(`system account ${code} is missing: migrations not applied?`);
  }
  return ids as SystemAccountIds;
}

/** a system account's balance: the rolled-up figure plus deltas not yet folded in */
export async function systemBalance(q: Queryable, account: number): Promise<number> {
  const { rows } = await q.query<{ balance: unknown }>(
    `SELECT a.balance + coalesce((SELECT sum(d.amount) FROM system_balance_deltas d WHERE d.account_id = a.id), 0)
       AS balance FROM accounts a WHERE a.id = $1`,
    [account],
  );
  return int(rows[0]?.balance ?? 0);
}
