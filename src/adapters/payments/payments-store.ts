/**
 * The payment tables of migration 006, as small named queries: raw callbacks, deposits, payouts, suspense. Money moves
 * only through the core (wallet.ts) and the ledger (`transfer`); these functions record what M-Pesa said and did.
 */
import type { Core } from '../../core/core.ts';
import { int, intOrNull, type Db, type Queryable } from '../../core/db.ts';
import { transfer } from '../../core/ledger.ts';
import type { Cents } from '../../core/money.ts';

// ---------------------------------------------------------------------------------------------------- callbacks

export type CallbackKind =
  | 'stk'
  | 'b2c_result'
  | 'b2c_timeout'
  | 'status_result'
  | 'status_timeout'
  | 'c2b_validation'
  | 'c2b_confirmation';

export type CallbackOutcome =
  | 'received'
  | 'applied'
  | 'duplicate'
  | 'unmatched'
  | 'malformed'
  | 'ignored'
  | 'suspense'
  | 'failed';

export interface StoredCallback {
  id: number;
  kind: CallbackKind;
  ref: string | null;
  body: string;
  outcome: CallbackOutcome;
  receivedAt: Date;
}

/** committed on its own, before anything is applied: the record survives whatever happens next */
export async function recordCallback(
  db: Queryable,
  c: { kind: CallbackKind; ref: string | null; sourceIp: string | null; body: string; now: Date },
): Promise<number> {
  const { rows } = await db.query<{ id: unknown }>(
    `INSERT INTO payment_callbacks (kind, ref, source_ip, body, received_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [c.kind, c.ref, c.sourceIp, c.body, c.now],
  );
  return int(rows[0]!.id);
}

export async function finishCallback(q: Queryable, id: number, outcome: CallbackOutcome, now: Date, detail?: string): Promise<void> {
  await q.query(`UPDATE payment_callbacks SET outcome = $2, detail = $3, processed_at = $4 WHERE id = $1`, [
    id,
    outcome,
    detail ?? null,
    now,
  ]);
}

interface CallbackRow {
  id: unknown;
  kind: CallbackKind;
  ref: string | null;
  body: string;
  outcome: CallbackOutcome;
  received_at: Date | string;
}

const toCallback = (r: CallbackRow): StoredCallback => ({
  id: int(r.id),
  kind: r.kind,
  ref: r.ref,
  body: r.body,
  outcome: r.outcome,
  receivedAt: new Date(r.received_at),
});

/** STK callbacks for a checkout that arrived before its deposit knew the CheckoutRequestID */
export async function waitingStkCallbacks(q: Queryable, checkoutRequestId: string): Promise<StoredCallback[]> {
  const { rows } = await q.query<CallbackRow>(
    `SELECT id, kind, ref, body, outcome, received_at FROM payment_callbacks
      WHERE kind = 'stk' AND ref = $1 AND outcome IN ('received', 'unmatched') ORDER BY id`,
    [checkoutRequestId],
  );
  return rows.map(toCallback);
}

/** callbacks stored but never applied (our failure mid-way), or left unmatched, older than `before` */
export async function callbacksToReplay(q: Queryable, before: Date, limit: number): Promise<StoredCallback[]> {
  const { rows } = await q.query<CallbackRow>(
    `SELECT id, kind, ref, body, outcome, received_at FROM payment_callbacks
      WHERE received_at <= $1
        AND ((outcome = 'received' AND kind IN ('stk', 'b2c_result', 'status_result', 'c2b_confirmation'))
          OR (outcome = 'unmatched' AND kind = 'stk'))
      ORDER BY id LIMIT $2`,
    [before, limit],
  );
  return rows.map(toCallback);
}

// ----------------------------------------------------------------------------------------------------- deposits

export type DepositState = 'pending' | 'credited' | 'failed' | 'unresolved';

export interface DepositRow {
  id: number;
  playerId: number;
  msisdn: string;
  amount: Cents;
  state: DepositState;
  checkoutRequestId: string | null;
  merchantRequestId: string | null;
  receipt: string | null;
  creditKey: string | null;
  resultCode: string | null;
  resultDesc: string | null;
  flag: string | null;
  paidAmount: Cents | null;
  attempts: number;
  createdAt: Date;
}

interface RawDeposit {
  id: unknown;
  player_id: unknown;
  msisdn: string;
  amount: unknown;
  state: DepositState;
  checkout_request_id: string | null;
  merchant_request_id: string | null;
  receipt: string | null;
  credit_key: string | null;
  result_code: string | null;
  result_desc: string | null;
  flag: string | null;
  paid_amount: unknown;
  attempts: unknown;
  created_at: Date | string;
}

const toDeposit = (r: RawDeposit): DepositRow => ({
  id: int(r.id),
  playerId: int(r.player_id),
  msisdn: r.msisdn,
  amount: int(r.amount),
  state: r.state,
  checkoutRequestId: r.checkout_request_id,
  merchantRequestId: r.merchant_request_id,
  receipt: r.receipt,
  creditKey: r.credit_key,
  resultCode: r.result_code,
  resultDesc: r.result_desc,
  flag: r.flag,
  paidAmount: intOrNull(r.paid_amount),
  attempts: int(r.attempts),
  createdAt: new Date(r.created_at),
});

export async function insertDeposit(q: Queryable, d: { playerId: number; msisdn: string; amount: Cents; now: Date }): Promise<number> {
  const { rows } = await q.query<{ id: unknown }>(
    `INSERT INTO deposits (player_id, msisdn, amount, state, created_at, updated_at) VALUES ($1, $2, $3, 'pending', $4, $4)
     RETURNING id`,
    [d.playerId, d.msisdn, d.amount, d.now],
  );
  return int(rows[0]!.id);
}

/** Daraja accepted the push; a row that already has a checkout (adopted by reconciliation) keeps it */
export async function setDepositCheckout(
  q: Queryable,
  id: number,
  c: { checkoutRequestId: string; merchantRequestId: string; now: Date; nextCheckAt: Date },
): Promise<void> {
  await q.query(
    `UPDATE deposits SET checkout_request_id = $2, merchant_request_id = $3, updated_at = $4, next_check_at = $5
      WHERE id = $1 AND checkout_request_id IS NULL`,
    [id, c.checkoutRequestId, c.merchantRequestId, c.now, c.nextCheckAt],
  );
}

export async function getDeposit(q: Queryable, id: number): Promise<DepositRow | null> {
  const { rows } = await q.query<RawDeposit>('SELECT * FROM deposits WHERE id = $1', [id]);
  return rows[0] ? toDeposit(rows[0]) : null;
}

export async function lockDeposit(q: Queryable, id: number): Promise<DepositRow | null> {
  const { rows } = await q.query<RawDeposit>('SELECT * FROM deposits WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ? toDeposit(rows[0]) : null;
}

export async function lockDepositByCheckout(q: Queryable, checkoutRequestId: string): Promise<DepositRow | null> {
  const { rows } = await q.query<RawDeposit>('SELECT * FROM deposits WHERE checkout_request_id = $1 FOR UPDATE', [
    checkoutRequestId,
  ]);
  return rows[0] ? toDeposit(rows[0]) : null;
}

export async function updateDeposit(
  q: Queryable,
  id: number,
  now: Date,
  set: Partial<{
    state: DepositState;
    receipt: string | null;
    creditKey: string | null;
    resultCode: string | null;
    resultDesc: string | null;
    flag: string | null;
    paidAmount: Cents | null;
    paidMsisdn: string | null;
    attempts: number;
    nextCheckAt: Date | null;
    resolved: boolean;
  }>,
): Promise<void> {
  await updateRow(q, 'deposits', id, now, set.resolved, {
    state: set.state,
    receipt: set.receipt,
    credit_key: set.creditKey,
    result_code: set.resultCode,
    result_desc: set.resultDesc,
    flag: set.flag,
    paid_amount: set.paidAmount,
    paid_msisdn: set.paidMsisdn,
    attempts: set.attempts,
    next_check_at: set.nextCheckAt,
  });
}

/** pending deposits due a check: Daraja accepted them (or never answered) before `before` */
export async function depositsToCheck(q: Queryable, before: Date, now: Date, limit: number): Promise<DepositRow[]> {
  const { rows } = await q.query<RawDeposit>(
    `SELECT * FROM deposits
      WHERE state = 'pending' AND created_at <= $1 AND (next_check_at IS NULL OR next_check_at <= $2)
      ORDER BY id LIMIT $3`,
    [before, now, limit],
  );
  return rows.map(toDeposit);
}

/**
 * A deposit the push of which never told us its CheckoutRequestID (the request timed out), for the same phone and
 * amount, recent enough to be the one an unmatched callback is about. Only an unambiguous single match is adopted.
 */
export async function lockOrphanDeposit(q: Queryable, msisdn: string, amount: Cents, since: Date): Promise<DepositRow | null> {
  const { rows } = await q.query<RawDeposit>(
    `SELECT * FROM deposits
      WHERE checkout_request_id IS NULL AND msisdn = $1 AND amount = $2 AND created_at >= $3
        AND (state = 'pending' OR (state = 'failed' AND result_code = 'no_response'))
      ORDER BY id FOR UPDATE`,
    [msisdn, amount, since],
  );
  return rows.length === 1 ? toDeposit(rows[0]!) : null;
}

export async function adoptCheckout(q: Queryable, id: number, checkoutRequestId: string, merchantRequestId: string | null, now: Date) {
  await q.query(
    `UPDATE deposits SET checkout_request_id = $2, merchant_request_id = $3, updated_at = $4 WHERE id = $1`,
    [id, checkoutRequestId, merchantRequestId, now],
  );
}

// ------------------------------------------------------------------------------------------------------ payouts

export type PayoutState = 'pending' | 'accepted' | 'timed_out' | 'paid' | 'failed' | 'unresolved';

export interface PayoutRow {
  id: number;
  withdrawalId: number;
  msisdn: string;
  amount: Cents;
  sentAmount: Cents;
  originatorConversationId: string;
  conversationId: string | null;
  state: PayoutState;
  receipt: string | null;
  resultCode: string | null;
  flag: string | null;
  statusConversationId: string | null;
  statusOriginatorId: string | null;
  attempts: number;
  createdAt: Date;
}

interface RawPayout {
  id: unknown;
  withdrawal_id: unknown;
  msisdn: string;
  amount: unknown;
  sent_amount: unknown;
  originator_conversation_id: string;
  conversation_id: string | null;
  state: PayoutState;
  receipt: string | null;
  result_code: string | null;
  flag: string | null;
  status_conversation_id: string | null;
  status_originator_id: string | null;
  attempts: unknown;
  created_at: Date | string;
}

const toPayout = (r: RawPayout): PayoutRow => ({
  id: int(r.id),
  withdrawalId: int(r.withdrawal_id),
  msisdn: r.msisdn,
  amount: int(r.amount),
  sentAmount: int(r.sent_amount),
  originatorConversationId: r.originator_conversation_id,
  conversationId: r.conversation_id,
  state: r.state,
  receipt: r.receipt,
  resultCode: r.result_code,
  flag: r.flag,
  statusConversationId: r.status_conversation_id,
  statusOriginatorId: r.status_originator_id,
  attempts: int(r.attempts),
  createdAt: new Date(r.created_at),
});

/** the payout of a withdrawal, created once: a second call finds the first row */
export async function ensurePayout(
  q: Queryable,
  p: { withdrawalId: number; msisdn: string; amount: Cents; sentAmount: Cents; originatorConversationId: string; now: Date },
): Promise<{ payout: PayoutRow; created: boolean }> {
  const { rows } = await q.query<RawPayout>(
    `INSERT INTO payouts (withdrawal_id, msisdn, amount, sent_amount, originator_conversation_id, state, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)
     ON CONFLICT (withdrawal_id) DO NOTHING RETURNING *`,
    [p.withdrawalId, p.msisdn, p.amount, p.sentAmount, p.originatorConversationId, p.now],
  );
  if (rows[0]) return { payout: toPayout(rows[0]), created: true };
  const existing = await q.query<RawPayout>('SELECT * FROM payouts WHERE withdrawal_id = $1', [p.withdrawalId]);
  return { payout: toPayout(existing.rows[0]!), created: false };
}

export async function getPayoutByWithdrawal(q: Queryable, withdrawalId: number): Promise<PayoutRow | null> {
  const { rows } = await q.query<RawPayout>('SELECT * FROM payouts WHERE withdrawal_id = $1', [withdrawalId]);
  return rows[0] ? toPayout(rows[0]) : null;
}

export async function lockPayout(q: Queryable, id: number): Promise<PayoutRow | null> {
  const { rows } = await q.query<RawPayout>('SELECT * FROM payouts WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ? toPayout(rows[0]) : null;
}

/** by our OriginatorConversationID first, Daraja's ConversationID second */
export async function lockPayoutByConversation(q: Queryable, originatorId: string | null, conversationId: string | null) {
  const { rows } = await q.query<RawPayout>(
    `SELECT * FROM payouts WHERE originator_conversation_id = $1 OR ($2::text IS NOT NULL AND conversation_id = $2)
      ORDER BY (originator_conversation_id = $1) DESC LIMIT 1 FOR UPDATE`,
    [originatorId ?? '', conversationId],
  );
  return rows[0] ? toPayout(rows[0]) : null;
}

/** the payout a Transaction Status result is about: by the query's own ids, else by the original id it names */
export async function lockPayoutForStatus(
  q: Queryable,
  ids: { statusConversationId: string | null; statusOriginatorId: string | null; originalId: string | null },
): Promise<PayoutRow | null> {
  const { rows } = await q.query<RawPayout>(
    `SELECT * FROM payouts
      WHERE ($1::text IS NOT NULL AND status_conversation_id = $1)
         OR ($2::text IS NOT NULL AND status_originator_id = $2)
         OR ($3::text IS NOT NULL AND originator_conversation_id = $3)
      ORDER BY id LIMIT 1 FOR UPDATE`,
    [ids.statusConversationId, ids.statusOriginatorId, ids.originalId],
  );
  return rows[0] ? toPayout(rows[0]) : null;
}

export async function updatePayout(
  q: Queryable,
  id: number,
  now: Date,
  set: Partial<{
    state: PayoutState;
    conversationId: string | null;
    receipt: string | null;
    resultCode: string | null;
    resultDesc: string | null;
    flag: string | null;
    statusConversationId: string | null;
    statusOriginatorId: string | null;
    attempts: number;
    nextCheckAt: Date | null;
    resolved: boolean;
  }>,
): Promise<void> {
  await updateRow(q, 'payouts', id, now, set.resolved, {
    state: set.state,
    conversation_id: set.conversationId,
    receipt: set.receipt,
    result_code: set.resultCode,
    result_desc: set.resultDesc,
    flag: set.flag,
    status_conversation_id: set.statusConversationId,
    status_originator_id: set.statusOriginatorId,
    attempts: set.attempts,
    next_check_at: set.nextCheckAt,
  });
}

export async function payoutsToCheck(q: Queryable, before: Date, now: Date, limit: number): Promise<PayoutRow[]> {
  const { rows } = await q.query<RawPayout>(
    `SELECT * FROM payouts
      WHERE state IN ('pending', 'accepted', 'timed_out') AND created_at <= $1
        AND (next_check_at IS NULL OR next_check_at <= $2)
      ORDER BY id LIMIT $3`,
    [before, now, limit],
  );
  return rows.map(toPayout);
}

// ----------------------------------------------------------------------------------------------------- suspense

export type SuspenseSource = 'c2b_unknown_account' | 'stk_mismatch' | 'stk_unmatched';

/**
 * Money M-Pesa says arrived but that we cannot credit to anyone: mpesa_clearing → suspense in the ledger, and a row
 * for support. Idempotent by (source, ref): the ledger key is derived from them.
 */
export async function parkInSuspense(
  core: Core,
  q: Queryable,
  s: {
    source: SuspenseSource;
    ref: string;
    amount: Cents;
    reason: string;
    msisdn?: string | null;
    account?: string | null;
    receipt?: string | null;
    playerId?: number | null;
    depositId?: number | null;
    now: Date;
  },
): Promise<'created' | 'duplicate'> {
  const result = await transfer(q, {
    key: `suspense:${s.source}:${s.ref}`,
    kind: 'payment_suspense',
    reference: s.receipt ?? s.ref,
    now: s.now,
    legs: [
      { account: core.accounts.mpesa_clearing, amount: -s.amount },
      { account: core.accounts.suspense, amount: s.amount },
    ],
  });
  if (result.status === 'conflict') throw new Error(`suspense ${s.source}:${s.ref} already parked with another amount`);
  if (result.status === 'insufficient_funds') throw new Error('suspense cannot overdraw');
  await q.query(
    `INSERT INTO payment_suspense (source, ref, amount, msisdn, account, receipt, player_id, deposit_id, reason, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (source, ref) DO NOTHING`,
    [s.source, s.ref, s.amount, s.msisdn ?? null, s.account ?? null, s.receipt ?? null, s.playerId ?? null, s.depositId ?? null, s.reason, s.now],
  );
  return result.status;
}

/** `pg_try_advisory_lock` on one connection for the length of `fn`; null when another holder has it */
export async function withAdvisoryLock<T>(db: Db, key: number, fn: () => Promise<T>): Promise<T | null> {
  return db.session(async (s) => {
    const { rows } = await s.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
    if (!rows[0]?.locked) return null;
    try {
      return await fn();
    } finally {
      await s.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  });
}

/** sets updated_at, the columns given (undefined ones are left as they are) and resolved_at when asked */
async function updateRow(
  q: Queryable,
  table: 'deposits' | 'payouts',
  id: number,
  now: Date,
  resolved: boolean | undefined,
  values: Record<string, unknown>,
): Promise<void> {
  const columns = Object.entries(values).filter(([, v]) => v !== undefined);
  const assignments = ['updated_at = $2', ...columns.map(([c], i) => `${c} = $${i + 3}`)];
  if (resolved) assignments.push('resolved_at = $2');
  await q.query(`UPDATE ${table} SET ${assignments.join(', ')} WHERE id = $1`, [id, now, ...columns.map(([, v]) => v)]);
}
