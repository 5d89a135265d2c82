/**
 * A stand-in payments port for tests of the channels (SMS, menu services): it moves money through the core directly,
 * without Daraja or HTTP callbacks (the payments suites test those). No network.
 * - Deposit: answers at once with a request reference; after `delayMs` (SIMULATOR_DELAY_MS, default 3000 — about
 *   the time a person takes to enter their PIN) the wallet is credited through the core `deposit` with a fake
 *   receipt `SIM` + 7 uppercase alphanumerics, exactly as a real M-Pesa callback would be.
 * - Failure rule, so people trying it can see a failed payment: a deposit whose whole-shilling amount ends in 32
 *   (KES 32, 132, 1,032, …) is "cancelled by user" and nothing is credited.
 * - Payout: after `delayMs` the reserved withdrawal is completed through the core `completeWithdrawal` with a fake
 *   receipt. It never fails.
 *
 * Pending simulated callbacks live in timers in this process: they are lost on restart (a real deposit is not: M-Pesa
 * calls back). `close()` cancels the ones not yet due and waits for the ones running.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Core } from '../../src/core/core.ts';
import { ok } from '../../src/core/outcome.ts';
import { completeWithdrawal, deposit } from '../../src/core/wallet.ts';
import type { DepositRequest, PaymentsPort, PayoutRequest } from '../../src/adapters/payments/payments-port.ts';

export const DEFAULT_SIMULATOR_DELAY_MS = 3_000;
/** whole-shilling amounts ending in these two digits are "cancelled by user" */
export const SIMULATED_CANCEL_SUFFIX = 32;

const RECEIPT_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function fakeReceipt(): string {
  let out = 'SIM';
  for (let i = 0; i < 7; i++) out += RECEIPT_ALPHABET[randomInt(RECEIPT_ALPHABET.length)];
  return out;
}

export function isSimulatedCancel(amountCents: number): boolean {
  return Math.floor(amountCents / 100) % 100 === SIMULATED_CANCEL_SUFFIX;
}

export interface InstantSimulator extends PaymentsPort {
  /** resolves once every simulated callback scheduled so far has run (tests) */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createInstantSimulator(deps: { core: Core; logger: Logger; delayMs?: number }): InstantSimulator {
  const delayMs = deps.delayMs ?? DEFAULT_SIMULATOR_DELAY_MS;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const running = new Set<Promise<void>>();
  const waiting = new Set<() => void>();
  let closed = false;

  const settleIfIdle = () => {
    if (timers.size > 0 || running.size > 0) return;
    for (const done of waiting) done();
    waiting.clear();
  };

  /** runs `job` after the delay; its failure is logged (a real callback would be retried by M-Pesa) */
  const later = (what: string, job: () => Promise<void>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = job()
        .catch((err: unknown) => deps.logger.error({ err }, `simulated ${what} failed`))
        .finally(() => {
          running.delete(run);
          settleIfIdle();
        });
      running.add(run);
    }, delayMs);
    timers.add(timer);
  };

  return {
    async startDeposit(input: DepositRequest) {
      if (closed) return { ok: false, reason: 'payments_unavailable' };
      const reference = `SIMREQ-${randomUUID()}`;
      later('deposit', async () => {
        if (isSimulatedCancel(input.amount)) {
          deps.logger.info({ reference, playerId: input.playerId, amount: input.amount }, 'simulated deposit cancelled by user');
          return;
        }
        const receipt = fakeReceipt();
        const result = await deposit(deps.core, {
          playerId: input.playerId,
          amount: input.amount,
          receipt,
          now: deps.core.clock(),
        });
        if (!result.ok) throw new Error(`simulated deposit refused by the core: ${result.reason}`);
        deps.logger.info(
          { reference, receipt, playerId: input.playerId, amount: input.amount, credited: result.value.credited },
          'simulated deposit credited',
        );
      });
      return ok({ reference });
    },

    async startPayout(input: PayoutRequest) {
      if (closed) throw new Error('payments simulator is closed');
      later('payout', async () => {
        const receipt = fakeReceipt();
        const result = await completeWithdrawal(deps.core, {
          withdrawalId: input.withdrawalId,
          receipt,
          now: deps.core.clock(),
        });
        if (!result.ok) throw new Error(`simulated payout of withdrawal ${input.withdrawalId}: ${result.reason}`);
        deps.logger.info({ withdrawalId: input.withdrawalId, receipt, amount: input.amount }, 'simulated payout completed');
      });
    },

    idle() {
      return new Promise<void>((resolve) => {
        waiting.add(resolve);
        settleIfIdle();
      });
    },

    async close() {
      closed = true;
      if (timers.size > 0) deps.logger.warn({ pending: timers.size }, 'simulated payments cancelled at shutdown');
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...running]);
      settleIfIdle();
    },
  };
}
