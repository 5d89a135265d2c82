import { z } from 'zod';
import type { CoreSettings } from './core/settings.ts';

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
  if (config.MIN_STAKE > config.MAX_STAKE) throw new ConfigError('invalid configuration:\n  MIN_STAKE: above MAX_STAKE');
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
  };
}
