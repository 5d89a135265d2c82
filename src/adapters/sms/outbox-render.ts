/**
 * Turns an outbox row (`kind` + `params`, written by the core in the transaction of the event) into the text the
 * player reads, in their language, GSM-7 only, one SMS where the amounts allow. The params each kind carries:
 *
 *   bet_placed         reference, stake, potentialPayout, legs            (core place_bet)
 *   bet_won / bet_void reference, payout, wht, credited                   (core settlement)
 *   deposit_credited   receipt, amount, excise, credited, balance         (core wallet.deposit)
 *   deposit_failed     depositId, amount, code, reason                    (payments stk-callback)
 *   withdrawal_paid    withdrawalId, amount, wht, net, receipt, reason    (core wallet.completeWithdrawal)
 *   withdrawal_failed  withdrawalId, amount, wht, net, receipt, reason    (core wallet.failWithdrawal)
 *   self_excluded      until (ISO), days                                  (core players.selfExclude)
 *   reply              text: a command reply, already rendered and fitted (this adapter)
 *   promo              text: a promotional message; not sent to players who sent STOP
 *
 * Taxes are shown where there is one: excise on deposits, withholding tax on withdrawals and winnings. A zero tax
 * (the other regime) is left out rather than printed as KES 0.00.
 */
import { formatKes } from '../../core/money.ts';
import { nairobiDateTime } from '../../menus/display-format.ts';
import { toGsm7 } from '../../menus/gsm7.ts';
import { firstThatFits } from './sms-length.ts';
import { textsFor } from './sms-texts.ts';

export const PROMOTIONAL_KINDS: ReadonlySet<string> = new Set(['promo']);

export class RenderError extends Error {}

type Params = Record<string, unknown>;

function cents(p: Params, key: string): number {
  const v = p[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new RenderError(`param ${key} is not an amount: ${String(v)}`);
  return n;
}

function optionalCents(p: Params, key: string): number | null {
  return p[key] === undefined || p[key] === null ? null : cents(p, key);
}

function text(p: Params, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v.trim() === '') throw new RenderError(`param ${key} missing`);
  return v;
}

function optionalText(p: Params, key: string): string | null {
  const v = p[key];
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

/** a tax line only where a tax was taken */
function tax(p: Params, key: string): string | null {
  const v = optionalCents(p, key);
  return v === null || v === 0 ? null : formatKes(v);
}

export function renderOutboxMessage(kind: string, rawParams: unknown, language: string | null): string {
  const p: Params =
    typeof rawParams === 'string' ? (JSON.parse(rawParams) as Params) : ((rawParams ?? {}) as Params);
  const t = textsFor(language);
  switch (kind) {
    case 'reply':
    case 'promo':
      return toGsm7(text(p, 'text'));
    case 'bet_placed':
      return firstThatFits(
        t.betPlaced({
          reference: text(p, 'reference'),
          legs: cents(p, 'legs'),
          stake: formatKes(cents(p, 'stake')),
          win: formatKes(cents(p, 'potentialPayout')),
        }),
      );
    case 'bet_won':
      return firstThatFits(
        t.betWon({
          reference: text(p, 'reference'),
          payout: formatKes(cents(p, 'payout')),
          wht: tax(p, 'wht'),
          credited: formatKes(cents(p, 'credited')),
        }),
      );
    case 'bet_void':
      return firstThatFits(t.betVoid({ reference: text(p, 'reference'), credited: formatKes(cents(p, 'credited')) }));
    case 'deposit_credited': {
      const balance = optionalCents(p, 'balance');
      return firstThatFits(
        t.depositCredited({
          receipt: text(p, 'receipt'),
          amount: formatKes(cents(p, 'amount')),
          excise: tax(p, 'excise'),
          credited: formatKes(cents(p, 'credited')),
          balance: balance === null ? null : formatKes(balance),
        }),
      );
    }
    case 'deposit_failed': {
      const amount = optionalCents(p, 'amount');
      const reason = optionalText(p, 'reason');
      return firstThatFits(
        t.depositFailed({ amount: amount === null ? null : formatKes(amount), reason: reason === null ? null : reason.replace(/[.\s]+$/, '') }),
      );
    }
    case 'withdrawal_paid':
      return firstThatFits(
        t.withdrawalPaid({
          amount: formatKes(cents(p, 'amount')),
          wht: tax(p, 'wht'),
          net: formatKes(cents(p, 'net')),
          receipt: optionalText(p, 'receipt'),
        }),
      );
    case 'withdrawal_failed':
      return firstThatFits(t.withdrawalFailed({ amount: formatKes(cents(p, 'amount')) }));
    case 'self_excluded': {
      const until = text(p, 'until');
      if (Number.isNaN(Date.parse(until))) throw new RenderError(`param until is not a date: ${until}`);
      return firstThatFits(t.selfExcluded({ until: nairobiDateTime(until) }));
    }
    default:
      throw new RenderError(`no template for kind ${kind}`);
  }
}
