/**
 * The payments port: how the gateway asks M-Pesa (or a stand-in) to move money in and out. Both calls only START the
 * movement and return at once — a USSD hop must answer in milliseconds, while an STK push or a B2C payout completes
 * seconds to minutes later. The money reaches the ledger when the payment completes, through the core: `deposit`
 * (credit, keyed by the M-Pesa receipt) and `completeWithdrawal` / `failWithdrawal`.
 *
 * Implementation: `daraja-payments.ts`, against real Daraja or the HTTP simulator (`http-simulator.ts`). Business rules
 * (amount limits, self-exclusion, daily limits, the ledger reservation of a withdrawal) are checked before the port is
 * called (src/adapters/menu-services.ts), so every implementation gets already-validated requests.
 */
import type { Cents } from '../../core/money.ts';
import type { Outcome } from '../../core/outcome.ts';
import type { DepositRefusal } from '../../menus/services.ts';

export interface DepositRequest {
  playerId: number;
  /** normalised 2547…/2541… */
  msisdn: string;
  /** what the player pays from M-Pesa (excise is taken from it when it is credited) */
  amount: Cents;
}

export interface PayoutRequest {
  /** the reserved withdrawal (core `reserveWithdrawal`); its id makes the payout idempotent */
  withdrawalId: number;
  msisdn: string;
  /** what the player's M-Pesa receives: the withdrawal's net after withholding tax */
  amount: Cents;
}

export interface PaymentsPort {
  /**
   * Starts a deposit (M-Pesa prompt on the phone). `reference` identifies the request (Daraja: CheckoutRequestID).
   * Refusals are the payment side's only: `payments_busy`, `payments_unavailable`.
   */
  startDeposit(input: DepositRequest): Promise<Outcome<{ reference: string }, DepositRefusal>>;
  /** starts the payout of a reserved withdrawal; completes or fails it in the ledger when the result is known */
  startPayout(input: PayoutRequest): Promise<void>;
  /** stops background work (pending simulated callbacks, in-flight requests) before the database closes */
  close?(): Promise<void>;
}
