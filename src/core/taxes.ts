import { percentOf, type Cents } from './money.ts';

/**
 * Kenyan betting taxes. Finance Act 2025 (the default): excise duty 5% of each deposit, withholding tax 5% of each
 * withdrawal. The earlier regime: excise 12.5% of each stake, withholding tax 20% of winnings net of stake.
 * Both are deducted from the amount they apply to and land in their payable accounts as ledger entries.
 */
export interface TaxRules {
  exciseRateBp: number;
  exciseBase: 'deposit' | 'stake';
  whtRateBp: number;
  whtBase: 'withdrawal' | 'winnings';
}

export const FINANCE_ACT_2025: TaxRules = { exciseRateBp: 500, exciseBase: 'deposit', whtRateBp: 500, whtBase: 'withdrawal' };
export const EARLIER_REGIME: TaxRules = { exciseRateBp: 1250, exciseBase: 'stake', whtRateBp: 2000, whtBase: 'winnings' };

export interface Split {
  /** what the tax is taken from */
  gross: Cents;
  tax: Cents;
  /** what is left for the player */
  net: Cents;
}

function split(gross: Cents, rateBp: number, applies: boolean): Split {
  const tax = applies ? percentOf(gross, rateBp) : 0;
  return { gross, tax, net: gross - tax };
}

/** a deposit of `amount` reaches the wallet as `net`; `tax` is excise duty */
export function depositTax(rules: TaxRules, amount: Cents): Split {
  return split(amount, rules.exciseRateBp, rules.exciseBase === 'deposit');
}

/** a stake of `stake` leaves the wallet; `net` is what is wagered (payouts are computed on it) */
export function stakeTax(rules: TaxRules, stake: Cents): Split {
  return split(stake, rules.exciseRateBp, rules.exciseBase === 'stake');
}

/** a withdrawal of `amount` leaves the wallet; the player's M-Pesa receives `net` */
export function withdrawalTax(rules: TaxRules, amount: Cents): Split {
  return split(amount, rules.whtRateBp, rules.whtBase === 'withdrawal');
}

/** a winning payout of `payout` on a stake of `stake`: the wallet receives `net` */
export function winningsTax(rules: TaxRules, payout: Cents, stake: Cents): Split {
  if (rules.whtBase !== 'winnings' || payout <= stake) return { gross: payout, tax: 0, net: payout };
  const tax = percentOf(payout - stake, rules.whtRateBp);
  return { gross: payout, tax, net: payout - tax };
}
