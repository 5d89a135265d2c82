/**
 * C2B: a customer pays our paybill from the M-Pesa menu and types an account number. The account identifies the
 * player — their phone number in any usual form (07…, 2547…, +2547…) — because the MSISDN Safaricom sends may be
 * masked or hashed. `DEP<id>` is the AccountReference of our own STK pushes: a C2B copy of an STK payment is applied
 * to that deposit (once per deposit, like its callback), never credited a second time.
 *
 * - validation: unknown account → `C2B00012`, an amount that is not an amount → `C2B00013`; otherwise accepted.
 * - confirmation: once per TransID. Known player → core `deposit` with receipt = TransID. Unknown account (validation
 *   is often not switched on, so money can arrive for anyone) → the money is parked in `suspense`
 *   (mpesa_clearing → suspense) and recorded for support. Both in one transaction with the c2b_payments row.
 */
import { z } from 'zod';
import type { Core } from '../../core/core.ts';
import type { Queryable } from '../../core/db.ts';
import { findPlayerByMsisdn, type Player } from '../../core/players.ts';
import { deposit } from '../../core/wallet.ts';
import { normaliseMsisdn } from '../telco/msisdn.ts';
import { shillingsToCents } from './daraja-results.ts';
import { finishCallback, getDeposit, lockDeposit, parkInSuspense, type CallbackOutcome, type DepositRow } from './payments-store.ts';
import { resolveDeposit } from './stk-callback.ts';

const text = z.union([z.string(), z.number()]).transform((v) => String(v).trim());

export const C2bSchema = z.object({
  TransactionType: z.string().max(100).optional(),
  TransID: z.string().trim().min(1).max(40),
  TransTime: text.optional(),
  TransAmount: text,
  BusinessShortCode: text.optional(),
  BillRefNumber: z.string().max(100).default(''),
  InvoiceNumber: z.string().max(100).optional(),
  OrgAccountBalance: text.optional(),
  ThirdPartyTransID: z.string().max(100).optional(),
  MSISDN: text.optional(),
  FirstName: z.string().max(100).optional(),
  MiddleName: z.string().max(100).optional(),
  LastName: z.string().max(100).optional(),
});
export type C2bPayment = z.infer<typeof C2bSchema>;

/** a confirmation must carry a real amount; a validation with a bad one is answered C2B00013 instead of 400 */
export const C2bConfirmationSchema = C2bSchema.refine((p) => (shillingsToCents(p.TransAmount) ?? 0) > 0, {
  message: 'TransAmount is not an amount',
  path: ['TransAmount'],
});

export const C2B_ACCEPT = { ResultCode: '0', ResultDesc: 'Accepted' } as const;
export const C2B_REJECT_ACCOUNT = { ResultCode: 'C2B00012', ResultDesc: 'Rejected' } as const;
export const C2B_REJECT_AMOUNT = { ResultCode: 'C2B00013', ResultDesc: 'Rejected' } as const;

const STK_ACCOUNT = /^DEP(\d{1,15})$/i;

export type C2bAccount = { kind: 'deposit'; deposit: DepositRow } | { kind: 'player'; player: Player } | null;

export async function resolveAccount(q: Queryable, billRef: string): Promise<C2bAccount> {
  const ref = billRef.trim();
  const stk = STK_ACCOUNT.exec(ref);
  if (stk) {
    const dep = await getDeposit(q, Number(stk[1]));
    return dep ? { kind: 'deposit', deposit: dep } : null;
  }
  const msisdn = normaliseMsisdn(ref);
  if (msisdn === null) return null;
  const player = await findPlayerByMsisdn(q, msisdn);
  return player ? { kind: 'player', player } : null;
}

export async function validateC2b(core: Core, p: C2bPayment, callbackId: number | null) {
  const amount = shillingsToCents(p.TransAmount);
  const account = await resolveAccount(core.db, p.BillRefNumber);
  const reply = amount === null || amount <= 0 ? C2B_REJECT_AMOUNT : account === null ? C2B_REJECT_ACCOUNT : C2B_ACCEPT;
  if (callbackId !== null) {
    await finishCallback(core.db, callbackId, reply === C2B_ACCEPT ? 'applied' : 'ignored', core.clock(), `answered ${reply.ResultCode}`);
  }
  return reply;
}

export type C2bOutcome = 'credited' | 'stk_echo' | 'suspense' | 'receipt_conflict' | 'duplicate';

function c2bCallbackOutcome(o: C2bOutcome): CallbackOutcome {
  if (o === 'duplicate' || o === 'suspense') return o;
  return o === 'receipt_conflict' ? 'ignored' : 'applied';
}

export async function confirmC2b(core: Core, p: C2bPayment, callbackId: number | null): Promise<C2bOutcome> {
  const amount = shillingsToCents(p.TransAmount);
  if (amount === null || amount <= 0) throw new Error('confirmC2b: amount not validated');
  return core.db.tx(async (q) => {
    const now = core.clock();
    // the row is the idempotency key: a concurrent twin waits on it, then finds it taken
    const inserted = await q.query<{ id: unknown }>(
      `INSERT INTO c2b_payments (trans_id, trans_type, trans_time, bill_ref, msisdn, first_name, amount, state, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'credited', $8) ON CONFLICT (trans_id) DO NOTHING RETURNING id`,
      [p.TransID, p.TransactionType ?? null, p.TransTime ?? null, p.BillRefNumber, p.MSISDN ?? null, p.FirstName ?? null, amount, now],
    );
    let outcome: C2bOutcome;
    let detail: string | undefined;
    if (!inserted.rows[0]) outcome = 'duplicate';
    else {
      const rowId = inserted.rows[0].id;
      const account = await resolveAccount(q, p.BillRefNumber);
      let playerId: number | null = null;
      let depositId: number | null = null;
      if (account?.kind === 'deposit') {
        const dep = (await lockDeposit(q, account.deposit.id))!;
        depositId = dep.id;
        playerId = dep.playerId;
        await resolveDeposit(
          core,
          q,
          dep,
          {
            checkoutRequestId: dep.checkoutRequestId ?? `DEP${dep.id}`,
            merchantRequestId: null,
            resultCode: '0',
            resultDesc: 'C2B confirmation',
            receipt: p.TransID,
            amount,
            // masked or hashed here: the deposit's own phone is what was prompted
            phone: undefined,
            source: 'c2b',
          },
          now,
        );
        outcome = 'stk_echo';
        detail = `deposit ${dep.id}`;
      } else if (account?.kind === 'player') {
        playerId = account.player.id;
        // an STK deposit already credited under this receipt (its callback came first) is the same money
        const same = await q.query<{ id: unknown }>(`SELECT id FROM deposits WHERE receipt = $1 AND state = 'credited'`, [p.TransID]);
        if (same.rows[0]) {
          depositId = Number(same.rows[0].id);
          outcome = 'stk_echo';
        } else {
          const credited = await deposit(core, { playerId, amount, receipt: p.TransID, now }, q);
          outcome = credited.ok ? 'credited' : 'receipt_conflict';
        }
        detail = `player ${playerId}`;
      } else {
        await parkInSuspense(core, q, {
          source: 'c2b_unknown_account',
          ref: p.TransID,
          amount,
          reason: `paybill payment for unknown account "${p.BillRefNumber}"`,
          msisdn: p.MSISDN ?? null,
          account: p.BillRefNumber,
          receipt: p.TransID,
          now,
        });
        outcome = 'suspense';
      }
      await q.query(`UPDATE c2b_payments SET state = $2, player_id = $3, deposit_id = $4 WHERE id = $1`, [
        rowId,
        outcome,
        playerId,
        depositId,
      ]);
    }
    if (callbackId !== null) await finishCallback(q, callbackId, c2bCallbackOutcome(outcome), now, detail);
    return outcome;
  });
}
