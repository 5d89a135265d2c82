/**
 * What B2C tells us about a payout, and what Transaction Status tells us when B2C did not:
 *
 * - B2C result, success → core `completeWithdrawal` with the TransactionReceipt (else TransactionID); failure → core
 *   `failWithdrawal` with the reason (the reserved amount returns to the wallet). Once per payout: later copies
 *   change nothing.
 * - B2C queue timeout → NOT a failure and never a refund: the payout is marked `timed_out` and Transaction Status is
 *   asked; its result (on our status ResultURL) completes or fails the withdrawal. Until one of them says so, the money
 *   stays reserved.
 * - A success after we refunded (a failure result, then a success) means the player was paid AND refunded: the payout
 *   is flagged `paid_after_refund` and marked unresolved for support; nothing is moved automatically.
 *
 * B2C pays whole shillings, while the withdrawal's net (after withholding tax) may carry cents: B2C is asked for the
 * shillings, and the cents it could not pay go back to the wallet in the transaction that completes the withdrawal
 * (mpesa_clearing → wallet), so the ledger matches what M-Pesa paid.
 */
import { z } from 'zod';
import type { Core } from '../../core/core.ts';
import type { Queryable } from '../../core/db.ts';
import { transfer } from '../../core/ledger.ts';
import { completeWithdrawal, failWithdrawal } from '../../core/wallet.ts';
import { KeyedItem, isSuccess, keyed, oneOrMany, payoutFailureReason, resultCode } from './daraja-results.ts';
import {
  finishCallback,
  lockPayoutByConversation,
  lockPayoutForStatus,
  updatePayout,
  type CallbackOutcome,
  type PayoutRow,
} from './payments-store.ts';

const ResultEnvelope = z.object({
  Result: z.object({
    ResultType: z.union([z.number(), z.string()]).optional(),
    ResultCode: z.union([z.number().int(), z.string().trim().min(1).max(40)]),
    ResultDesc: z.string().max(1000).optional(),
    OriginatorConversationID: z.string().max(100).optional(),
    ConversationID: z.string().max(100).optional(),
    TransactionID: z.string().max(100).optional(),
    ResultParameters: z.object({ ResultParameter: oneOrMany(KeyedItem) }).optional(),
    ReferenceData: z.object({ ReferenceItem: oneOrMany(KeyedItem) }).optional(),
  }),
});

/** a result we can place: it names our OriginatorConversationID or Daraja's ConversationID */
export const B2cResultSchema = ResultEnvelope.refine(
  (b) => Boolean(b.Result.OriginatorConversationID || b.Result.ConversationID),
  { message: 'Result names no conversation', path: ['Result', 'OriginatorConversationID'] },
);
export type B2cResult = z.infer<typeof B2cResultSchema>;

/** undocumented; practitioners report the same Result envelope, so that is what is required */
export const B2cTimeoutSchema = B2cResultSchema;

export const StatusResultSchema = ResultEnvelope;
export type StatusResult = z.infer<typeof StatusResultSchema>;

export type PayoutApplyOutcome = 'paid' | 'failed' | 'duplicate' | 'unmatched' | 'ignored' | 'conflict' | 'timed_out' | 'pending';

export function payoutCallbackOutcome(o: PayoutApplyOutcome): CallbackOutcome {
  switch (o) {
    case 'paid':
    case 'failed':
    case 'timed_out':
      return 'applied';
    case 'unmatched':
    case 'duplicate':
      return o;
    default:
      return 'ignored';
  }
}

function str(v: string | number | undefined): string | null {
  return v === undefined || String(v).trim() === '' ? null : String(v).trim().slice(0, 100);
}

/** completes the withdrawal (and returns the unpaid cents) under the payout lock */
async function markPaid(core: Core, q: Queryable, p: PayoutRow, receipt: string, code: string, desc: string, now: Date): Promise<PayoutApplyOutcome> {
  if (p.state === 'paid') return 'duplicate';
  if (p.state === 'failed' || (p.state === 'unresolved' && p.flag === 'paid_after_refund')) {
    await updatePayout(q, p.id, now, { state: 'unresolved', flag: 'paid_after_refund', receipt, resultCode: code, resultDesc: desc, resolved: true });
    return 'conflict';
  }
  const done = await completeWithdrawal(core, { withdrawalId: p.withdrawalId, receipt, now }, q);
  if (!done.ok) {
    // the withdrawal was failed by someone else (support, by hand): the same situation as a refund
    await updatePayout(q, p.id, now, { state: 'unresolved', flag: 'paid_after_refund', receipt, resultCode: code, resultDesc: desc, resolved: true });
    return 'conflict';
  }
  const unpaid = p.amount - p.sentAmount;
  if (unpaid > 0) {
    const { rows } = await q.query<{ wallet_account_id: unknown }>(
      'SELECT p.wallet_account_id FROM players p JOIN withdrawals w ON w.player_id = p.id WHERE w.id = $1',
      [p.withdrawalId],
    );
    const result = await transfer(q, {
      key: `payout:${p.withdrawalId}:unpaid_cents`,
      kind: 'payout_unpaid_cents',
      reference: receipt,
      now,
      legs: [
        { account: core.accounts.mpesa_clearing, amount: -unpaid },
        { account: Number(rows[0]!.wallet_account_id), amount: unpaid },
      ],
    });
    if (result.status === 'conflict' || result.status === 'insufficient_funds') {
      throw new Error(`payout ${p.id}: returning unpaid cents said ${result.status}`);
    }
  }
  await updatePayout(q, p.id, now, { state: 'paid', receipt, resultCode: code, resultDesc: desc, nextCheckAt: null, resolved: true });
  return 'paid';
}

async function markFailed(core: Core, q: Queryable, p: PayoutRow, code: string, reason: string, desc: string, now: Date): Promise<PayoutApplyOutcome> {
  if (p.state === 'failed') return 'duplicate';
  // paid is final: a failure after it is noise; unresolved is support's
  if (p.state === 'paid' || p.state === 'unresolved') return 'ignored';
  const failed = await failWithdrawal(core, { withdrawalId: p.withdrawalId, reason, now }, q);
  if (!failed.ok) {
    await updatePayout(q, p.id, now, { state: 'unresolved', flag: `withdrawal_${failed.reason}`, resultCode: code, resultDesc: desc, resolved: true });
    return 'conflict';
  }
  await updatePayout(q, p.id, now, { state: 'failed', resultCode: code, resultDesc: desc, nextCheckAt: null, resolved: true });
  return 'failed';
}

export async function applyB2cResult(core: Core, body: B2cResult, callbackId: number | null): Promise<PayoutApplyOutcome> {
  const r = body.Result;
  return core.db.tx(async (q) => {
    const now = core.clock();
    const p = await lockPayoutByConversation(q, r.OriginatorConversationID ?? null, r.ConversationID ?? null);
    let outcome: PayoutApplyOutcome;
    if (!p) outcome = 'unmatched';
    else {
      const code = resultCode(r.ResultCode);
      const desc = r.ResultDesc ?? '';
      const params = r.ResultParameters?.ResultParameter;
      if (isSuccess(code)) {
        const receipt = str(keyed(params, 'TransactionReceipt')) ?? str(r.TransactionID) ?? `b2c:${p.originatorConversationId}`;
        outcome = await markPaid(core, q, p, receipt, code, desc, now);
      } else {
        outcome = await markFailed(core, q, p, code, payoutFailureReason(code, desc), desc, now);
      }
    }
    if (callbackId !== null) await finishCallback(q, callbackId, payoutCallbackOutcome(outcome), now, p ? `payout ${p.id}` : undefined);
    return outcome;
  });
}

/** the queue timed out: ask, never refund. Returns the payout to ask about, if any. */
export async function applyB2cTimeout(
  core: Core,
  body: B2cResult,
  callbackId: number | null,
): Promise<{ outcome: PayoutApplyOutcome; payoutId: number | null }> {
  const r = body.Result;
  return core.db.tx(async (q) => {
    const now = core.clock();
    const p = await lockPayoutByConversation(q, r.OriginatorConversationID ?? null, r.ConversationID ?? null);
    let outcome: PayoutApplyOutcome = 'unmatched';
    if (p && (p.state === 'pending' || p.state === 'accepted' || p.state === 'timed_out')) {
      await updatePayout(q, p.id, now, { state: 'timed_out', nextCheckAt: now });
      outcome = 'timed_out';
    } else if (p) outcome = 'duplicate';
    if (callbackId !== null) await finishCallback(q, callbackId, payoutCallbackOutcome(outcome), now, p ? `payout ${p.id}` : undefined);
    return { outcome, payoutId: outcome === 'timed_out' ? p!.id : null };
  });
}

const COMPLETED = /^completed$/i;
const NOT_PAID = /^(failed|declined|cancell?ed|expired|reversed|rejected)$/i;

/**
 * Transaction Status answered. `Completed` → paid with its ReceiptNo; a definite not-paid status → failed (refund);
 * anything else (still pending, or the query itself failed) → left for reconciliation to ask again, which flags the
 * payout unresolved after RECONCILE_MAX_ATTEMPTS.
 */
export async function applyStatusResult(core: Core, body: StatusResult, callbackId: number | null): Promise<PayoutApplyOutcome> {
  const r = body.Result;
  const params = r.ResultParameters?.ResultParameter;
  const references = r.ReferenceData?.ReferenceItem;
  return core.db.tx(async (q) => {
    const now = core.clock();
    const p = await lockPayoutForStatus(q, {
      statusConversationId: r.ConversationID ?? null,
      statusOriginatorId: r.OriginatorConversationID ?? null,
      // we send our OriginatorConversationID as the Occasion; Daraja echoes it in ReferenceData
      originalId: str(keyed(references, 'Occasion')) ?? str(keyed(params, 'OriginatorConversationID')),
    });
    let outcome: PayoutApplyOutcome;
    if (!p) outcome = 'unmatched';
    else if (p.state === 'paid' || p.state === 'failed') outcome = 'duplicate';
    else {
      const code = resultCode(r.ResultCode);
      const status = str(keyed(params, 'TransactionStatus')) ?? '';
      const desc = `status: ${status || r.ResultDesc || code}`;
      if (isSuccess(code) && COMPLETED.test(status)) {
        const receipt = str(keyed(params, 'ReceiptNo')) ?? str(r.TransactionID) ?? `b2c:${p.originatorConversationId}`;
        outcome = await markPaid(core, q, p, receipt, code, desc, now);
      } else if (isSuccess(code) && NOT_PAID.test(status)) {
        outcome = await markFailed(core, q, p, `status_${status.toLowerCase()}`, `M-Pesa reports the payout ${status.toLowerCase()}`, desc, now);
      } else {
        outcome = 'pending';
      }
    }
    if (callbackId !== null) await finishCallback(q, callbackId, payoutCallbackOutcome(outcome), now, p ? `payout ${p.id}` : undefined);
    return outcome;
  });
}
