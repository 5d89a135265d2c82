import { parseKes, type Cents } from '../core/money.ts';
import type { MenuLimits, Notice } from './menu-context.ts';

/**
 * Amounts typed on a keypad. Stakes may carry cents ("99.50"); M-Pesa moves whole shillings only, so deposits,
 * withdrawals and the limits a player sets must be whole. A wrong amount is answered with one line saying what is
 * wrong, never a closed session.
 */
export type AmountKind = 'stake' | 'deposit' | 'withdraw' | 'limit';

interface AmountRule {
  min: Cents;
  max: Cents;
  whole: boolean;
}

/** the largest limit a keypad amount can express (parseKes reads at most 9 digits) */
const LIMIT_MAX: Cents = 999_999_999 * 100;

export function amountRule(kind: AmountKind, limits: MenuLimits): AmountRule {
  switch (kind) {
    case 'stake':
      return { min: limits.minStake, max: limits.maxStake, whole: false };
    case 'deposit':
      return { min: limits.minDeposit, max: limits.maxDeposit, whole: true };
    case 'withdraw':
      return { min: limits.minWithdrawal, max: limits.maxWithdrawal, whole: true };
    case 'limit':
      return { min: 100, max: LIMIT_MAX, whole: true };
  }
}

export type AmountCheck = { ok: true; amount: Cents } | { ok: false; notice: Notice };

export function checkAmount(text: string, kind: AmountKind, limits: MenuLimits): AmountCheck {
  const rule = amountRule(kind, limits);
  const amount = parseKes(text);
  if (amount === null) return { ok: false, notice: { key: 'invalidAmount' } };
  if (rule.whole && amount % 100 !== 0) return { ok: false, notice: { key: 'wholeShillings' } };
  if (amount < rule.min) return { ok: false, notice: { key: 'belowMinimum', value: rule.min } };
  if (amount > rule.max) return { ok: false, notice: { key: 'aboveMaximum', value: rule.max } };
  return { ok: true, amount };
}
