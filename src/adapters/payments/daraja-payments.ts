/**
 * The payments port on Daraja (real, or the local simulator behind the same client).
 *
 * Deposit: a `deposits` row is written first (so a callback is never for something we have no record of), then the
 * STK push is sent under a tight deadline — the USSD hop is waiting — and its CheckoutRequestID is returned as the
 * reference. Refusals: throttling and "a transaction is already in process" → `payments_busy`; outage, timeout,
 * circuit open, anything else → `payments_unavailable`. A push that timed out may still have reached the phone: its
 * row stays pending without a CheckoutRequestID, and a callback nobody claims is matched to it by reconciliation.
 *
 * Payout: a `payouts` row keyed by the withdrawal (OriginatorConversationID = the withdrawal id), then the B2C
 * request. A payout Daraja did not clearly take stays `pending` and reconciliation sends it again with the same
 * OriginatorConversationID (Daraja refuses a reuse, so it cannot pay twice); one Daraja refuses outright is failed
 * and the reserved amount returns to the wallet.
 */
import type { Logger } from 'pino';
import type { Core } from '../../core/core.ts';
import type { Cents } from '../../core/money.ts';
import { fail, ok } from '../../core/outcome.ts';
import { failWithdrawal } from '../../core/wallet.ts';
import { maskMsisdn } from '../telco/msisdn.ts';
import type { CallbackUrls } from './callback-urls.ts';
import { DarajaError, type DarajaClient } from './daraja-client.ts';
import type { DepositRequest, PaymentsPort, PayoutRequest } from './payments-port.ts';
import {
  ensurePayout,
  insertDeposit,
  lockPayout,
  setDepositCheckout,
  updateDeposit,
  updatePayout,
  waitingStkCallbacks,
  type PayoutRow,
} from './payments-store.ts';
import { applyStkResult, stkResultFromCallback, StkCallbackSchema } from './stk-callback.ts';

/** B2C pays at least KES 10 */
export const B2C_MIN_SHILLINGS = 10;

export interface DarajaPaymentsDeps {
  core: Core;
  client: DarajaClient;
  logger: Logger;
  /** built when needed: in simulator mode the base URL is known only once the server listens */
  urls: () => CallbackUrls;
  /** how long after its request a deposit or payout is checked by reconciliation (RECONCILE_AFTER_SECONDS) */
  checkAfterMs: number;
}

export interface DarajaPayments extends PaymentsPort {
  /** sends (or re-sends) a payout's B2C request */
  sendPayout(payout: PayoutRow): Promise<'accepted' | 'pending' | 'failed'>;
  /** asks Transaction Status about a payout; the answer comes to our status ResultURL */
  askPayoutStatus(payoutId: number): Promise<boolean>;
  /** STK callbacks that arrived before the push's reply was recorded */
  applyWaitingCallbacks(checkoutRequestId: string): Promise<void>;
  /** keeps track of background work started by a callback, so close() can wait for it */
  track(work: Promise<unknown>): void;
  /** resolves when no tracked background work is running (tests) */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function originatorIdFor(withdrawalId: number): string {
  return String(withdrawalId);
}

export function createDarajaPayments(deps: DarajaPaymentsDeps): DarajaPayments {
  const { core, client } = deps;
  const logger = deps.logger.child({ component: 'payments' });
  const running = new Set<Promise<unknown>>();
  let closed = false;

  const later = (now: Date) => new Date(now.getTime() + deps.checkAfterMs);

  const track = (work: Promise<unknown>) => {
    const p = work
      .catch((err: unknown) => logger.error({ err }, 'background payment work failed'))
      .finally(() => running.delete(p));
    running.add(p);
  };

  const applyWaitingCallbacks = async (checkoutRequestId: string) => {
    for (const cb of await waitingStkCallbacks(core.db, checkoutRequestId)) {
      const parsed = StkCallbackSchema.safeParse(JSON.parse(cb.body));
      if (!parsed.success) continue;
      const outcome = await applyStkResult(core, stkResultFromCallback(parsed.data), cb.id);
      logger.info({ checkoutRequestId, callbackId: cb.id, outcome }, 'early STK callback applied');
    }
  };

  const failPayout = async (payout: PayoutRow, code: string, reason: string, desc: string) => {
    await core.db.tx(async (q) => {
      const now = core.clock();
      const locked = await lockPayout(q, payout.id);
      if (!locked || (locked.state !== 'pending' && locked.state !== 'accepted')) return;
      const failed = await failWithdrawal(core, { withdrawalId: payout.withdrawalId, reason, now }, q);
      await updatePayout(q, payout.id, now, {
        state: failed.ok ? 'failed' : 'unresolved',
        flag: failed.ok ? null : `withdrawal_${failed.reason}`,
        resultCode: code,
        resultDesc: desc,
        nextCheckAt: null,
        resolved: true,
      });
    });
  };

  const sendPayout = async (payout: PayoutRow): Promise<'accepted' | 'pending' | 'failed'> => {
    const urls = deps.urls();
    try {
      const reply = await client.b2c({
        originatorConversationId: payout.originatorConversationId,
        amount: payout.sentAmount / 100,
        msisdn: payout.msisdn,
        remarks: `Withdrawal ${payout.withdrawalId}`,
        occasion: payout.originatorConversationId,
        resultUrl: urls.b2cResult,
        timeoutUrl: urls.b2cTimeout,
      });
      const now = core.clock();
      // the result may already have been applied (it can beat this reply): only a pending payout becomes accepted
      await core.db.query(
        `UPDATE payouts SET conversation_id = coalesce(conversation_id, $2), updated_at = $3,
                next_check_at = CASE WHEN state = 'pending' THEN $4 ELSE next_check_at END,
                state = CASE WHEN state = 'pending' THEN 'accepted' ELSE state END
          WHERE id = $1`,
        [payout.id, reply.conversationId, now, later(now)],
      );
      logger.info({ withdrawalId: payout.withdrawalId, conversationId: reply.conversationId }, 'B2C payout accepted');
      return 'accepted';
    } catch (err) {
      if (!(err instanceof DarajaError)) throw err;
      const now = core.clock();
      if (err.kind === 'duplicate') {
        // Daraja has this OriginatorConversationID already: the first request stands; its result (or a status
        // query) settles the payout
        await core.db.query(`UPDATE payouts SET state = 'accepted', updated_at = $2, next_check_at = $3 WHERE id = $1 AND state = 'pending'`, [
          payout.id,
          now,
          later(now),
        ]);
        return 'accepted';
      }
      if (err.kind === 'rejected') {
        logger.error({ err, withdrawalId: payout.withdrawalId }, 'B2C payout refused: the withdrawal is returned to the wallet');
        await failPayout(payout, err.errorCode ?? 'rejected', 'M-Pesa refused the payout', err.message);
        return 'failed';
      }
      // not known to be taken: reconciliation sends it again with the same OriginatorConversationID
      logger.warn({ withdrawalId: payout.withdrawalId, kind: err.kind, code: err.errorCode }, 'B2C payout not sent yet');
      await updatePayout(core.db, payout.id, now, { resultCode: err.errorCode ?? err.kind, resultDesc: err.message, nextCheckAt: later(now) });
      return 'pending';
    }
  };

  return {
    async startDeposit(input: DepositRequest) {
      if (closed) return fail('payments_unavailable');
      if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount % 100 !== 0) {
        // the menus only take whole shillings (M-Pesa moves nothing else)
        logger.error({ amount: input.amount }, 'deposit amount is not whole shillings');
        return fail('payments_unavailable');
      }
      // open circuit: answer at once, without a row for a push that will not be sent
      if (client.circuit() === 'open') return fail('payments_unavailable');
      const created = core.clock();
      const depositId = await insertDeposit(core.db, { playerId: input.playerId, msisdn: input.msisdn, amount: input.amount, now: created });
      try {
        const reply = await client.stkPush({
          amount: input.amount / 100,
          msisdn: input.msisdn,
          accountReference: `DEP${depositId}`,
          description: 'Deposit',
          callbackUrl: deps.urls().stk,
        });
        const now = core.clock();
        await setDepositCheckout(core.db, depositId, { ...reply, now, nextCheckAt: later(now) });
        await applyWaitingCallbacks(reply.checkoutRequestId);
        logger.info({ depositId, checkoutRequestId: reply.checkoutRequestId, amount: input.amount }, 'STK push accepted');
        return ok({ reference: reply.checkoutRequestId });
      } catch (err) {
        if (!(err instanceof DarajaError)) throw err;
        const now = core.clock();
        const unknown = err.kind === 'unavailable' && err.httpStatus === undefined && err.errorCode !== 'circuit_open';
        if (unknown) {
          // no answer: the push may have reached the phone; keep the row pending for a late callback to claim
          await updateDeposit(core.db, depositId, now, { resultCode: 'no_response', resultDesc: err.message, nextCheckAt: later(now) });
        } else {
          await updateDeposit(core.db, depositId, now, {
            state: 'failed',
            resultCode: err.errorCode ?? err.kind,
            resultDesc: err.message.slice(0, 500),
            resolved: true,
          });
        }
        const busy = err.kind === 'throttled' || err.kind === 'in_process';
        const log = { depositId, player: input.playerId, msisdn: maskMsisdn(input.msisdn), kind: err.kind, code: err.errorCode };
        if (busy) logger.warn(log, 'STK push refused: busy');
        else logger.error({ ...log, err }, 'STK push failed');
        return fail(busy ? 'payments_busy' : 'payments_unavailable');
      }
    },

    async startPayout(input: PayoutRequest) {
      if (closed) throw new Error('payments are closed: reconciliation will send this payout');
      const sentAmount: Cents = Math.floor(input.amount / 100) * 100;
      const { payout, created } = await ensurePayout(core.db, {
        withdrawalId: input.withdrawalId,
        msisdn: input.msisdn,
        amount: input.amount,
        sentAmount,
        originatorConversationId: originatorIdFor(input.withdrawalId),
        now: core.clock(),
      });
      if (!created && payout.state !== 'pending') return;
      if (sentAmount < B2C_MIN_SHILLINGS * 100) {
        await failPayout(payout, 'below_minimum', `below the M-Pesa minimum of KES ${B2C_MIN_SHILLINGS}`, 'not sent');
        return;
      }
      await sendPayout(payout);
    },

    sendPayout,

    async askPayoutStatus(payoutId) {
      const { rows } = await core.db.query<{ originator_conversation_id: string; attempts: unknown }>(
        'SELECT originator_conversation_id, attempts FROM payouts WHERE id = $1',
        [payoutId],
      );
      const row = rows[0];
      if (!row) return false;
      const urls = deps.urls();
      try {
        const reply = await client.transactionStatus({
          originalConversationId: row.originator_conversation_id,
          remarks: 'Payout check',
          occasion: row.originator_conversation_id,
          resultUrl: urls.statusResult,
          timeoutUrl: urls.statusTimeout,
        });
        const now = core.clock();
        await updatePayout(core.db, payoutId, now, {
          statusConversationId: reply.conversationId,
          statusOriginatorId: reply.originatorConversationId,
          attempts: Number(row.attempts) + 1,
          nextCheckAt: later(now),
        });
        return true;
      } catch (err) {
        if (!(err instanceof DarajaError)) throw err;
        const now = core.clock();
        // an outage is not the payout's fault: only answered queries count towards giving up
        const counted = err.kind === 'rejected' || err.kind === 'auth';
        await updatePayout(core.db, payoutId, now, {
          attempts: Number(row.attempts) + (counted ? 1 : 0),
          nextCheckAt: later(now),
        });
        logger.warn({ payoutId, kind: err.kind, code: err.errorCode }, 'Transaction Status query failed');
        return false;
      }
    },

    applyWaitingCallbacks,
    track,

    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },

    async close() {
      closed = true;
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
