/**
 * The result of an STK push, from whichever path brings it first: the callback, reconciliation's STK query, or the
 * C2B copy of the same payment. Each is applied to the deposit row under its lock, in one transaction with the
 * ledger credit and the SMS, so the deposit — not the receipt string — is the unit of idempotency:
 *
 * - success, deposit not yet credited → credited through the core `deposit` under the M-Pesa receipt (or
 *   `stkq:<CheckoutRequestID>` when only the query answered: it carries no receipt). A later callback for a credited
 *   deposit changes nothing but recording the real receipt.
 * - success after a failure (a failure callback, a failed query) → still credited: M-Pesa took the money. Flagged
 *   `paid_after_failure` because the player was already told it failed.
 * - success whose amount or phone differs from what we asked → NOT credited to the wallet: the amount M-Pesa reports
 *   is parked in `suspense` and the deposit marked `unresolved` (flag amount_mismatch / phone_mismatch) for support.
 *   Callbacks are unsigned, so a wallet is never credited with a figure we did not ask for; the money is on the
 *   books either way.
 * - failure, deposit pending → failed with the code and a reason in plain words, `deposit_failed` SMS queued.
 *   A failure after a credit changes nothing.
 */
import { z } from 'zod';
import type { Core } from '../../core/core.ts';
import type { Queryable } from '../../core/db.ts';
import { queueSms } from '../../core/outbox.ts';
import { deposit } from '../../core/wallet.ts';
import {
  NamedItem,
  depositFailureReason,
  isSuccess,
  named,
  oneOrMany,
  phoneMatches,
  resultCode,
  shillingsToCents,
} from './daraja-results.ts';
import {
  adoptCheckout,
  finishCallback,
  lockDepositByCheckout,
  lockOrphanDeposit,
  parkInSuspense,
  updateDeposit,
  type CallbackOutcome,
  type DepositRow,
} from './payments-store.ts';

export const StkCallbackSchema = z.object({
  Body: z.object({
    stkCallback: z.object({
      MerchantRequestID: z.string().max(100).optional(),
      CheckoutRequestID: z.string().min(1).max(100),
      // a number as documented, but a string ("SFC_IC0003") has been seen
      ResultCode: z.union([z.number().int(), z.string().trim().min(1).max(40)]),
      ResultDesc: z.string().max(1000).optional(),
      CallbackMetadata: z.object({ Item: oneOrMany(NamedItem) }).optional(),
    }),
  }),
});
export type StkCallback = z.infer<typeof StkCallbackSchema>;

/** what a push came to, whatever said so */
export interface StkResult {
  checkoutRequestId: string;
  merchantRequestId: string | null;
  resultCode: string;
  resultDesc: string;
  /** MpesaReceiptNumber (callback) or TransID (C2B copy); the STK query has none */
  receipt: string | null;
  /** what M-Pesa says was paid, in cents; null when not said */
  amount: number | null;
  phone: string | number | undefined;
  source: 'callback' | 'query' | 'c2b';
}

export function stkResultFromCallback(cb: StkCallback): StkResult {
  const s = cb.Body.stkCallback;
  const items = s.CallbackMetadata?.Item;
  const receipt = named(items, 'MpesaReceiptNumber');
  return {
    checkoutRequestId: s.CheckoutRequestID,
    merchantRequestId: s.MerchantRequestID ?? null,
    resultCode: resultCode(s.ResultCode),
    resultDesc: s.ResultDesc ?? '',
    receipt: receipt === undefined || String(receipt).trim() === '' ? null : String(receipt).trim().slice(0, 40),
    amount: shillingsToCents(named(items, 'Amount')),
    phone: named(items, 'PhoneNumber'),
    source: 'callback',
  };
}

export type StkApplyOutcome = 'credited' | 'failed' | 'duplicate' | 'suspense' | 'ignored' | 'conflict' | 'unmatched';

/** the outcome recorded on the raw callback */
export function callbackOutcome(o: StkApplyOutcome): CallbackOutcome {
  switch (o) {
    case 'credited':
    case 'failed':
      return 'applied';
    case 'conflict':
      return 'ignored';
    default:
      return o;
  }
}

/** money is accounted elsewhere (suspense, another credit): only support moves this deposit on */
const PARKED_FLAGS = new Set(['amount_mismatch', 'phone_mismatch', 'receipt_conflict']);

/** applies `r` to a deposit already locked by the caller's transaction */
export async function resolveDeposit(core: Core, q: Queryable, dep: DepositRow, r: StkResult, now: Date): Promise<StkApplyOutcome> {
  const parked = dep.state === 'unresolved' && dep.flag !== null && PARKED_FLAGS.has(dep.flag);
  if (isSuccess(r.resultCode)) {
    if (dep.state === 'credited') {
      // a late callback after a credit from the STK query brings the real receipt: keep it for support
      if (r.receipt && !dep.receipt) await updateDeposit(q, dep.id, now, { receipt: r.receipt });
      return 'duplicate';
    }
    if (parked) return 'duplicate';
    const amountWrong = r.amount !== null && r.amount !== dep.amount;
    const phoneWrong = !phoneMatches(dep.msisdn, r.phone);
    if (amountWrong || phoneWrong) {
      const flag = amountWrong ? 'amount_mismatch' : 'phone_mismatch';
      const paid = r.amount ?? dep.amount;
      if (paid > 0) await parkInSuspense(core, q, {
        source: 'stk_mismatch',
        ref: r.checkoutRequestId,
        amount: paid,
        reason: `${flag}: asked ${dep.amount} cents from ${dep.msisdn}, M-Pesa reports ${paid} cents from ${String(r.phone ?? '?')}`,
        msisdn: r.phone === undefined ? null : String(r.phone),
        receipt: r.receipt,
        playerId: dep.playerId,
        depositId: dep.id,
        now,
      });
      await updateDeposit(q, dep.id, now, {
        state: 'unresolved',
        flag,
        receipt: r.receipt,
        resultCode: r.resultCode,
        resultDesc: r.resultDesc,
        paidAmount: paid,
        paidMsisdn: r.phone === undefined ? null : String(r.phone),
        resolved: true,
      });
      return 'suspense';
    }
    const creditKey = r.receipt ?? (r.source === 'query' ? `stkq:${r.checkoutRequestId}` : `stk:${r.checkoutRequestId}`);
    const credited = await deposit(core, { playerId: dep.playerId, amount: dep.amount, receipt: creditKey, now }, q);
    if (!credited.ok) {
      // the receipt was credited before with another amount or to another wallet: nothing moves, support looks
      await updateDeposit(q, dep.id, now, { state: 'unresolved', flag: 'receipt_conflict', receipt: r.receipt, resultCode: r.resultCode, resolved: true });
      return 'conflict';
    }
    await updateDeposit(q, dep.id, now, {
      state: 'credited',
      receipt: r.receipt,
      creditKey,
      resultCode: r.resultCode,
      resultDesc: r.resultDesc,
      // the player may have been told it failed; support may have been looking at it
      flag: dep.state === 'failed' ? 'paid_after_failure' : dep.state === 'unresolved' ? 'late_result' : dep.flag,
      nextCheckAt: null,
      resolved: true,
    });
    return 'credited';
  }

  if (dep.state === 'pending' || (dep.state === 'unresolved' && !parked)) {
    const reason = depositFailureReason(r.resultCode);
    await updateDeposit(q, dep.id, now, {
      state: 'failed',
      flag: dep.state === 'unresolved' ? 'late_result' : dep.flag,
      resultCode: r.resultCode,
      resultDesc: r.resultDesc,
      nextCheckAt: null,
      resolved: true,
    });
    await queueSms(q, {
      playerId: dep.playerId,
      kind: 'deposit_failed',
      params: { depositId: dep.id, amount: dep.amount, code: r.resultCode, reason },
      dedupeKey: `deposit_failed:${dep.id}`,
      now,
    });
    return 'failed';
  }
  return dep.state === 'failed' ? 'duplicate' : 'ignored';
}

/**
 * Applies an STK result by its CheckoutRequestID, marking the raw callback (when there is one) in the same
 * transaction. No deposit with that checkout yet: 'unmatched' (the callback beat the push's reply, or the push timed
 * out before we learned its id) — startDeposit and reconciliation pick it up.
 */
export async function applyStkResult(core: Core, r: StkResult, callbackId: number | null): Promise<StkApplyOutcome> {
  return core.db.tx(async (q) => {
    const now = core.clock();
    const dep = await lockDepositByCheckout(q, r.checkoutRequestId);
    const outcome = dep ? await resolveDeposit(core, q, dep, r, now) : 'unmatched';
    if (callbackId !== null) await finishCallback(q, callbackId, callbackOutcome(outcome), now, dep ? `deposit ${dep.id}` : undefined);
    return outcome;
  });
}

/**
 * Reconciliation's last word on a callback nobody claimed: a deposit whose push timed out (so it never learned its
 * CheckoutRequestID) for the same phone and amount adopts it; otherwise a payment is parked in suspense for support
 * and a failure is ignored (nothing was paid).
 */
export async function settleUnmatchedStk(
  core: Core,
  r: StkResult,
  callbackId: number,
  adoptWindowMs: number,
): Promise<StkApplyOutcome> {
  return core.db.tx(async (q) => {
    const now = core.clock();
    let dep = await lockDepositByCheckout(q, r.checkoutRequestId);
    if (!dep && isSuccess(r.resultCode) && r.amount !== null && r.phone !== undefined) {
      const phone = String(r.phone).replace(/^\+/, '');
      const orphan = await lockOrphanDeposit(q, phone, r.amount, new Date(now.getTime() - adoptWindowMs));
      if (orphan) {
        await adoptCheckout(q, orphan.id, r.checkoutRequestId, r.merchantRequestId, now);
        dep = { ...orphan, checkoutRequestId: r.checkoutRequestId };
      }
    }
    let outcome: StkApplyOutcome;
    if (dep) outcome = await resolveDeposit(core, q, dep, r, now);
    else if (isSuccess(r.resultCode) && (r.amount === null || r.amount <= 0)) {
      // paid, but neither whose push nor how much: only the M-Pesa statement can tell support
      await finishCallback(q, callbackId, 'failed', now, 'payment for an unknown push, without an amount');
      return 'ignored';
    } else if (isSuccess(r.resultCode)) {
      await parkInSuspense(core, q, {
        source: 'stk_unmatched',
        ref: r.checkoutRequestId,
        amount: r.amount!,
        reason: 'STK payment for a push we have no record of',
        msisdn: r.phone === undefined ? null : String(r.phone),
        receipt: r.receipt,
        now,
      });
      outcome = 'suspense';
    } else outcome = 'ignored';
    await finishCallback(q, callbackId, callbackOutcome(outcome), now, dep ? `deposit ${dep.id}` : 'no deposit');
    return outcome;
  });
}
