import { z } from 'zod';
import { PaymentsConfigShape, paymentsConfigProblems } from './adapters/payments/payments-config.ts';
import { SmsConfigShape, smsConfigProblems } from './adapters/sms/sms-config.ts';
import type { CoreSettings } from './core/settings.ts';
import { parseAdminTokens } from './adapters/admin/admin-tokens.ts';

const kes = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const rate = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);
const emptyAsUnset = (v: unknown) => (v === '' ? undefined : v);

/** every variable the gateway reads; the README's configuration table mirrors this */
export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.preprocess(emptyAsUnset, z.string().url().optional()),
  DATA_DIR: z.string().min(1).default('./data'),
  REDIS_URL: z.preprocess(emptyAsUnset, z.string().url().optional()),
  EVENT_INTERVAL_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
  ROUNDS_AHEAD: z.coerce.number().int().min(1).max(20).default(3),
  ODDS_MARGIN: z.coerce.number().min(0).max(0.5).default(0.08),
  MIN_STAKE: kes(20),
  MAX_STAKE: kes(50_000),
  MAX_PAYOUT: kes(1_000_000),
  EXCISE_RATE: rate(0.05),
  EXCISE_BASE: z.enum(['deposit', 'stake']).default('deposit'),
  WHT_RATE: rate(0.05),
  WHT_BASE: z.enum(['withdrawal', 'winnings']).default('withdrawal'),
  SCHEDULER: z.enum(['on', 'off']).default('on'),
  SCHEDULER_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  BET_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  // USSD channel
  SESSION_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(180),
  USSD_MAX_CHARS: z.coerce.number().int().min(70).max(182).default(160),
  RESUME_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  // short: under load each drain then moves ~150 hops, not ~600, so it never holds the event loop for long
  HOP_DRAIN_MS: z.coerce.number().int().min(10).max(60_000).default(50),
  // records this instance keeps after committing them, so a session's next hop neither reads nor restores it again
  SESSION_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(1_000),
  TERMS_URL: z.preprocess(emptyAsUnset, z.string().min(1).max(60).optional()),
  SUPPORT_PHONE: z.preprocess(emptyAsUnset, z.string().min(1).max(20).optional()),
  // payments (whole shillings)
  MIN_DEPOSIT: kes(10),
  MAX_DEPOSIT: kes(250_000),
  MIN_WITHDRAWAL: kes(10),
  MAX_WITHDRAWAL: kes(70_000),
  DAILY_WITHDRAWAL_LIMIT: kes(150_000),
  // M-Pesa
  ...PaymentsConfigShape,
  // SMS
  ...SmsConfigShape,
  // support tools: `name:token:role` entries (role support|finance), comma-separated; required in production
  ADMIN_TOKENS: z.string().default(''),
  // hop logs (ussd_hops, ussd_session_ends) older than this are purged by the daily retention job
  HOP_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  HOP_RETENTION: z.enum(['on', 'off']).default('on'),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** reads the environment once; a wrong value stops start-up with a message naming the variable */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const ordered: [keyof Config, keyof Config][] = [
    ['MIN_STAKE', 'MAX_STAKE'],
    ['MIN_DEPOSIT', 'MAX_DEPOSIT'],
    ['MIN_WITHDRAWAL', 'MAX_WITHDRAWAL'],
    ['MAX_WITHDRAWAL', 'DAILY_WITHDRAWAL_LIMIT'],
  ];
  for (const [low, high] of ordered) {
    if ((config[low] as number) > (config[high] as number)) {
      throw new ConfigError(`invalid configuration:\n  ${low}: above ${high}`);
    }
  }
  const smsProblems = smsConfigProblems(config);
  if (smsProblems.length > 0) throw new ConfigError(`invalid configuration:\n  ${smsProblems.join('\n  ')}`);
  const paymentsProblems = paymentsConfigProblems(config);
  if (paymentsProblems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${paymentsProblems.join('\n  ')}`);
  }
  const adminProblems = parseAdminTokens(config.ADMIN_TOKENS).problems;
  if (adminProblems.length > 0) throw new ConfigError(`invalid configuration:\n  ${adminProblems.join('\n  ')}`);
  if (config.NODE_ENV === 'production' && config.ADMIN_TOKENS.trim() === '') {
    throw new ConfigError('invalid configuration:\n  ADMIN_TOKENS: required when NODE_ENV=production (name:token:role entries)');
  }
  return config;
}

const basisPoints = (r: number) => Math.round(r * 10_000);

export function coreSettings(config: Config): CoreSettings {
  return {
    taxes: {
      exciseRateBp: basisPoints(config.EXCISE_RATE),
      exciseBase: config.EXCISE_BASE,
      whtRateBp: basisPoints(config.WHT_RATE),
      whtBase: config.WHT_BASE,
    },
    minStake: config.MIN_STAKE * 100,
    maxStake: config.MAX_STAKE * 100,
    maxPayout: config.MAX_PAYOUT * 100,
    maxLegs: 10,
    margin: config.ODDS_MARGIN,
    eventIntervalSeconds: config.EVENT_INTERVAL_SECONDS,
    roundsAhead: config.ROUNDS_AHEAD,
    betBatchConcurrency: config.BET_BATCH_CONCURRENCY,
  };
}

/** the channel's payment limits, in cents */
export function paymentLimits(config: Config) {
  return {
    minDeposit: config.MIN_DEPOSIT * 100,
    maxDeposit: config.MAX_DEPOSIT * 100,
    minWithdrawal: config.MIN_WITHDRAWAL * 100,
    maxWithdrawal: config.MAX_WITHDRAWAL * 100,
    dailyWithdrawalLimit: config.DAILY_WITHDRAWAL_LIMIT * 100,
  };
}
