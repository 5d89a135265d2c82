import { nairobiDay } from '../src/core/clock.ts';
import type { Core } from '../src/core/core.ts';
import { int, type Queryable } from '../src/core/db.ts';
import { depositTax } from '../src/core/taxes.ts';

/**
 * Set-based setup that writes, row for row, what the engine writes one call at a time — so 100,000 open bets take
 * seconds instead of minutes. It mirrors, as of this writing:
 *   players:  registerPlayer (accounts + players) and deposit() → ledger_transfer (transfers, entries with the wallet's
 *             running balance and version, per-leg system_balance_deltas), player_daily_totals, the sms_outbox row;
 *   bets:     place_bet (bets, bet_selections, the 'bet:' transfer and its entries and deltas, the wallet debit,
 *             player_daily_totals, the 'bet_placed' sms_outbox row).
 * The engine moves on; `fidelity()` compares these rows, table by table, with what the real calls write, so a drift
 * shows up in the bench's output instead of silently skewing the figures.
 */

export interface SeedBetsInput {
  bets: number;
  /** share of singles on the target; the rest are doubles and trebles (half each) with one leg on the target */
  singles: number;
  target: number;
  /** events for legs 2–3 */
  others: number[];
  /** first player id (inclusive) and count of the seeded players the bets are spread over, round-robin */
  playerFrom: number;
  players: number;
  keyPrefix: string;
  now: Date;
}

export async function seedPlayers(
  core: Core,
  input: { players: number; firstNumber: number; depositCents: number; now: Date },
): Promise<{ fromId: number; count: number }> {
  const acc = core.accounts;
  const dep = depositTax(core.taxes, input.depositCents);
  const { now } = input;
  return core.db.tx(async (q) => {
    await q.query(
      `CREATE TEMP TABLE bench_pl ON COMMIT DROP AS
       SELECT g AS rn, '2547' || lpad(($2::int + g)::text, 8, '0') AS msisdn FROM generate_series(1, $1::int) g`,
      [input.players, input.firstNumber],
    );
    await q.query(
      `CREATE TEMP TABLE bench_new ON COMMIT DROP AS
       WITH acc AS (
         INSERT INTO accounts (code, kind, allow_negative)
         SELECT 'wallet:' || msisdn, 'wallet', false FROM bench_pl ORDER BY rn RETURNING id, code),
       pl AS (
         INSERT INTO players (msisdn, language, wallet_account_id, accepted_terms_at, created_at)
         SELECT substr(code, 8), 'en', id, $1, $1 FROM acc ORDER BY id RETURNING id, msisdn, wallet_account_id)
       SELECT * FROM pl`,
      [now],
    );
    // deposit(): ledger_transfer('deposit:' || receipt) with legs mpesa_clearing, wallet, excise_payable
    await q.query(
      `CREATE TEMP TABLE bench_dep ON COMMIT DROP AS
       SELECT x.*, nextval(pg_get_serial_sequence('transfers', 'id')) AS tid
         FROM (SELECT n.id AS player_id, n.msisdn, n.wallet_account_id AS wallet, 'BENCH' || n.msisdn AS receipt
                 FROM bench_new n ORDER BY n.id) x`,
    );
    await q.query(
      `INSERT INTO transfers (id, idempotency_key, kind, input_hash, reference, created_at)
       SELECT tid, 'deposit:' || receipt, 'deposit', md5(receipt), receipt, $1 FROM bench_dep ORDER BY tid`,
      [now],
    );
    await q.query(
      `CREATE TEMP TABLE bench_dep_legs ON COMMIT DROP AS
       SELECT * FROM (
         SELECT tid, 1 AS leg, $1::bigint AS account, -$2::bigint AS amount, NULL::bigint AS before,
                NULL::bigint AS after, NULL::bigint AS version FROM bench_dep
         UNION ALL SELECT tid, 2, wallet, $3::bigint, 0, $3::bigint, 1 FROM bench_dep
         UNION ALL SELECT tid, 3, $4::bigint, $5::bigint, NULL, NULL, NULL FROM bench_dep
       ) l WHERE amount <> 0`,
      [acc.mpesa_clearing, input.depositCents, dep.net, acc.excise_payable, dep.tax],
    );
    await q.query(
      `INSERT INTO entries (transfer_id, account_id, amount, balance_before, balance_after, account_version, created_at)
       SELECT tid, account, amount, before, after, version, $1 FROM bench_dep_legs ORDER BY tid, leg`,
      [now],
    );
    await q.query(
      `INSERT INTO system_balance_deltas (account_id, amount)
       SELECT account, amount FROM bench_dep_legs WHERE version IS NULL ORDER BY tid, leg`,
    );
    await q.query(
      `UPDATE accounts a SET balance = a.balance + $1::bigint, version = a.version + 1 FROM bench_dep d WHERE a.id = d.wallet`,
      [dep.net],
    );
    await q.query(
      `INSERT INTO player_daily_totals (player_id, day, deposited) SELECT player_id, $1::date, $2::bigint FROM bench_dep`,
      [nairobiDay(now), input.depositCents],
    );
    await q.query(
      `INSERT INTO sms_outbox (player_id, msisdn, kind, params, dedupe_key, next_attempt_at, created_at)
       SELECT player_id, msisdn, 'deposit_credited',
              jsonb_build_object('receipt', receipt, 'amount', $2::bigint, 'excise', $3::bigint, 'credited', $4::bigint,
                                 'balance', $4::bigint),
              'deposit:' || receipt, $1, $1
         FROM bench_dep ORDER BY player_id`,
      [now, input.depositCents, dep.tax, dep.net],
    );
    const r = await q.query<{ lo: unknown; n: unknown }>('SELECT min(id) AS lo, count(*) AS n FROM bench_new');
    return { fromId: int(r.rows[0]!.lo), count: int(r.rows[0]!.n) };
  });
}

export async function seedBets(core: Core, input: SeedBetsInput): Promise<void> {
  const acc = core.accounts;
  const stakeExciseBp = core.taxes.exciseBase === 'stake' ? core.taxes.exciseRateBp : 0;
  const { now } = input;
  await core.db.tx(async (q) => {
    await q.query(
      `CREATE TEMP TABLE bench_ev ON COMMIT DROP AS
       SELECT event_id, array_agg(id ORDER BY id) AS ids, array_agg(odds ORDER BY id) AS odds
         FROM outcomes WHERE event_id = ANY ($1::bigint[]) GROUP BY event_id`,
      [[input.target, ...input.others]],
    );
    await q.query(
      `CREATE TEMP TABLE bench_pp ON COMMIT DROP AS
       SELECT row_number() OVER (ORDER BY p.id) AS rn, p.id AS player_id, p.wallet_account_id AS wallet, p.msisdn
         FROM players p WHERE p.id >= $1 ORDER BY p.id LIMIT $2`,
      [input.playerFrom, input.players],
    );
    await q.query('SELECT setseed(0.42)');
    await q.query(
      `CREATE TEMP TABLE bench_gen ON COMMIT DROP AS
       SELECT g AS n, random() AS r_legs, random() AS r_stake, random() AS r_o1, random() AS r_o2, random() AS r_o3,
              random() AS r_e2, random() AS r_e3
         FROM generate_series(1, $1::int) g`,
      [input.bets],
    );
    const k = input.others.length;
    await q.query(
      `CREATE TEMP TABLE bench_bet ON COMMIT DROP AS
       SELECT y.*, nextval(pg_get_serial_sequence('bets', 'id')) AS bet_id,
              nextval(pg_get_serial_sequence('transfers', 'id')) AS tid
         FROM (
           SELECT g.n, d.player_id, d.wallet, d.msisdn, g.r_o1, g.r_o2, g.r_o3,
                  (ARRAY[2000, 2000, 5000, 5000, 10000, 10000, 20000, 50000])[1 + floor(g.r_stake * 8)::int]::bigint AS stake,
                  CASE WHEN g.r_legs < $2::float8 THEN 1 WHEN g.r_legs < $2::float8 + (1 - $2::float8) / 2 THEN 2 ELSE 3 END
                    AS legs,
                  floor(g.r_e2 * $3::int)::int AS i2,
                  (floor(g.r_e2 * $3::int)::int + 1 + floor(g.r_e3 * ($3::int - 1))::int) % $3::int AS i3
             FROM bench_gen g JOIN bench_pp d ON d.rn = 1 + (g.n - 1) % $1::int
            ORDER BY g.n) y`,
      [input.players, input.singles, k],
    );
    await q.query(
      `CREATE TEMP TABLE bench_sel ON COMMIT DROP AS
       SELECT b.bet_id, s.leg, s.event_id,
              ev.ids[1 + floor(s.r * cardinality(ev.ids))::int] AS outcome_id,
              ev.odds[1 + floor(s.r * cardinality(ev.ids))::int] AS odds
         FROM bench_bet b
        CROSS JOIN LATERAL (VALUES (1, $1::bigint, b.r_o1),
                                   (2, ($2::bigint[])[1 + b.i2], b.r_o2),
                                   (3, ($2::bigint[])[1 + b.i3], b.r_o3)) AS s(leg, event_id, r)
         JOIN bench_ev ev ON ev.event_id = s.event_id
        WHERE s.leg <= b.legs`,
      [input.target, input.others],
    );
    // quoteBet: excise on the stake (when that regime applies), payout = floor(net × Π odds / 100^legs)
    await q.query(
      `CREATE TEMP TABLE bench_slip ON COMMIT DROP AS
       SELECT b.bet_id, b.tid, b.n, b.player_id, b.wallet, b.msisdn, b.stake, b.legs, bet_reference(b.bet_id) AS reference,
              x.excise, b.stake - x.excise AS net_stake,
              div((b.stake - x.excise)::numeric * p.prod, 100::numeric ^ b.legs)::bigint AS potential
         FROM bench_bet b
        CROSS JOIN LATERAL (SELECT (b.stake * $1::bigint + 5000) / 10000 AS excise) x
         JOIN (SELECT bet_id, product(odds::numeric) AS prod FROM bench_sel GROUP BY bet_id) p ON p.bet_id = b.bet_id`,
      [stakeExciseBp],
    );
    const over = await q.query<{ n: unknown }>('SELECT count(*) AS n FROM bench_slip WHERE potential > $1', [
      core.settings.maxPayout,
    ]);
    if (int(over.rows[0]!.n) > 0) throw new Error(`${int(over.rows[0]!.n)} generated slips exceed maxPayout`);

    // place_bet: the bet, its selections, then ledger_transfer('bet:' || key, 'bet_place', hash, reference, ...)
    await q.query(
      `INSERT INTO bets (id, reference, idempotency_key, input_hash, player_id, stake, excise, net_stake,
                         potential_payout, legs, placed_at)
       SELECT bet_id, reference, $2 || n, md5($2 || n), player_id, stake, excise, net_stake, potential, legs, $1
         FROM bench_slip ORDER BY bet_id`,
      [now, input.keyPrefix],
    );
    await q.query(
      `INSERT INTO bet_selections (bet_id, leg, event_id, outcome_id, odds)
       SELECT bet_id, leg, event_id, outcome_id, odds FROM bench_sel ORDER BY bet_id, leg`,
    );
    await q.query(
      `INSERT INTO transfers (id, idempotency_key, kind, input_hash, reference, created_at)
       SELECT tid, 'bet:' || $2 || n, 'bet_place', md5($2 || n), reference, $1 FROM bench_slip ORDER BY tid`,
      [now, input.keyPrefix],
    );
    // wallet entries carry the running balance and version, in bet order per wallet
    await q.query(
      `CREATE TEMP TABLE bench_bet_legs ON COMMIT DROP AS
       SELECT * FROM (
         SELECT s.tid, 1 AS leg, s.wallet AS account, -s.stake AS amount,
                a.balance - sum(s.stake) OVER w + s.stake AS before,
                a.balance - sum(s.stake) OVER w AS after,
                a.version + row_number() OVER w AS version
           FROM bench_slip s JOIN accounts a ON a.id = s.wallet
         WINDOW w AS (PARTITION BY s.wallet ORDER BY s.bet_id)
         UNION ALL SELECT tid, 2, $1::bigint, net_stake, NULL, NULL, NULL FROM bench_slip
         UNION ALL SELECT tid, 3, $2::bigint, excise, NULL, NULL, NULL FROM bench_slip
       ) l WHERE amount <> 0`,
      [acc.stakes_held, acc.excise_payable],
    );
    await q.query(
      `INSERT INTO entries (transfer_id, account_id, amount, balance_before, balance_after, account_version, created_at)
       SELECT tid, account, amount, before, after, version, $1 FROM bench_bet_legs ORDER BY tid, leg`,
      [now],
    );
    await q.query(
      `INSERT INTO system_balance_deltas (account_id, amount)
       SELECT account, amount FROM bench_bet_legs WHERE version IS NULL ORDER BY tid, leg`,
    );
    await q.query(
      `UPDATE accounts a SET balance = a.balance - t.total, version = a.version + t.n
         FROM (SELECT wallet, sum(stake) AS total, count(*) AS n FROM bench_slip GROUP BY wallet) t
        WHERE a.id = t.wallet`,
    );
    await q.query(
      `INSERT INTO player_daily_totals (player_id, day, staked)
       SELECT player_id, $1::date, sum(stake) FROM bench_slip GROUP BY player_id
       ON CONFLICT (player_id, day) DO UPDATE SET staked = player_daily_totals.staked + EXCLUDED.staked`,
      [nairobiDay(now)],
    );
    await q.query(
      `INSERT INTO sms_outbox (player_id, msisdn, kind, params, dedupe_key, next_attempt_at, created_at)
       SELECT player_id, msisdn, 'bet_placed',
              jsonb_build_object('reference', reference, 'stake', stake, 'potentialPayout', potential, 'legs', legs),
              NULL, $1, $1
         FROM bench_slip ORDER BY bet_id`,
      [now],
    );
  });
}

/** exact row count of every table in the engine's schema */
export async function tableCounts(q: Queryable): Promise<Record<string, number>> {
  const { rows } = await q.query<{ relname: string; n: unknown }>(
    `SELECT c.relname,
            (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', ns.nspname, c.relname),
                                                 false, true, '')))[1]::text::bigint AS n
       FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
      WHERE c.relkind = 'r' AND ns.nspname = current_schema() AND c.relname <> 'schema_migrations'`,
  );
  return Object.fromEntries(rows.map((r) => [r.relname, int(r.n)]));
}

export interface FidelityMismatch {
  table: string;
  /** rows per unit written by the engine's own calls */
  engine: number;
  /** rows per unit written by the set-based seed */
  seed: number;
}

/**
 * Rows per unit (per player, per bet; bet_selections per leg) that the engine wrote for `engineUnits` real calls vs
 * what the seed wrote for `seedUnits`; any table that differs is reported.
 */
export function fidelity(
  before: Record<string, number>,
  afterEngine: Record<string, number>,
  afterSeed: Record<string, number>,
  units: { engine: number; seed: number },
  perLeg?: { table: string; engineLegs: number; seedLegs: number },
): FidelityMismatch[] {
  const out: FidelityMismatch[] = [];
  const tables = new Set([...Object.keys(before), ...Object.keys(afterEngine), ...Object.keys(afterSeed)]);
  for (const t of [...tables].sort()) {
    const e = (afterEngine[t] ?? 0) - (before[t] ?? 0);
    const s = (afterSeed[t] ?? 0) - (afterEngine[t] ?? 0);
    const eu = perLeg?.table === t ? perLeg.engineLegs : units.engine;
    const su = perLeg?.table === t ? perLeg.seedLegs : units.seed;
    const er = Math.round((e / eu) * 1000) / 1000;
    const sr = Math.round((s / su) * 1000) / 1000;
    if (er !== sr) out.push({ table: t, engine: er, seed: sr });
  }
  return out;
}
