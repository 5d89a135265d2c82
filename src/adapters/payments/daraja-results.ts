/**
 * What Daraja's result codes mean, in words a player understands, and the small readers the callback shapes need:
 * a code that may be a number or a string, items looked up by `Name` / `Key`, lists that may be a single object.
 */
import { z } from 'zod';

/** `0`, `"0"` → "0"; `1032` → "1032"; `"SFC_IC0003"` stays as sent */
export function resultCode(value: number | string): string {
  return String(value).trim();
}

export function isSuccess(code: string): boolean {
  return code === '0' || code === '00000000';
}

const DEPOSIT_REASONS: Record<string, string> = {
  '1': 'Not enough money in your M-Pesa',
  '2': 'The amount is below the M-Pesa minimum',
  '3': 'The amount is above the M-Pesa maximum',
  '4': 'You have reached your M-Pesa daily limit',
  '8': 'You have reached your M-Pesa limit',
  '17': 'The same amount was paid less than 2 minutes ago',
  '1001': 'Another M-Pesa request is still open on your phone',
  '1019': 'The M-Pesa request expired before you answered',
  '1025': 'M-Pesa could not send the request to your phone',
  '1032': 'You cancelled the M-Pesa request',
  '1037': 'Your phone could not be reached',
  '2001': 'Wrong M-Pesa PIN',
  '2028': 'M-Pesa refused the request',
  '8006': 'Your M-Pesa PIN is locked',
  '9999': 'M-Pesa could not send the request to your phone',
  SFC_IC0003: 'M-Pesa refused the request',
};

/** the reason a failed deposit is given in its SMS */
export function depositFailureReason(code: string): string {
  return DEPOSIT_REASONS[code] ?? 'M-Pesa could not complete the payment';
}

const PAYOUT_REASONS: Record<string, string> = {
  '1': 'payouts are paused: our M-Pesa float is low',
  '2': 'below the M-Pesa minimum',
  '3': 'above the M-Pesa maximum',
  '4': 'M-Pesa daily limit reached',
  '8': 'M-Pesa limit reached',
  '11': 'our M-Pesa account is not active',
  '21': 'our M-Pesa account lacks the payout role',
  '2001': 'our M-Pesa credentials were refused',
  '2040': 'this number is not registered for M-Pesa',
  '8006': 'our M-Pesa credentials are locked',
  SFC_IC0003: 'this number is not an M-Pesa number',
};

/** the reason recorded on a failed withdrawal (and its SMS) */
export function payoutFailureReason(code: string, desc: string): string {
  return PAYOUT_REASONS[code] ?? (desc.trim() || `M-Pesa result ${code}`);
}

const scalar = z.union([z.string(), z.number(), z.boolean()]).nullable();

/** `{ Name, Value? }`: STK callback metadata */
export const NamedItem = z.object({ Name: z.string(), Value: scalar.optional() }).loose();
/** `{ Key, Value? }`: B2C and Transaction Status result parameters, reference data */
export const KeyedItem = z.object({ Key: z.string(), Value: scalar.optional() }).loose();

/** Daraja sends a single parameter as an object and several as an array */
export function oneOrMany<T extends z.ZodType>(item: T) {
  return z.union([z.array(item), item.transform((one) => [one])]);
}

export function valueOf(items: readonly { Value?: unknown }[] | undefined, pick: (i: { Value?: unknown }) => boolean): string | number | undefined {
  const found = items?.find(pick)?.Value;
  return typeof found === 'string' || typeof found === 'number' ? found : undefined;
}

export function named(items: readonly z.infer<typeof NamedItem>[] | undefined, name: string): string | number | undefined {
  return valueOf(items, (i) => (i as { Name?: string }).Name === name);
}

export function keyed(items: readonly z.infer<typeof KeyedItem>[] | undefined, key: string): string | number | undefined {
  return valueOf(items, (i) => (i as { Key?: string }).Key === key);
}

/** shillings as Daraja writes them (1, 1.00, "10", "10.00") → cents; null when it is not an amount */
export function shillingsToCents(value: string | number | undefined): number | null {
  if (value === undefined) return null;
  const text = typeof value === 'number' ? value.toFixed(2) : value.trim();
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/**
 * Does the number M-Pesa reports match ours? Callbacks have carried it whole (254708374149), as a string, and
 * masked (2547****149); a masked number matches when its visible digits do. No number at all cannot be checked.
 */
export function phoneMatches(expected: string, reported: string | number | undefined): boolean {
  if (reported === undefined) return true;
  const text = String(reported).trim().replace(/^\+/, '');
  if (text === '') return true;
  if (!text.includes('*')) return text === expected || text.replace(/^0/, '254') === expected;
  const [head = '', tail = ''] = text.split(/\*+/);
  return expected.startsWith(head) && expected.endsWith(tail);
}
