/**
 * The payment variables, as a zod shape the gateway's config schema spreads (`...PaymentsConfigShape`), and the
 * cross-field rules a shape cannot express. Kept apart from the module so config.ts imports no HTTP or database code.
 */
import { z } from 'zod';
import { DEV_CALLBACK_TOKEN, SmsConfigShape } from '../sms/sms-config.ts';
import { addressList } from './source-ip.ts';

/** Safaricom's published sandbox values: the simulator uses them so its requests look like real ones */
export const SANDBOX = {
  baseUrl: 'https://sandbox.safaricom.co.ke',
  shortcode: '174379',
  passkey: 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919',
  b2cShortcode: '600000',
  initiatorName: 'testapi',
} as const;

const emptyAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(emptyAsUnset, z.string().trim().min(1).optional());
const shortcode = z.preprocess(emptyAsUnset, z.string().trim().regex(/^\d{5,7}$/, '5 to 7 digits').optional());
const addressSpec = z
  .string()
  .trim()
  .default('')
  .refine((s) => {
    try {
      addressList(s);
      return true;
    } catch {
      return false;
    }
  }, 'a comma-separated list of IP addresses or CIDR ranges');

/** spread into the gateway's ConfigSchema: `z.object({ ...existing, ...PaymentsConfigShape })` */
export const PaymentsConfigShape = {
  /** daraja | simulator; unset: daraja when MPESA_CONSUMER_KEY is set, otherwise simulator */
  PAYMENTS: z.preprocess(emptyAsUnset, z.enum(['daraja', 'simulator']).optional()),
  MPESA_BASE_URL: z.string().url().default(SANDBOX.baseUrl),
  MPESA_CONSUMER_KEY: optionalText,
  MPESA_CONSUMER_SECRET: optionalText,
  /** paybill, or for buy goods the store number */
  MPESA_SHORTCODE: shortcode,
  MPESA_PASSKEY: optionalText,
  MPESA_TRANSACTION_TYPE: z.enum(['paybill', 'till']).default('paybill'),
  /** buy goods only: the till number (PartyB); defaults to MPESA_SHORTCODE */
  MPESA_TILL_NUMBER: shortcode,
  MPESA_B2C_SHORTCODE: shortcode,
  MPESA_INITIATOR_NAME: optionalText,
  /** the encrypted credential from the Daraja portal; or the password and certificate below, encrypted at start */
  MPESA_SECURITY_CREDENTIAL: optionalText,
  MPESA_INITIATOR_PASSWORD: optionalText,
  MPESA_CERT_PATH: optionalText,
  /** deadline of one Daraja call, token included: the USSD hop waits for the STK push */
  MPESA_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(5_000),
  /** consecutive failures that open the circuit, and how long it stays open */
  MPESA_BREAKER_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  MPESA_BREAKER_OPEN_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** callback source allowlist (IPs / CIDRs, comma-separated); empty = any source */
  MPESA_ALLOWED_IPS: addressSpec,
  /** proxies whose X-Forwarded-For is believed (IPs / CIDRs); empty = none */
  TRUSTED_PROXIES: addressSpec,
  /** https://… where Daraja reaches this gateway; required with PAYMENTS=daraja */
  PUBLIC_BASE_URL: z.preprocess(emptyAsUnset, z.string().url().optional()),
  /** the same variable (and rules, and default) as the SMS module's: one secret path segment for every callback */
  CALLBACK_TOKEN: SmsConfigShape.CALLBACK_TOKEN,
  RECONCILER: z.enum(['on', 'off']).default('on'),
  RECONCILE_AFTER_SECONDS: z.coerce.number().int().min(10).max(86_400).default(120),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  RECONCILE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(10),
  /** simulator: how long the simulated customer takes before the callback */
  SIMULATOR_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(3000),
};

export const PaymentsConfigSchema = z.object(PaymentsConfigShape);
export type PaymentsConfig = z.infer<typeof PaymentsConfigSchema>;

export function paymentsMode(config: PaymentsConfig): 'daraja' | 'simulator' {
  return config.PAYMENTS ?? (config.MPESA_CONSUMER_KEY ? 'daraja' : 'simulator');
}

/** cross-field rules the shape cannot express; the composition root can report them as configuration errors */
export function paymentsConfigProblems(config: PaymentsConfig): string[] {
  if (paymentsMode(config) !== 'daraja') return [];
  const problems: string[] = [];
  const need = (name: keyof PaymentsConfig) => {
    if (!config[name]) problems.push(`${name}: required when PAYMENTS=daraja`);
  };
  need('MPESA_CONSUMER_KEY');
  need('MPESA_CONSUMER_SECRET');
  need('MPESA_SHORTCODE');
  need('MPESA_PASSKEY');
  need('MPESA_B2C_SHORTCODE');
  need('MPESA_INITIATOR_NAME');
  need('PUBLIC_BASE_URL');
  if (!config.MPESA_SECURITY_CREDENTIAL && !(config.MPESA_INITIATOR_PASSWORD && config.MPESA_CERT_PATH)) {
    problems.push('MPESA_SECURITY_CREDENTIAL: required when PAYMENTS=daraja (or MPESA_INITIATOR_PASSWORD and MPESA_CERT_PATH)');
  }
  if (config.PUBLIC_BASE_URL && !config.PUBLIC_BASE_URL.startsWith('https://')) {
    problems.push('PUBLIC_BASE_URL: Daraja calls back over https only');
  }
  if (config.CALLBACK_TOKEN === DEV_CALLBACK_TOKEN) {
    problems.push('CALLBACK_TOKEN: set a secret value when PAYMENTS=daraja');
  }
  return problems;
}
