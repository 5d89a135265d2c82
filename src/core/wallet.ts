import type { SystemAccountIds } from './accounts.ts';
import { nairobiDay } from './clock.ts';
import { int, intOrNull, type Db, type Queryable } from './db.ts';
import { transfer } from './ledger.ts';
import type { Cents } from './money.ts';
import { fail, ok, type Outcome } from './outcome.ts';
import { queueSms } from './outbox.ts';
import { depositTax, withdrawalTax, type TaxRules } from './taxes.ts';

export interface WalletDeps {
  db: Db;
  accounts: SystemAccountIds;
  taxes: TaxRules;
}

export interface DepositInput {
  playerId: number;
  amount: Cents;
  /** the M-Pesa receipt (or TransID): the idempotency key of the credit */
  receipt: string;
  now: Date;
}

export interface DepositResult {
  duplicate: boolean;
  amount: Cents;
  excise: Cents;
  credited: Cents;
  balance: Cents;
}

async function walletOf(q: Queryable, playerId: number): Promise<number> {
  const { rows } = await q.query<{ wallet_account_id: unknown }>(
    'SELECT wallet_account_id FROM players WHERE id = $1',
    [playerId],
  );
  if (!rows[0]) throw new Error(`no player ${playerId}`);
  return int(rows[0].wallet_account_id);
}

async function addDailyTotal(q: Queryable, playerId: number, now: Date, column: 'deposited' | 'withdrawn', amount: Cents) {
  await q.query(
    `INSERT INTO player_daily_totals (player_id, day, ${column}) VALUES ($1, $2, $3)
     ON CONFLICT (player_id, day) DO UPDATE SET ${column} = player_daily_totals.${column} + EXCLUDED.${column}`,
    [playerId, nairobiDay(now), amount],
  );
}

/**
 * Credits money received through M-Pesa. Pass `q` to run inside the caller's transaction (the deposit record and
 * its SMS receipt commit with the credit); without it the credit runs in its own transaction.
 */
export async function deposit(
  deps: WalletDeps,
  input: DepositInput,
  q?: Queryable,
): Promise<Outcome<DepositResult, 'idempotency_conflict' | 'invalid_amount'>> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) return fail('invalid_amount');
  const run = async (tq: Queryable) => {
    const wallet = await walletOf(tq, input.playerId);
    const tax = depositTax(deps.taxes, input.amount);
    const result = await transfer(tq, {
      key: `deposit:${input.receipt}`,
      kind: 'deposit',
      reference: input.receipt,
      now: input.now,
      legs: [
        { account: deps.accounts.mpesa_clearing, amount: -input.amount },
        { account: wallet, amount: tax.net },
        { account: deps.accounts.excise_payable, amount: tax.tax },
      ],
    });
    if (result.status === 'conflict') return fail('idempotency_conflict');
    if (result.status === 'insufficient_funds') throw new Error('a deposit cannot overdraw');
    if (result.status === 'created') {
      await addDailyTotal(tq, input.playerId, input.now, 'deposited', input.amount);
      await queueSms(tq, {
        playerId: input.playerId,
        kind: 'deposit_credited',
        params: { receipt: input.receipt, amount: input.amount, excise: tax.tax, credited: tax.net, balance: result.walletBalance },
        dedupeKey: `deposit:${input.receipt}`,
        now: input.now,
      });
    }
    return ok({
      duplicate: result.status === 'duplicate',
      amount: input.amount,
      excise: tax.tax,
      credited: tax.net,
      balance: result.walletBalance ?? 0,
    });
  };
  return q ? run(q) : deps.db.tx(run);
}

export interface Withdrawal {
  id: number;
  playerId: number;
  amount: Cents;
  wht: Cents;
  /** what the player's M-Pesa receives */
  net: Cents;
  state: 'reserved' | 'completed' | 'failed';
  receipt: string | null;
  failureReason: string | null;
  createdAt: Date;
}

interface WithdrawalRow {
  id: unknown;
  player_id: unknown;
  amount: unknown;
  wht: unknown;
  net: unknown;
  state: Withdrawal['state'];
  receipt: string | null;
  failure_reason: string | null;
  created_at: Date | string;
}

function toWithdrawal(r: WithdrawalRow): Withdrawal {
  return {
    id: int(r.id),
    playerId: int(r.player_id),
    amount: int(r.amount),
    wht: int(r.wht),
    net: int(r.net),
    state: r.state,
    receipt: r.receipt,
    failureReason: r.failure_reason,
    createdAt: new Date(r.created_at),
  };
}

export async function getWithdrawal(q: Queryable, id: number): Promise<Withdrawal | null> {
  const { rows } = await q.query<WithdrawalRow>('SELECT * FROM withdrawals WHERE id = $1', [id]);
  return rows[0] ? toWithdrawal(rows[0]) : null;
}

export interface ReserveInput {
  playerId: number;
  amount: Cents;
  /** caller-chosen idempotency key for the request */
  key: string;
  now: Date;
}

/** phase one: the amount leaves the wallet into pending withdrawals at once */
export async function reserveWithdrawal(
  deps: WalletDeps,
  input: ReserveInput,
  q?: Queryable,
): Promise<
  Outcome<Withdrawal & { balance: Cents; duplicate: boolean }, 'insufficient_funds' | 'idempotency_conflict' | 'invalid_amount', { balance: Cents }>
> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) return fail('invalid_amount');
  const tax = withdrawalTax(deps.taxes, input.amount);
  if (tax.net <= 0) return fail('invalid_amount');
  const run = async (tq: Queryable) => {
    const wallet = await walletOf(tq, input.playerId);
    const result = await transfer(tq, {
      key: `withdrawal:${input.key}:reserve`,
      kind: 'withdrawal_reserve',
      now: input.now,
      legs: [
        { account: wallet, amount: -input.amount },
        { account: deps.accounts.pending_withdrawals, amount: input.amount },
      ],
    });
    if (result.status === 'insufficient_funds') return fail('insufficient_funds', { balance: result.balance });
    if (result.status === 'conflict') return fail('idempotency_conflict');
    if (result.status === 'created') {
      const { rows } = await tq.query<WithdrawalRow>(
        `INSERT INTO withdrawals (idempotency_key, player_id, amount, wht, net, state, created_at)
         VALUES ($1, $2, $3, $4, $5, 'reserved', $6) RETURNING *`,
        [input.key, input.playerId, input.amount, tax.tax, tax.net, input.now],
      );
      await addDailyTotal(tq, input.playerId, input.now, 'withdrawn', input.amount);
      return ok({ ...toWithdrawal(rows[0]!), balance: result.walletBalance ?? 0, duplicate: false });
    }
    const { rows } = await tq.query<WithdrawalRow>('SELECT * FROM withdrawals WHERE idempotency_key = $1', [input.key]);
    return ok({ ...toWithdrawal(rows[0]!), balance: result.walletBalance ?? 0, duplicate: true });
  };
  return q ? run(q) : deps.db.tx(run);
}

async function finishWithdrawal(
  deps: WalletDeps,
  id: number,
  now: Date,
  q: Queryable | undefined,
  target: 'completed' | 'failed',
  detail: { receipt?: string; reason?: string },
): Promise<Outcome<Withdrawal & { duplicate: boolean }, 'not_found' | 'already_completed' | 'already_failed'>> {
  const run = async (tq: Queryable) => {
    const { rows } = await tq.query<WithdrawalRow>('SELECT * FROM withdrawals WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) return fail('not_found');
    const w = toWithdrawal(rows[0]);
    if (w.state === target) return ok({ ...w, duplicate: true });
    if (w.state !== 'reserved') return fail(w.state === 'completed' ? 'already_completed' : 'already_failed');
    const legs =
      target === 'completed'
        ? [
            { account: deps.accounts.pending_withdrawals, amount: -w.amount },
            { account: deps.accounts.mpesa_clearing, amount: w.net },
            { account: deps.accounts.wht_payable, amount: w.wht },
          ]
        : [
            { account: deps.accounts.pending_withdrawals, amount: -w.amount },
            { account: await walletOf(tq, w.playerId), amount: w.amount },
          ];
    const result = await transfer(tq, {
      key: `withdrawal:${id}:${target}`,
      kind: target === 'completed' ? 'withdrawal_complete' : 'withdrawal_fail',
      reference: detail.receipt,
      now,
      legs,
    });
    if (result.status !== 'created') throw new Error(`withdrawal ${id} ${target}: ledger said ${result.status}`);
    const updated = await tq.query<WithdrawalRow>(
      `UPDATE withdrawals SET state = $2, receipt = $3, failure_reason = $4, finished_at = $5 WHERE id = $1 RETURNING *`,
      [id, target, detail.receipt ?? null, detail.reason ?? null, now],
    );
    if (target === 'failed') await addDailyTotal(tq, w.playerId, w.createdAt, 'withdrawn', -w.amount);
    await queueSms(tq, {
      playerId: w.playerId,
      kind: target === 'completed' ? 'withdrawal_paid' : 'withdrawal_failed',
      params: { withdrawalId: id, amount: w.amount, wht: w.wht, net: w.net, receipt: detail.receipt ?? null, reason: detail.reason ?? null },
      dedupeKey: `withdrawal:${id}:${target}`,
      now,
    });
    return ok({ ...toWithdrawal(updated.rows[0]!), duplicate: false });
  };
  return q ? run(q) : deps.db.tx(run);
}

/** phase two, paid: pending → M-Pesa clearing (net) + withholding tax payable */
export function completeWithdrawal(deps: WalletDeps, input: { withdrawalId: number; receipt: string; now: Date }, q?: Queryable) {
  return finishWithdrawal(deps, input.withdrawalId, input.now, q, 'completed', { receipt: input.receipt });
}

/** phase two, not paid: the reserved amount returns to the wallet */
export function failWithdrawal(deps: WalletDeps, input: { withdrawalId: number; reason: string; now: Date }, q?: Queryable) {
  return finishWithdrawal(deps, input.withdrawalId, input.now, q, 'failed', { reason: input.reason });
}

export interface BalanceView {
  balance: Cents;
  openBets: number;
  openStakes: Cents;
  pendingWithdrawals: Cents;
}

export async function balance(q: Queryable, playerId: number): Promise<BalanceView> {
  const view = (await balances(q, [playerId])).get(playerId);
  if (view === undefined) throw new Error(`no player ${playerId}`);
  return view;
}

/** balances of several players in one query; players that do not exist are left out of the map */
export async function balances(q: Queryable, playerIds: readonly number[]): Promise<Map<number, BalanceView>> {
  const { rows } = await q.query<{ id: unknown; balance: unknown; open_bets: unknown; open_stakes: unknown; pending: unknown }>(
    `SELECT p.id, a.balance,
            (SELECT count(*) FROM bets b WHERE b.player_id = p.id AND b.state = 'open') AS open_bets,
            (SELECT coalesce(sum(b.stake), 0) FROM bets b WHERE b.player_id = p.id AND b.state = 'open') AS open_stakes,
            (SELECT coalesce(sum(w.amount), 0) FROM withdrawals w WHERE w.player_id = p.id AND w.state = 'reserved') AS pending
       FROM players p JOIN accounts a ON a.id = p.wallet_account_id WHERE p.id = ANY($1::bigint[])`,
    [playerIds],
  );
  return new Map(
    rows.map((r) => [
      int(r.id),
      { balance: int(r.balance), openBets: int(r.open_bets), openStakes: int(r.open_stakes), pendingWithdrawals: int(r.pending) },
    ]),
  );
}

export interface StatementLine {
  entryId: number;
  kind: string;
  reference: string | null;
  amount: Cents;
  balanceAfter: Cents;
  at: Date;
}

/** newest first; pass the last line's entryId as `before` for the next page */
export async function statement(
  q: Queryable,
  playerId: number,
  page: { limit: number; before?: number },
): Promise<StatementLine[]> {
  const { rows } = await q.query<{
    id: unknown;
    kind: string;
    reference: string | null;
    amount: unknown;
    balance_after: unknown;
    created_at: Date | string;
  }>(
    `SELECT e.id, t.kind, t.reference, e.amount, e.balance_after, e.created_at
       FROM entries e JOIN transfers t ON t.id = e.transfer_id
      WHERE e.account_id = (SELECT wallet_account_id FROM players WHERE id = $1)
        AND ($2::bigint IS NULL OR e.id < $2)
      ORDER BY e.id DESC LIMIT $3`,
    [playerId, page.before ?? null, Math.min(Math.max(page.limit, 1), 100)],
  );
  return rows.map((r) => ({
    entryId: int(r.id),
    kind: r.kind,
    reference: r.reference,
    amount: int(r.amount),
    balanceAfter: intOrNull(r.balance_after) ?? 0,
    at: new Date(r.created_at),
  }));
}
