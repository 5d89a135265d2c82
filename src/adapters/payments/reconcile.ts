/**
 * Payment reconciliation: what to do when M-Pesa's callbacks are late, lost or were never applied. One run, under a
 * PostgreSQL advisory lock (one instance at a time; others skip):
 *
 * 1. Stored callbacks never applied (our failure mid-way) or unmatched (no deposit had that CheckoutRequestID) are
 *    applied again; an unmatched STK payment is adopted by the one deposit whose push timed out for the same phone
 *    and amount, else parked in suspense.
 * 2. Deposits pending longer than RECONCILE_AFTER_SECONDS: with a CheckoutRequestID → STK query; "0" credits the
 *    deposit (key `stkq:<CheckoutRequestID>`, the query has no receipt — the deposit row keeps a later real callback
 *    from crediting again), another code fails it. Without one (the push never answered) → failed quietly: the player
 *    was told "payments unavailable" at the time.
 * 3. Reserved withdrawals that never got a payout (start-up failure, shutdown) → payout started.
 * 4. Payouts not known to be taken → B2C sent again with the same OriginatorConversationID; taken but without a result
 *    → Transaction Status asked (the answer arrives on our status ResultURL).
 *
 * Anything that keeps getting no usable answer for RECONCILE_MAX_ATTEMPTS checks is marked `unresolved` for support;
 * an outage does not count as an answer.
 */
import type { Logger } from 'pino';
import type { Core } from '../../core/core.ts';
import { int } from '../../core/db.ts';
import { applyB2cResult, applyStatusResult, B2cResultSchema, StatusResultSchema } from './b2c-callbacks.ts';
import { C2bConfirmationSchema, confirmC2b } from './c2b.ts';
import { DarajaError, type DarajaClient } from './daraja-client.ts';
import type { DarajaPayments } from './daraja-payments.ts';
import {
  callbacksToReplay,
  depositsToCheck,
  finishCallback,
  payoutsToCheck,
  updateDeposit,
  updatePayout,
  withAdvisoryLock,
  type StoredCallback,
} from './payments-store.ts';
import { applyStkResult, settleUnmatchedStk, StkCallbackSchema, stkResultFromCallback } from './stk-callback.ts';

/** any fixed number; the same in every process sharing the database */
export const RECONCILE_LOCK = 7_290_006;

export interface ReconcileDeps {
  core: Core;
  client: DarajaClient;
  payments: DarajaPayments;
  logger: Logger;
  /** RECONCILE_AFTER_SECONDS, in ms */
  afterMs: number;
  /** RECONCILE_MAX_ATTEMPTS */
  maxAttempts: number;
  /** rows per kind per run */
  batch?: number;
  /** how far back an unmatched STK payment may find the deposit whose push timed out (default 24 h) */
  adoptWindowMs?: number;
}

export interface ReconcileSummary {
  /** false when another instance held the lock and this run did nothing */
  ran: boolean;
  callbacksReplayed: number;
  depositsQueried: number;
  depositsCredited: number;
  depositsFailed: number;
  depositsUnresolved: number;
  payoutsStarted: number;
  payoutsResent: number;
  statusQueries: number;
  payoutsUnresolved: number;
  errors: number;
}

const emptySummary = (ran: boolean): ReconcileSummary => ({
  ran,
  callbacksReplayed: 0,
  depositsQueried: 0,
  depositsCredited: 0,
  depositsFailed: 0,
  depositsUnresolved: 0,
  payoutsStarted: 0,
  payoutsResent: 0,
  statusQueries: 0,
  payoutsUnresolved: 0,
  errors: 0,
});

async function replay(deps: ReconcileDeps, cb: StoredCallback): Promise<void> {
  const { core } = deps;
  let body: unknown;
  try {
    body = JSON.parse(cb.body);
  } catch {
    await finishCallback(core.db, cb.id, 'malformed', core.clock(), 'not JSON (replay)');
    return;
  }
  const malformed = () => finishCallback(core.db, cb.id, 'malformed', core.clock(), 'shape refused (replay)');
  switch (cb.kind) {
    case 'stk': {
      const parsed = StkCallbackSchema.safeParse(body);
      if (!parsed.success) return malformed();
      await settleUnmatchedStk(core, stkResultFromCallback(parsed.data), cb.id, deps.adoptWindowMs ?? 24 * 3600_000);
      return;
    }
    case 'b2c_result': {
      const parsed = B2cResultSchema.safeParse(body);
      if (!parsed.success) return malformed();
      await applyB2cResult(core, parsed.data, cb.id);
      return;
    }
    case 'status_result': {
      const parsed = StatusResultSchema.safeParse(body);
      if (!parsed.success) return malformed();
      await applyStatusResult(core, parsed.data, cb.id);
      return;
    }
    case 'c2b_confirmation': {
      const parsed = C2bConfirmationSchema.safeParse(body);
      if (!parsed.success) return malformed();
      await confirmC2b(core, parsed.data, cb.id);
      return;
    }
    default:
      await finishCallback(core.db, cb.id, 'ignored', core.clock(), 'nothing to replay');
  }
}

async function run(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const { core, client, payments, logger } = deps;
  const batch = deps.batch ?? 100;
  const summary = emptySummary(true);
  const now = core.clock();
  const before = new Date(now.getTime() - deps.afterMs);
  const nextCheck = (at: Date) => new Date(at.getTime() + deps.afterMs);
  const guard = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      summary.errors += 1;
      logger.error({ err }, `reconciliation: ${what} failed`);
    }
  };

  // 1. callbacks stored but not applied
  for (const cb of await callbacksToReplay(core.db, before, batch)) {
    await guard(`replaying callback ${cb.id}`, async () => {
      await replay(deps, cb);
      summary.callbacksReplayed += 1;
    });
  }

  // 2. deposits without a result
  for (const dep of await depositsToCheck(core.db, before, now, batch)) {
    await guard(`deposit ${dep.id}`, async () => {
      const at = core.clock();
      if (dep.checkoutRequestId === null) {
        await updateDeposit(core.db, dep.id, at, { state: 'failed', resultCode: dep.resultCode ?? 'no_response', resolved: true });
        summary.depositsFailed += 1;
        return;
      }
      if (client.circuit() === 'open') return;
      summary.depositsQueried += 1;
      try {
        const answer = await client.stkQuery(dep.checkoutRequestId);
        const outcome = await applyStkResult(
          core,
          {
            checkoutRequestId: dep.checkoutRequestId,
            merchantRequestId: dep.merchantRequestId,
            resultCode: answer.resultCode,
            resultDesc: answer.resultDesc,
            receipt: null,
            amount: null,
            phone: undefined,
            source: 'query',
          },
          null,
        );
        if (outcome === 'credited') summary.depositsCredited += 1;
        if (outcome === 'failed') summary.depositsFailed += 1;
      } catch (err) {
        if (!(err instanceof DarajaError)) throw err;
        // "still being processed", or a refusal: an answer, counted; an outage is not
        const answered = err.kind === 'in_process' || err.kind === 'rejected' || err.kind === 'auth';
        const attempts = dep.attempts + (answered ? 1 : 0);
        if (attempts >= deps.maxAttempts) {
          await updateDeposit(core.db, dep.id, at, { state: 'unresolved', flag: 'no_answer', attempts, resultDesc: err.message.slice(0, 500), resolved: true });
          summary.depositsUnresolved += 1;
          logger.warn({ depositId: dep.id, attempts }, 'deposit unresolved: support must check the M-Pesa statement');
        } else {
          await updateDeposit(core.db, dep.id, at, { attempts, nextCheckAt: nextCheck(at) });
        }
      }
    });
  }

  // 3. reserved withdrawals that never got a payout row
  const orphans = await core.db.query<{ id: unknown; net: unknown; msisdn: string }>(
    `SELECT w.id, w.net, p.msisdn FROM withdrawals w
       JOIN players p ON p.id = w.player_id
       LEFT JOIN payouts po ON po.withdrawal_id = w.id
      WHERE w.state = 'reserved' AND po.id IS NULL AND w.created_at <= $1
      ORDER BY w.id LIMIT $2`,
    [before, batch],
  );
  for (const w of orphans.rows) {
    await guard(`withdrawal ${String(w.id)}`, async () => {
      await payments.startPayout({ withdrawalId: int(w.id), msisdn: w.msisdn, amount: int(w.net) });
      summary.payoutsStarted += 1;
    });
  }

  // 4. payouts without a result
  for (const p of await payoutsToCheck(core.db, before, now, batch)) {
    await guard(`payout ${p.id}`, async () => {
      if (client.circuit() === 'open') return;
      if (p.state === 'pending') {
        await payments.sendPayout(p);
        summary.payoutsResent += 1;
        return;
      }
      if (p.attempts >= deps.maxAttempts) {
        await updatePayout(core.db, p.id, core.clock(), { state: 'unresolved', flag: 'no_answer', nextCheckAt: null, resolved: true });
        summary.payoutsUnresolved += 1;
        logger.warn({ payoutId: p.id, withdrawalId: p.withdrawalId }, 'payout unresolved: the amount stays reserved until support decides');
        return;
      }
      if (await payments.askPayoutStatus(p.id)) summary.statusQueries += 1;
    });
  }
  return summary;
}

/** one reconciliation pass; `ran: false` when another instance is reconciling */
export async function reconcileOnce(deps: ReconcileDeps): Promise<ReconcileSummary> {
  const result = await withAdvisoryLock(deps.core.db, RECONCILE_LOCK, () => run(deps));
  return result ?? emptySummary(false);
}

/** reconciliation every `intervalMs` in this process; stop() waits for a run in progress */
export function startReconciler(deps: ReconcileDeps & { intervalMs: number }): { stop(): Promise<void> } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> | undefined;

  const tick = () => {
    current = reconcileOnce(deps)
      .then((s) => {
        const busy =
          s.callbacksReplayed + s.depositsQueried + s.depositsFailed + s.depositsUnresolved + s.payoutsStarted +
          s.payoutsResent + s.statusQueries + s.payoutsUnresolved + s.errors;
        if (busy > 0) deps.logger.info({ summary: s }, 'payments reconciled');
      })
      .catch((err: unknown) => deps.logger.error({ err }, 'payment reconciliation failed'))
      .finally(() => {
        current = undefined;
        if (!stopped) timer = setTimeout(tick, deps.intervalMs);
      });
  };
  timer = setTimeout(tick, deps.intervalMs);

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
