import type { SystemAccountIds } from './accounts.ts';
import { int, type Db, type Queryable } from './db.ts';
import { transfer } from './ledger.ts';
import { queueSms } from './outbox.ts';
import { fail, ok, type Outcome } from './outcome.ts';
import { modelFor } from './sports/leagues.ts';
import type { OutcomeResult, Sport } from './sports/types.ts';
import type { TaxRules } from './taxes.ts';

export interface SettlementDeps {
  db: Db;
  accounts: SystemAccountIds;
  taxes: TaxRules;
}

// Settlements take turns: a multibet with legs in two events is settled by whichever of the two commits last,
// which it can only see if the other has committed before it looks.
const SETTLEMENT_LOCK = 7_290_002;

export interface SettlementSummary {
  eventId: number;
  bets: number;
  won: number;
  lost: number;
  void: number;
}

/**
 * Settles one drawn event: resolves its outcomes, then every open bet whose legs are all resolved, in a handful of
 * set-based statements inside one transaction. Running it twice, or from two processes, settles each bet once.
 */
export async function settleEvent(deps: SettlementDeps, eventId: number, now: Date): Promise<SettlementSummary | null> {
  return deps.db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [SETTLEMENT_LOCK]);
    const { rows } = await q.query<{ sport: Sport; params: unknown; result: unknown; status: string }>(
      'SELECT sport, params, result, status FROM events WHERE id = $1 FOR UPDATE',
      [eventId],
    );
    const ev = rows[0];
    if (!ev || ev.status !== 'resulted') return null;
    const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const results = modelFor(ev.sport).settle(parse(ev.params), parse(ev.result));
    await resolveOutcomes(q, eventId, results);
    const summary = await settleResolvedBets(q, deps, eventId, now);
    await q.query(`UPDATE events SET status = 'settled', settled_at = $2 WHERE id = $1`, [eventId, now]);
    return summary;
  });
}

/** an event that cannot be played (or was drawn in error) settles with every outcome void: stakes come back */
export async function voidEvent(deps: SettlementDeps, eventId: number, now: Date): Promise<SettlementSummary | null> {
  return deps.db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [SETTLEMENT_LOCK]);
    const { rows } = await q.query<{ status: string }>('SELECT status FROM events WHERE id = $1 FOR UPDATE', [eventId]);
    if (!rows[0] || rows[0].status === 'settled') return null;
    await q.query(`UPDATE outcomes SET result = 'void' WHERE event_id = $1`, [eventId]);
    const summary = await settleResolvedBets(q, deps, eventId, now);
    await q.query(
      `UPDATE events SET status = 'settled', settled_at = $2, resulted_at = coalesce(resulted_at, $2) WHERE id = $1`,
      [eventId, now],
    );
    return summary;
  });
}

async function resolveOutcomes(q: Queryable, eventId: number, results: Record<string, OutcomeResult>) {
  const keys = Object.keys(results);
  await q.query(
    `UPDATE outcomes o SET result = r.result
       FROM unnest($2::text[], $3::text[]) AS r(key, result)
      WHERE o.event_id = $1 AND o.market || ':' || o.pick = r.key`,
    [eventId, keys, keys.map((k) => results[k])],
  );
  const missing = await q.query<{ n: unknown }>(
    'SELECT count(*) AS n FROM outcomes WHERE event_id = $1 AND result IS NULL',
    [eventId],
  );
  if (int(missing.rows[0]!.n) > 0) throw new Error(`event ${eventId}: the model left outcomes unresolved`);
}

/**
 * The rules, applied set-wise: any lost leg loses the bet; all legs void returns the whole stake (excise included);
 * otherwise the bet wins net stake × the product of its won legs' odds (a void leg counts as 1.00), floored to the
 * cent, less withholding tax when it is taken from winnings.
 */
async function settleResolvedBets(
  q: Queryable,
  deps: SettlementDeps,
  eventId: number,
  now: Date,
): Promise<SettlementSummary> {
  const wht = deps.taxes.whtBase === 'winnings' ? deps.taxes.whtRateBp : 0;
  await q.exec(`CREATE TEMP TABLE IF NOT EXISTS settle_batch (
      bet_id bigint PRIMARY KEY, reference text, wallet bigint, state text, stake bigint, excise bigint,
      net_stake bigint, payout bigint, wht bigint, credit bigint, transfer_id bigint) ON COMMIT DELETE ROWS`);
  await q.query(
    `INSERT INTO settle_batch (bet_id, reference, wallet, state, stake, excise, net_stake, payout, wht, credit, transfer_id)
     SELECT x.id, x.reference, x.wallet, x.state, x.stake, x.excise, x.net_stake, x.payout, x.wht,
            CASE x.state WHEN 'won' THEN x.payout - x.wht WHEN 'void' THEN x.stake ELSE 0 END,
            nextval(pg_get_serial_sequence('transfers', 'id'))
       FROM (
         SELECT w.*,
                CASE WHEN w.state = 'won' AND w.payout > w.stake
                     THEN ((w.payout - w.stake) * $2 + 5000) / 10000 ELSE 0 END AS wht
           FROM (
             SELECT b.id, b.reference, p.wallet_account_id AS wallet, b.stake, b.excise, b.net_stake,
                    CASE WHEN a.lost THEN 'lost' WHEN a.all_void THEN 'void' ELSE 'won' END AS state,
                    CASE WHEN a.lost THEN 0 WHEN a.all_void THEN b.stake
                         ELSE floor(b.net_stake * a.factor)::bigint END AS payout
               FROM (
                 SELECT s.bet_id,
                        bool_or(o.result IS NULL) AS pending,
                        bool_or(o.result = 'lost') AS lost,
                        bool_and(o.result = 'void') AS all_void,
                        product(CASE WHEN o.result = 'won' THEN s.odds::numeric / 100 ELSE 1 END) AS factor
                   FROM bet_selections s JOIN outcomes o ON o.id = s.outcome_id
                  WHERE s.bet_id IN (SELECT bet_id FROM bet_selections WHERE event_id = $1)
                  GROUP BY s.bet_id
               ) a
               JOIN bets b ON b.id = a.bet_id AND b.state = 'open'
               JOIN players p ON p.id = b.player_id
              WHERE NOT a.pending
           ) w
       ) x`,
    [eventId, wht],
  );

  // wallets in id order, as ledger_transfer does, so settlement and bet placement never deadlock
  await q.query(
    `SELECT a.id FROM accounts a WHERE a.id IN (SELECT wallet FROM settle_batch WHERE credit > 0) ORDER BY a.id FOR UPDATE`,
  );
  await q.query(
    `INSERT INTO transfers (id, idempotency_key, kind, input_hash, reference, created_at)
     SELECT transfer_id, 'settle:' || bet_id, 'bet_' || state, 'settlement', reference, $1 FROM settle_batch`,
    [now],
  );
  await q.query(
    `WITH legs AS (
       SELECT transfer_id, $1::bigint AS account, -net_stake AS amount FROM settle_batch
       UNION ALL SELECT transfer_id, $2, net_stake FROM settle_batch WHERE state = 'lost'
       UNION ALL SELECT transfer_id, $2, -(payout - net_stake) FROM settle_batch WHERE state = 'won'
       UNION ALL SELECT transfer_id, $3, wht FROM settle_batch WHERE state = 'won'
       UNION ALL SELECT transfer_id, $4, -excise FROM settle_batch WHERE state = 'void'
     ), kept AS (SELECT * FROM legs WHERE amount <> 0),
     deltas AS (
       INSERT INTO system_balance_deltas (account_id, amount)
       SELECT account, sum(amount) FROM kept GROUP BY account RETURNING 1
     )
     INSERT INTO entries (transfer_id, account_id, amount, created_at)
     SELECT transfer_id, account, amount, $5 FROM kept`,
    [deps.accounts.stakes_held, deps.accounts.house_revenue, deps.accounts.wht_payable, deps.accounts.excise_payable, now],
  );
  await q.query(
    `WITH credits AS (
       SELECT s.transfer_id, s.wallet, s.credit,
              a.balance + sum(s.credit) OVER w AS after,
              a.version + row_number() OVER w AS version
         FROM settle_batch s JOIN accounts a ON a.id = s.wallet
        WHERE s.credit > 0
       WINDOW w AS (PARTITION BY s.wallet ORDER BY s.bet_id)
     ), ins AS (
       INSERT INTO entries (transfer_id, account_id, amount, balance_before, balance_after, account_version, created_at)
       SELECT transfer_id, wallet, credit, after - credit, after, version, $1 FROM credits RETURNING 1
     )
     UPDATE accounts a SET balance = a.balance + t.total, version = a.version + t.n
       FROM (SELECT wallet, sum(credit) AS total, count(*) AS n FROM settle_batch WHERE credit > 0 GROUP BY wallet) t
      WHERE a.id = t.wallet`,
    [now],
  );
  await q.query(
    `INSERT INTO sms_outbox (player_id, msisdn, kind, params, dedupe_key, next_attempt_at, created_at)
     SELECT p.id, p.msisdn, 'bet_' || s.state,
            jsonb_build_object('reference', s.reference, 'payout', s.payout, 'wht', s.wht, 'credited', s.credit),
            'bet_settled:' || s.bet_id, $1, $1
       FROM settle_batch s JOIN bets b ON b.id = s.bet_id JOIN players p ON p.id = b.player_id
      WHERE s.state IN ('won', 'void')`,
    [now],
  );
  const { rows } = await q.query<{ state: string; n: unknown }>(
    `WITH done AS (
       UPDATE bets b SET state = s.state, payout = s.payout, wht = s.wht, settled_at = $1
         FROM settle_batch s WHERE b.id = s.bet_id RETURNING s.state
     ) SELECT state, count(*) AS n FROM done GROUP BY state`,
    [now],
  );
  const count = (state: string) => int(rows.find((r) => r.state === state)?.n ?? 0);
  const summary = { eventId, won: count('won'), lost: count('lost'), void: count('void'), bets: 0 };
  summary.bets = summary.won + summary.lost + summary.void;
  return summary;
}

/** cancels one open bet (a support decision): the whole stake, excise included, returns to the wallet */
export async function voidBet(
  deps: SettlementDeps,
  input: { betId: number; now: Date },
): Promise<Outcome<{ refunded: number }, 'not_found' | 'not_open'>> {
  return deps.db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [SETTLEMENT_LOCK]);
    const { rows } = await q.query<{
      state: string;
      stake: unknown;
      excise: unknown;
      net_stake: unknown;
      reference: string;
      wallet: unknown;
      player_id: unknown;
    }>(
      `SELECT b.state, b.stake, b.excise, b.net_stake, b.reference, b.player_id, p.wallet_account_id AS wallet
         FROM bets b JOIN players p ON p.id = b.player_id WHERE b.id = $1 FOR UPDATE OF b`,
      [input.betId],
    );
    const bet = rows[0];
    if (!bet) return fail('not_found');
    if (bet.state !== 'open') return fail('not_open');
    const stake = int(bet.stake);
    const result = await transfer(q, {
      key: `settle:${input.betId}`,
      kind: 'bet_void',
      reference: bet.reference,
      now: input.now,
      legs: [
        { account: deps.accounts.stakes_held, amount: -int(bet.net_stake) },
        { account: deps.accounts.excise_payable, amount: -int(bet.excise) },
        { account: int(bet.wallet), amount: stake },
      ],
    });
    if (result.status !== 'created') throw new Error(`void of bet ${input.betId}: ledger said ${result.status}`);
    await q.query(`UPDATE bets SET state = 'void', payout = $2, wht = 0, settled_at = $3 WHERE id = $1`, [
      input.betId,
      stake,
      input.now,
    ]);
    await queueSms(q, {
      playerId: int(bet.player_id),
      kind: 'bet_void',
      params: { reference: bet.reference, payout: stake, wht: 0, credited: stake },
      dedupeKey: `bet_settled:${input.betId}`,
      now: input.now,
    });
    return ok({ refunded: stake });
  });
}
