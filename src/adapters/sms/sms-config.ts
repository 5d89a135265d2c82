/**
 * The SMS channel's configuration: a zod object SHAPE that the gateway's ConfigSchema spreads in, so the one place that
 * reads the environment validates these too. Kept free of other imports so src/config.ts can import it cheaply.
 */
import { z } from 'zod';

/** the development default; refused with SMS=africastalking, where anyone who knows it could post messages as any phone */
export const DEV_CALLBACK_TOKEN = 'dev-callback-token-change-me';

/** outbox worker defaults (also used when the worker runs without this config) */
export const OUTBOX_DEFAULTS = {
  batch: 20,
  sendTimeoutMs: 20_000,
  leaseMs: 60_000,
  maxAttempts: 10,
  backoffBaseMs: 30_000,
  backoffCapMs: 3_600_000,
} as const;

const emptyAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(emptyAsUnset, z.string().trim().min(1).optional());

/** spread into the gateway's ConfigSchema: `z.object({ ...existing, ...SmsConfigShape })` */
export const SmsConfigShape = {
  /** console: log messages (phone masked) and record them as sent; africastalking: send through AT */
  SMS: z.enum(['console', 'africastalking']).default('console'),
  AT_USERNAME: optionalText,
  AT_API_KEY: optionalText,
  /** shortcode or approved sender id; unset uses the account's default sender */
  AT_SMS_FROM: optionalText,
  /** secret path segment of the SMS callback URLs; production must set a long random value */
  CALLBACK_TOKEN: z
    .string()
    .trim()
    .min(16)
    .max(200)
    .regex(/^[A-Za-z0-9._~-]+$/, 'URL-safe characters only')
    .default(DEV_CALLBACK_TOKEN),
  SMS_MAX_PER_MINUTE: z.coerce.number().int().min(1).max(600).default(10),
  SMS_WORKER_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(1000),
  SMS_WORKER_BATCH: z.coerce.number().int().min(1).max(500).default(OUTBOX_DEFAULTS.batch),
  SMS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(OUTBOX_DEFAULTS.maxAttempts),
  SMS_SEND_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(OUTBOX_DEFAULTS.sendTimeoutMs),
  /** quoted in the terms a new number is sent before it can register */
  SMS_TERMS_URL: z.string().trim().min(1).max(60).default('example.co.ke/terms'),
};

export const SmsConfigSchema = z.object(SmsConfigShape);
export type SmsConfig = z.infer<typeof SmsConfigSchema>;

/** cross-field rules the shape cannot express; the composition root reports them as configuration errors */
export function smsConfigProblems(config: SmsConfig): string[] {
  const problems: string[] = [];
  if (config.SMS === 'africastalking') {
    if (!config.AT_USERNAME) problems.push('AT_USERNAME: required when SMS=africastalking');
    if (!config.AT_API_KEY) problems.push('AT_API_KEY: required when SMS=africastalking');
    if (config.CALLBACK_TOKEN === DEV_CALLBACK_TOKEN) problems.push('CALLBACK_TOKEN: set a secret value when SMS=africastalking');
  }
  return problems;
}
