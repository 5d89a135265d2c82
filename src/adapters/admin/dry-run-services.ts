/**
 * `MenuServices` for re-running a recorded session through today's menus without touching anything.
 *
 * Reads go to the database (SELECT only) AS OF the recorded hop's time, so the menus see the world the customer saw:
 * - `now()` is the recorded hop's `at` (set by the rerun before each hop);
 * - findPlayer: the player only if registered by then (created_at <= now); profile fields (language, limits,
 *   exclusion, blocked) are today's — the database keeps no history of them;
 * - balance: the wallet's balance after its last ledger entry at or before now; open bets = placed by then and not
 *   settled by then;
 * - upcomingEvents: events created by then that had not kicked off yet (the same order as the live query);
 *   eventMarkets/betLegs: the event's markets and stored odds (odds never change once published);
 * - recentBets: bets placed by then, with the state they had then (settled later → open).
 * Writes answer plausible successes and change nothing:
 * - register: the player row if it exists today (so later reads find their bets), else a player with id 0;
 * - placeBet: the bet the live session placed with the same idempotency key (the menu's key is
 *   `<sessionId>:bet:<n>`, so a rerun of the same session asks for the same key) with its real reference; when there
 *   is none, the quote with reference `BDRYRN` and bet id 0;
 * - startDeposit: ok with reference `DRYRUN` (limits are checked by the menu's screens before this);
 * - requestWithdrawal: the live withdrawal with the same key when there is one, else the preview, refusing
 *   insufficient_funds against the as-of balance;
 * - setLanguage/setLimits: nothing; selfExclude: until = now + days.
 */
import { int, type Queryable } from '../../core/db.ts';
import type { Cents } from '../../core/money.ts';
import { fail, ok } from '../../core/outcome.ts';
import type { CoreSettings } from '../../core/settings.ts';
import { quoteBet } from '../../core/bets.ts';
import { withdrawalTax } from '../../core/taxes.ts';
import { menuRules } from '../menu-services.ts';
import type { BetLeg, BetListItem, EventSummary, Lang, MenuServices, PaymentLimits, PlayerInfo } from '../../menus/services.ts';

export const DRY_RUN_BET_REFERENCE = 'BDRYRN';
export const DRY_RUN_DEPOSIT_REFERENCE = 'DRYRUN';

export interface DryRunServices extends MenuServices {
  /** the recorded time the next reads are answered as of */
  setNow(at: Date): void;
}

interface PlayerRow {
  id: unknown;
  msisdn: string;
  language: Lang;
  status: string;
  excluded_until: Date | string | null;
  daily_deposit_limit: unknown;
  daily_stake_limit: unknown;
}

const toInfo = (r: PlayerRow): PlayerInfo => ({
  id: int(r.id),
  msisdn: r.msisdn,
  language: r.language,
  blocked: r.status !== 'active',
  excludedUntil: r.excluded_until === null ? null : new Date(r.excluded_until).toISOString(),
  dailyDepositLimit: r.daily_deposit_limit === null ? null : int(r.daily_deposit_limit),
  dailyStakeLimit: r.daily_stake_limit === null ? null : int(r.daily_stake_limit),
});

export function createDryRunServices(
  q: Queryable,
  opts: { settings: CoreSettings; limits: PaymentLimits },
): DryRunServices {
  let now = new Date();
  const { settings } = opts;
  const registered = new Map<string, PlayerInfo>();

  const balanceAsOf = async (playerId: number): Promise<Cents> => {
    const { rows } = await q.query<{ balance: unknown }>(
      `SELECT coalesce((SELECT e.balance_after FROM entries e
                         WHERE e.account_id = p.wallet_account_id AND e.created_at <= $2 AND e.balance_after IS NOT NULL
                         ORDER BY e.id DESC LIMIT 1), 0) AS balance
         FROM players p WHERE p.id = $1`,
      [playerId, now],
    );
    return rows[0] ? int(rows[0].balance) : 0;
  };

  return {
    setNow(at) {
      now = at;
    },
    now: () => now.toISOString(),
    ...menuRules(settings, opts.limits),

    async findPlayer(msisdn) {
      const mine = registered.get(msisdn);
      if (mine) return mine;
      const { rows } = await q.query<PlayerRow>('SELECT * FROM players WHERE msisdn = $1 AND created_at <= $2', [msisdn, now]);
      return rows[0] ? toInfo(rows[0]) : null;
    },

    async register(msisdn, language) {
      const { rows } = await q.query<PlayerRow>('SELECT * FROM players WHERE msisdn = $1', [msisdn]);
      const info: PlayerInfo = rows[0]
        ? { ...toInfo(rows[0]), language }
        : { id: 0, msisdn, language, blocked: false, excludedUntil: null, dailyDepositLimit: null, dailyStakeLimit: null };
      registered.set(msisdn, info);
      return info;
    },

    async balance(playerId) {
      const [bal, open] = await Promise.all([
        balanceAsOf(playerId),
        q.query<{ n: unknown; s: unknown }>(
          `SELECT count(*) AS n, coalesce(sum(stake), 0) AS s FROM bets
            WHERE player_id = $1 AND placed_at <= $2 AND state <> 'rejected' AND (settled_at IS NULL OR settled_at > $2)`,
          [playerId, now],
        ),
      ]);
      return { balance: bal, openBets: int(open.rows[0]!.n), openStakes: int(open.rows[0]!.s) };
    },

    async upcomingEvents(sport, page) {
      const { rows } = await q.query<{ id: unknown; sport: EventSummary['sport']; home: string; away: string; kickoff_at: Date | string }>(
        `SELECT id, sport, home, away, kickoff_at FROM events
          WHERE sport = $1 AND created_at <= $2 AND kickoff_at > $2
          ORDER BY kickoff_at, match_no LIMIT $3 OFFSET $4`,
        [sport, now, page.limit, page.offset],
      );
      return rows.map((r) => ({ id: int(r.id), sport: r.sport, home: r.home, away: r.away, kickoffAt: new Date(r.kickoff_at).toISOString() }));
    },

    async eventMarkets(eventId) {
      const ev = await q.query<{ id: unknown; sport: EventSummary['sport']; home: string; away: string; kickoff_at: Date | string }>(
        'SELECT id, sport, home, away, kickoff_at FROM events WHERE id = $1',
        [eventId],
      );
      const e = ev.rows[0];
      if (!e) return null;
      const outs = await q.query<{ id: unknown; market: string; pick: string; line: string | number | null; odds: unknown }>(
        'SELECT id, market, pick, line, odds FROM outcomes WHERE event_id = $1 ORDER BY id',
        [eventId],
      );
      return {
        event: { id: int(e.id), sport: e.sport, home: e.home, away: e.away, kickoffAt: new Date(e.kickoff_at).toISOString() },
        outcomes: outs.rows.map((o) => ({ id: int(o.id), market: o.market, pick: o.pick, line: o.line === null ? null : Number(o.line), odds: int(o.odds) })),
      };
    },

    async placeBet(input) {
      const quote = quoteBet(settings, input.stake, input.selections.map((s) => s.odds));
      const { rows } = await q.query<{ id: unknown; reference: string }>(
        'SELECT id, reference FROM bets WHERE idempotency_key = $1',
        [input.key],
      );
      const before = await balanceAsOf(input.playerId);
      const live = rows[0];
      return ok({
        ...quote,
        betId: live ? int(live.id) : 0,
        reference: live ? live.reference : DRY_RUN_BET_REFERENCE,
        balance: Math.max(before - input.stake, 0),
        duplicate: false,
      });
    },

    async recentBets(playerId, page) {
      const { rows } = await q.query<{
        id: unknown;
        reference: string;
        stake: unknown;
        potential_payout: unknown;
        state: BetListItem['state'];
        payout: unknown;
        legs: unknown;
        placed_at: Date | string;
        settled_late: boolean;
      }>(
        `SELECT id, reference, stake, potential_payout, state, payout, legs, placed_at,
                (settled_at IS NOT NULL AND settled_at > $2) AS settled_late
           FROM bets WHERE player_id = $1 AND placed_at <= $2 ORDER BY id DESC LIMIT $3 OFFSET $4`,
        [playerId, now, page.limit, page.offset],
      );
      return rows.map((r) => ({
        id: int(r.id),
        reference: r.reference,
        stake: int(r.stake),
        potentialPayout: int(r.potential_payout),
        state: r.settled_late ? 'open' : r.state,
        payout: r.settled_late || r.payout === null ? null : int(r.payout),
        legs: int(r.legs),
        placedAt: new Date(r.placed_at).toISOString(),
      }));
    },

    async betLegs(playerId, betId) {
      const { rows } = await q.query<{
        home: string;
        away: string;
        market: string;
        pick: string;
        line: string | number | null;
        odds: unknown;
        result: BetLeg['result'];
        score: string | null;
        resulted_late: boolean;
      }>(
        `SELECT e.home, e.away, o.market, o.pick, o.line, s.odds, o.result, e.score,
                (e.resulted_at IS NULL OR e.resulted_at > $3) AS resulted_late
           FROM bets b JOIN bet_selections s ON s.bet_id = b.id JOIN outcomes o ON o.id = s.outcome_id
           JOIN events e ON e.id = s.event_id
          WHERE b.id = $1 AND b.player_id = $2 ORDER BY s.leg`,
        [betId, playerId, now],
      );
      if (rows.length === 0) return null;
      return rows.map((r) => ({
        home: r.home,
        away: r.away,
        market: r.market,
        pick: r.pick,
        line: r.line === null ? null : Number(r.line),
        odds: int(r.odds),
        result: r.resulted_late ? null : r.result,
        score: r.resulted_late ? null : r.score,
      }));
    },

    async startDeposit(input) {
      if (input.amount < opts.limits.minDeposit) return fail('amount_too_low');
      if (input.amount > opts.limits.maxDeposit) return fail('amount_too_high');
      return ok({ reference: DRY_RUN_DEPOSIT_REFERENCE });
    },

    async requestWithdrawal(input) {
      if (input.amount < opts.limits.minWithdrawal) return fail('amount_too_low');
      if (input.amount > opts.limits.maxWithdrawal) return fail('amount_too_high');
      const { rows } = await q.query<{ amount: unknown; wht: unknown; net: unknown }>(
        'SELECT amount, wht, net FROM withdrawals WHERE idempotency_key = $1',
        [input.key],
      );
      const before = await balanceAsOf(input.playerId);
      const live = rows[0];
      if (live) {
        return ok({ amount: int(live.amount), wht: int(live.wht), net: int(live.net), balance: Math.max(before - int(live.amount), 0) });
      }
      if (input.amount > before) return fail('insufficient_funds');
      const tax = withdrawalTax(settings.taxes, input.amount);
      return ok({ amount: input.amount, wht: tax.tax, net: tax.net, balance: before - input.amount });
    },

    async setLanguage() {},
    async setLimits() {},
    async selfExclude(_playerId, days) {
      return { until: new Date(now.getTime() + days * 86_400_000).toISOString() };
    },
  };
}
