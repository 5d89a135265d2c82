/** Money is integer cents (KES) held in safe integers; these helpers are the only place shillings meet cents. */
export type Cents = number;

export function cents(value: number): Cents {
  if (!Number.isSafeInteger(value)) throw new Error(`not a whole number of cents: ${value}`);
  return value;
}

export function shillings(kes: number): Cents {
  return cents(kes * 100);
}

/** "KES 1,250.00" */
export function formatKes(amount: Cents): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const whole = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = (abs % 100).toString().padStart(2, '0');
  return `${sign}KES ${whole}.${frac}`;
}

/**
 * Reads an amount a person typed on a phone: whole shillings ("250", "1,000") or with cents ("99.50").
 * Returns null for anything else, so menus can answer with a hint.
 */
export function parseKes(input: string): Cents | null {
  const text = input.trim().replace(/,/g, '');
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** rate in basis points (500 = 5%), rounded half up to the cent */
export function percentOf(amount: Cents, rateBp: number): Cents {
  return Math.floor((amount * rateBp + 5000) / 10000);
}
