/**
 * Binds the menu conversation's `MenuServices` to the core engine and the payments port. Thin on purpose: the money
 * rules live in the core; this file maps shapes (dates → ISO strings for the persisted snapshot), applies the
 * payment limits that belong to the channel (minimum/maximum deposit and withdrawal, daily withdrawal cap), and
 * starts payments without waiting for them.
 */
import type { Logger } from 'pino';
import { placeBet, quoteBet, recentBets } from '../core/bets.ts';
import type { Core } from '../core/core.ts';
import { batchLoader } from './batch-loader.ts';
import { createOpenRoundsCache } from './open-rounds-cache.ts';
import { int } from '../core/db.ts';
import type { EventView } from '../core/events.ts';
import type { Cents } from '../core/money.ts';
import type { CoreSettings } from '../core/settings.ts';
import { fail, ok } from '../core/outcome.ts';
import {
  dailyTotals,
  depositAllowance,
  findPlayersByMsisdn,
  getPlayer,
  registerPlayer,
  selfExclude,
  setDailyLimits,
  setLanguage,
  type Player,
} from '../core/players.ts';
import { depositTax, withdrawalTax } from '../core/taxes.ts';
import { balances, reserveWithdrawal } from '../core/wallet.ts';
import type { BetLeg, EventSummary, MenuServices, PaymentLimits, PlayerInfo } from '../menus/services.ts';
import type { PaymentsPort } from './payments/payments-port.ts';

export interface MenuServicesOptions {
  limits: PaymentLimits & { dailyWithdrawalLimit: Cents };
  logger: Logger;
}

function toPlayerInfo(p: Player): PlayerInfo {
  return {
    id: p.id,
    msisdn: p.msisdn,
    language: p.language,
    blocked: p.status !== 'active',
    excludedUntil: p.excludedUntil === null ? null : p.excludedUntil.toISOString(),
    dailyDepositLimit: p.dailyDepositLimit,
    dailyStakeLimit: p.dailyStakeLimit,
  };
}

function toEventSummary(e: EventView): EventSummary {
  return { id: e.id, sport: e.sport, home: e.home, away: e.away, kickoffAt: e.kickoffAt.toISOString() };
}

async function mustGetPlayer(core: Core, playerId: number): Promise<Player> {
  const player = await getPlayer(core.db, playerId);
  if (player === null) throw new Error(`no player ${playerId}`);
  return player;
}

/** the legs of one of the player's bets; null when the bet does not exist or is someone else's */
export async function betLegsOf(core: Core, playerId: number, betId: number): Promise<BetLeg[] | null> {
  const { rows } = await core.db.query<{
    home: string;
    away: string;
    market: string;
    pick: string;
    line: string | number | null;
    odds: unknown;
    result: BetLeg['result'];
    score: string | null;
  }>(
    `SELECT e.home, e.away, o.market, o.pick, o.line, s.odds, o.result, e.score
       FROM bets b
       JOIN bet_selections s ON s.bet_id = b.id
       JOIN outcomes o ON o.id = s.outcome_id
       JOIN events e ON e.id = s.event_id
      WHERE b.id = $1 AND b.player_id = $2
      ORDER BY s.leg`,
    [betId, playerId],
  );
  // every bet has at least one leg, so no rows means no such bet of this player
  if (rows.length === 0) return null;
  return rows.map((r) => ({
    home: r.home,
    away: r.away,
    market: r.market,
    pick: r.pick,
    line: r.line === null ? null : Number(r.line),
    odds: int(r.odds),
    result: r.result,
    score: r.score,
  }));
}

/** the parts of MenuServices that are rules alone: the same for the live gateway and a support dry run */
export function menuRules(
  settings: CoreSettings,
  limits: PaymentLimits,
): Pick<MenuServices, 'limits' | 'quoteBet' | 'depositPreview' | 'withdrawalPreview'> {
  return {
    limits: {
      minDeposit: limits.minDeposit,
      maxDeposit: limits.maxDeposit,
      minWithdrawal: limits.minWithdrawal,
      maxWithdrawal: limits.maxWithdrawal,
      minStake: settings.minStake,
      maxStake: settings.maxStake,
      maxLegs: settings.maxLegs,
    },
    quoteBet: (stake, odds) => quoteBet(settings, stake, odds),
    depositPreview(amount) {
      const tax = depositTax(settings.taxes, amount);
      return { excise: tax.tax, credited: tax.net };
    },
    withdrawalPreview(amount) {
      const tax = withdrawalTax(settings.taxes, amount);
      return { wht: tax.tax, net: tax.net };
    },
  };
}

export function createMenuServices(core: Core, payments: PaymentsPort, opts: MenuServicesOptions): MenuServices {
  const { limits, logger } = opts;
  const now = () => core.clock();
  const rounds = createOpenRoundsCache(core.db, core.clock);
  // the two reads nearly every session makes, batched across the sessions of one event-loop turn
  const players = batchLoader((msisdns: string[]) => findPlayersByMsisdn(core.db, msisdns), null);
  const wallets = batchLoader((ids: number[]) => balances(core.db, ids), null);

  return {
    now: () => now().toISOString(),
    ...menuRules(core.settings, limits),

    async findPlayer(msisdn) {
      const player = await players.load(msisdn);
      return player === null ? null : toPlayerInfo(player);
    },

    async register(msisdn, language) {
      // the menu calls this only after the player accepted the terms and confirmed they are 18+
      const result = await registerPlayer(core.db, { msisdn, language, acceptedTerms: true, confirmedAdult: true, now: now() });
      if (!result.ok) throw new Error(`registration refused: ${result.reason}`);
      return toPlayerInfo(result.value);
    },

    async balance(playerId) {
      const view = await wallets.load(playerId);
      if (view === null) throw new Error(`no player ${playerId}`);
      return { balance: view.balance, openBets: view.openBets, openStakes: view.openStakes };
    },

    async upcomingEvents(sport, page) {
      const events = await rounds.upcoming(sport, page);
      return events.map(toEventSummary);
    },

    async eventMarkets(eventId) {
      const found = await rounds.markets(eventId);
      if (found === null) return null;
      return {
        event: toEventSummary(found.event),
        outcomes: found.outcomes.map((o) => ({ id: o.id, market: o.market, pick: o.pick, line: o.line, odds: o.odds })),
      };
    },


    placeBet: (input) =>
      placeBet(core, { playerId: input.playerId, selections: input.selections, stake: input.stake, key: input.key, now: now() }),

    async recentBets(playerId, page) {
      const bets = await recentBets(core.db, playerId, page);
      return bets.map((b) => ({
        id: b.id,
        reference: b.reference,
        stake: b.stake,
        potentialPayout: b.potentialPayout,
        state: b.state,
        payout: b.payout,
        legs: b.legs,
        placedAt: b.placedAt.toISOString(),
      }));
    },

    betLegs: (playerId, betId) => betLegsOf(core, playerId, betId),

    async startDeposit(input) {
      if (!Number.isSafeInteger(input.amount) || input.amount < limits.minDeposit) return fail('amount_too_low');
      if (input.amount > limits.maxDeposit) return fail('amount_too_high');
      const player = await mustGetPlayer(core, input.playerId);
      // money that has arrived is always credited, so the player's own limits can only be enforced up front
      const allowed = await depositAllowance(core.db, player, input.amount, now());
      if (!allowed.ok) return fail(allowed.reason);
      return payments.startDeposit({ playerId: player.id, msisdn: player.msisdn, amount: input.amount });
    },

    async requestWithdrawal(input) {
      if (!Number.isSafeInteger(input.amount) || input.amount < limits.minWithdrawal) return fail('amount_too_low');
      if (input.amount > limits.maxWithdrawal) return fail('amount_too_high');
      const at = now();
      const [player, totals] = await Promise.all([mustGetPlayer(core, input.playerId), dailyTotals(core.db, input.playerId, at)]);
      // a self-excluded player may still take their money out; a blocked one may not
      if (player.status !== 'active') return fail('player_blocked');
      // checked outside the wallet lock: two withdrawals racing from two sessions could both pass (the hop lock
      // serialises one session); the cap is a channel limit, not a ledger invariant
      if (totals.withdrawn + input.amount > limits.dailyWithdrawalLimit) return fail('daily_withdrawal_limit');
      const reserved = await reserveWithdrawal(core, { playerId: player.id, amount: input.amount, key: input.key, now: at });
      if (!reserved.ok) {
        if (reserved.reason === 'insufficient_funds') return fail('insufficient_funds');
        if (reserved.reason === 'invalid_amount') return fail('amount_too_low');
        // the same key with another amount: the menu reused a key, which is a bug, not a player mistake
        throw new Error(`withdrawal ${input.key}: ${reserved.reason}`);
      }
      const w = reserved.value;
      // a retried request (same key) found the reservation made the first time; its payout was started then
      if (!w.duplicate) {
        payments.startPayout({ withdrawalId: w.id, msisdn: player.msisdn, amount: w.net }).catch((err: unknown) => {
          // the amount stays reserved; payment reconciliation completes or fails it later
          logger.error({ err, withdrawalId: w.id }, 'payout could not be started');
        });
      }
      return ok({ amount: w.amount, wht: w.wht, net: w.net, balance: w.balance });
    },

    setLanguage: (playerId, language) => setLanguage(core.db, playerId, language),

    setLimits: (playerId, l) => setDailyLimits(core.db, playerId, l),

    async selfExclude(playerId, days) {
      const until = await selfExclude(core.db, playerId, days, now());
      return { until: until.toISOString() };
    },
  };
}
