import { nairobiDay } from './clock.ts';
import { int, intOrNull, type Db, type Queryable } from './db.ts';
import type { Cents } from './money.ts';
import { fail, ok, type Outcome } from './outcome.ts';
import { queueSms } from './outbox.ts';

export type Language = 'en' | 'sw';

export interface Player {
  id: number;
  msisdn: string;
  language: Language;
  status: 'active' | 'blocked';
  excludedUntil: Date | null;
  dailyDepositLimit: Cents | null;
  dailyStakeLimit: Cents | null;
  walletAccountId: number;
  createdAt: Date;
}

const MSISDN = /^254(7|1)\d{8}$/;

interface PlayerRow {
  id: unknown;
  msisdn: string;
  language: Language;
  status: 'active' | 'blocked';
  excluded_until: Date | string | null;
  daily_deposit_limit: unknown;
  daily_stake_limit: unknown;
  wallet_account_id: unknown;
  created_at: Date | string;
}

function toPlayer(r: PlayerRow): Player {
  return {
    id: int(r.id),
    msisdn: r.msisdn,
    language: r.language,
    status: r.status,
    excludedUntil: r.excluded_until === null ? null : new Date(r.excluded_until),
    dailyDepositLimit: intOrNull(r.daily_deposit_limit),
    dailyStakeLimit: intOrNull(r.daily_stake_limit),
    walletAccountId: int(r.wallet_account_id),
    createdAt: new Date(r.created_at),
  };
}

export function isSelfExcluded(player: Player, now: Date): boolean {
  return player.excludedUntil !== null && player.excludedUntil > now;
}

export async function findPlayerByMsisdn(q: Queryable, msisdn: string): Promise<Player | null> {
  const { rows } = await q.query<PlayerRow>('SELECT * FROM players WHERE msisdn = $1', [msisdn]);
  return rows[0] ? toPlayer(rows[0]) : null;
}

export async function getPlayer(q: Queryable, id: number): Promise<Player | null> {
  const { rows } = await q.query<PlayerRow>('SELECT * FROM players WHERE id = $1', [id]);
  return rows[0] ? toPlayer(rows[0]) : null;
}

export interface Registration {
  msisdn: string;
  language: Language;
  /** both must be true: a player exists only after accepting the terms and confirming they are 18 or older */
  acceptedTerms: boolean;
  confirmedAdult: boolean;
  now: Date;
}

/** creates the player and their wallet; registering a known number returns the existing player */
export async function registerPlayer(
  db: Db,
  reg: Registration,
): Promise<Outcome<Player, 'invalid_msisdn' | 'terms_not_accepted'>> {
  if (!MSISDN.test(reg.msisdn)) return fail('invalid_msisdn');
  if (!reg.acceptedTerms || !reg.confirmedAdult) return fail('terms_not_accepted');
  return db.tx(async (q) => {
    const { rows } = await q.query<{ id: unknown }>(
      `INSERT INTO accounts (code, kind, allow_negative) VALUES ($1, 'wallet', false)
       ON CONFLICT (code) DO NOTHING RETURNING id`,
      [`wallet:${reg.msisdn}`],
    );
    if (rows[0]) {
      await q.query(
        `INSERT INTO players (msisdn, language, wallet_account_id, accepted_terms_at, created_at)
         VALUES ($1, $2, $3, $4, $4)`,
        [reg.msisdn, reg.language, rows[0].id, reg.now],
      );
    }
    const player = await findPlayerByMsisdn(q, reg.msisdn);
    if (!player) throw new Error('player vanished during registration');
    return ok(player);
  });
}

export async function setLanguage(q: Queryable, playerId: number, language: Language): Promise<void> {
  await q.query('UPDATE players SET language = $2 WHERE id = $1', [playerId, language]);
}

/** null removes a limit */
export async function setDailyLimits(
  q: Queryable,
  playerId: number,
  limits: { deposit?: Cents | null; stake?: Cents | null },
): Promise<void> {
  await q.query(
    `UPDATE players SET
       daily_deposit_limit = CASE WHEN $2 THEN $3::bigint ELSE daily_deposit_limit END,
       daily_stake_limit = CASE WHEN $4 THEN $5::bigint ELSE daily_stake_limit END
     WHERE id = $1`,
    [playerId, limits.deposit !== undefined, limits.deposit ?? null, limits.stake !== undefined, limits.stake ?? null],
  );
}

/** a player can lengthen a self-exclusion but never shorten it; the confirmation SMS commits with it */
export async function selfExclude(db: Db, playerId: number, days: number, now: Date): Promise<Date> {
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`bad exclusion length ${days}`);
  const until = new Date(now.getTime() + days * 86_400_000);
  return db.tx(async (q) => {
    const { rows } = await q.query<{ excluded_until: Date | string }>(
      `UPDATE players SET excluded_until = greatest(coalesce(excluded_until, $2), $2) WHERE id = $1
       RETURNING excluded_until`,
      [playerId, until],
    );
    const effective = new Date(rows[0]!.excluded_until);
    await queueSms(q, {
      playerId,
      kind: 'self_excluded',
      params: { until: effective.toISOString(), days },
      dedupeKey: `self_excluded:${playerId}:${now.getTime()}`,
      now,
    });
    return effective;
  });
}

export async function setBlocked(q: Queryable, playerId: number, blocked: boolean): Promise<void> {
  await q.query('UPDATE players SET status = $2 WHERE id = $1', [playerId, blocked ? 'blocked' : 'active']);
}

export interface DailyTotals {
  staked: Cents;
  deposited: Cents;
  withdrawn: Cents;
}

export async function dailyTotals(q: Queryable, playerId: number, now: Date): Promise<DailyTotals> {
  const { rows } = await q.query<{ staked: unknown; deposited: unknown; withdrawn: unknown }>(
    'SELECT staked, deposited, withdrawn FROM player_daily_totals WHERE player_id = $1 AND day = $2',
    [playerId, nairobiDay(now)],
  );
  const r = rows[0];
  return r
    ? { staked: int(r.staked), deposited: int(r.deposited), withdrawn: int(r.withdrawn) }
    : { staked: 0, deposited: 0, withdrawn: 0 };
}

/**
 * Asked before a deposit is requested from M-Pesa: money that has already arrived is always credited, so the daily
 * deposit limit can only be enforced up front.
 */
export async function depositAllowance(
  q: Queryable,
  player: Player,
  amount: Cents,
  now: Date,
): Promise<Outcome<true, 'player_blocked' | 'self_excluded' | 'daily_deposit_limit', { remaining: Cents }>> {
  if (player.status !== 'active') return fail('player_blocked');
  if (isSelfExcluded(player, now)) return fail('self_excluded');
  if (player.dailyDepositLimit === null) return ok(true);
  const totals = await dailyTotals(q, player.id, now);
  const remaining = Math.max(player.dailyDepositLimit - totals.deposited, 0);
  return amount <= remaining ? ok(true) : fail('daily_deposit_limit', { remaining });
}

/** several players by number in one query (the menu batches the dials of one event-loop turn) */
export async function findPlayersByMsisdn(q: Queryable, msisdns: readonly string[]): Promise<Map<string, Player>> {
  const { rows } = await q.query<PlayerRow>('SELECT * FROM players WHERE msisdn = ANY($1::text[])', [msisdns]);
  return new Map(rows.map((r) => [r.msisdn, toPlayer(r)]));
}
