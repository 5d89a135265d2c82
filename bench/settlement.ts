import { writeFileSync } from 'node:fs';
import { placeBet } from '../src/core/bets.ts';
import type { Core } from '../src/core/core.ts';
import { int } from '../src/core/db.ts';
import { computeResult, createRound, eventOutcomes } from '../src/core/events.ts';
import { registerPlayer } from '../src/core/players.ts';
import { settleEvent, type SettlementSummary } from '../src/core/settlement.ts';
import type { Sport } from '../src/core/sports/types.ts';
import { deposit } from '../src/core/wallet.ts';
import { ledgerVerdict, openEngine, timedRollup, type LedgerVerdict, type RollupFigures } from './engine.ts';
import type { Scratch } from './env.ts';
import { explainingDb, type ExplainedStatement } from './explain.ts';
import { fidelity, seedBets, seedPlayers, tableCounts, type FidelityMismatch } from './seed.ts';
import { round, WaitSampler } from './stats.ts';

export interface SettlementOptions {
  bets: number;
  players: number;
  /** share of bets that are singles on the settled event; the rest are 2–3 leg multibets with one leg on it */
  singles: number;
  depositCents: number;
  /** run the timed settleEvent under auto_explain and write its statements' plans to this file */
  explainTo?: string;
}

export interface SettlementResult {
  bets: number;
  players: number;
  singles: number;
  multibets: number;
  multibetsAllOtherLegsSettled: number;
  multibetsWithOpenLegs: number;
  setupSeconds: number;
  /** the seed against the engine's own calls: rows written per player and per bet, table by table */
  fidelity: { ok: boolean; enginePlayers: number; engineBets: number; mismatches: FidelityMismatch[] };
  setupRollup: RollupFigures;
  preSettled: { events: number; seconds: number[]; betsSettled: number };
  summary: SettlementSummary;
  expectedSettled: number;
  seconds: number;
  /** CPU the server spent on the settlement (all backends of the scratch database), from /proc */
  backendCpuSeconds: number | null;
  /** what the settling backend was doing, sampled every 100 ms */
  waits: Record<string, number>;
  betsPerSecond: number;
  stillOpen: number;
  payoutCents: number;
  rollup: RollupFigures;
  ledger: LedgerVerdict;
  explained?: { file: string; top: { ms: number; query: string }[] };
}

interface RoundEvent {
  id: number;
  sport: Sport;
  params: unknown;
  serverSeed: string;
}

/** draws an event exactly as drawDueEvents does, for one event, whatever its kickoff */
async function result(core: Core, ev: RoundEvent, now: Date): Promise<void> {
  const params = typeof ev.params === 'string' ? JSON.parse(ev.params) : ev.params;
  const { result: drawn, score } = computeResult(ev.sport, params, ev.serverSeed, ev.id);
  await core.db.query(
    `UPDATE events SET status = 'resulted', result = $2::jsonb, score = $3, resulted_at = $4 WHERE id = $1 AND status = 'open'`,
    [ev.id, JSON.stringify(drawn), score, now],
  );
}

/**
 * Settlement of one event carrying `bets` open bets: 70% singles on it, 30% 2–3 leg multibets whose other legs are on
 * events of the same round that are settled first (legs 2–5 of the round) or still open (6–8). The timed call is
 * `settleEvent` for the target event, exactly as the scheduler makes it.
 */
export async function runSettlement(
  scratch: Scratch,
  opts: SettlementOptions,
  log: (line: string) => void,
): Promise<SettlementResult> {
  const engine = await openEngine(scratch, 'settle', 4);
  const { core } = engine;
  try {
    const now = new Date();
    await core.db.tx((q) =>
      createRound(q, { sport: 'football', roundNo: 1, kickoffAt: new Date(now.getTime() + 3_600_000), margin: core.settings.margin, now }),
    );
    const evRows = await core.db.query<{ id: unknown; sport: Sport; params: unknown; server_seed: string }>(
      'SELECT id, sport, params, server_seed FROM events ORDER BY match_no',
    );
    const events: RoundEvent[] = evRows.rows.map((r) => ({ id: int(r.id), sport: r.sport, params: r.params, serverSeed: r.server_seed }));
    if (events.length < 5) throw new Error(`a football round has ${events.length} events; need at least 5`);
    const [target, ...others] = events as [RoundEvent, ...RoundEvent[]];
    const preSettle = others.slice(0, Math.ceil(others.length / 2)); // 4 of 7 settled first, 3 stay open
    const stillOpen = others.slice(preSettle.length);

    // calibration: a few players and bets through the engine itself, then the rest set-based; the row counts of
    // both are compared table by table (see seed.ts)
    const ENGINE_PLAYERS = 5;
    const ENGINE_SINGLES = 20;
    const ENGINE_DOUBLES = 10;
    log(`  seeding ${opts.players} funded players and ${opts.bets} open bets (set-based SQL mirroring place_bet)...`);
    const s0 = performance.now();
    const c0 = await tableCounts(core.db);
    for (let i = 0; i < ENGINE_PLAYERS; i++) {
      const msisdn = `2541${String(i).padStart(8, '0')}`;
      const reg = await registerPlayer(core.db, { msisdn, language: 'en', acceptedTerms: true, confirmedAdult: true, now });
      if (!reg.ok) throw new Error(`registration refused: ${reg.reason}`);
      const dep = await deposit(core, { playerId: reg.value.id, amount: opts.depositCents, receipt: `CAL${i}`, now });
      if (!dep.ok) throw new Error(`deposit refused: ${dep.reason}`);
    }
    const c1 = await tableCounts(core.db);
    const seeded = await seedPlayers(core, { players: opts.players, firstNumber: 0, depositCents: opts.depositCents, now });
    const c2 = await tableCounts(core.db);
    const targetOutcomes = await eventOutcomes(core.db, target.id);
    const otherOutcomes = await eventOutcomes(core.db, others[0]!.id);
    for (let i = 0; i < ENGINE_SINGLES + ENGINE_DOUBLES; i++) {
      const a = targetOutcomes[i % targetOutcomes.length]!;
      const b = otherOutcomes[(i * 7) % otherOutcomes.length]!;
      const selections = [{ eventId: target.id, outcomeId: a.id, odds: a.odds }];
      if (i >= ENGINE_SINGLES) selections.push({ eventId: others[0]!.id, outcomeId: b.id, odds: b.odds });
      const r = await placeBet(core, { playerId: seeded.fromId + i, selections, stake: 50_00, key: `cal-${i}`, now: new Date() });
      if (!r.ok) throw new Error(`calibration bet refused: ${r.reason}`);
    }
    const c3 = await tableCounts(core.db);
    const seedCount = opts.bets - ENGINE_SINGLES - ENGINE_DOUBLES;
    await seedBets(core, {
      bets: seedCount,
      singles: opts.singles,
      target: target.id,
      others: others.map((e) => e.id),
      playerFrom: seeded.fromId,
      players: seeded.count,
      keyPrefix: 'bench-',
      now,
    });
    const c4 = await tableCounts(core.db);
    const seedLegs = (c4.bet_selections ?? 0) - (c3.bet_selections ?? 0);
    const mismatches = [
      ...fidelity(c0, c1, c2, { engine: ENGINE_PLAYERS, seed: seeded.count }).map((m) => ({ ...m, table: `${m.table} (per player)` })),
      ...fidelity(
        c2,
        c3,
        c4,
        { engine: ENGINE_SINGLES + ENGINE_DOUBLES, seed: seedCount },
        { table: 'bet_selections', engineLegs: ENGINE_SINGLES + 2 * ENGINE_DOUBLES, seedLegs },
      ).map((m) => ({ ...m, table: `${m.table} (per bet)` })),
    ];
    if (mismatches.length > 0) {
      log(`  WARNING: the set-based seed no longer writes what the engine writes: ${JSON.stringify(mismatches)}`);
    }
    const setupRollup = await timedRollup(core);
    await core.db.query('ANALYZE');
    const setupSeconds = (performance.now() - s0) / 1000;

    const mix = await core.db.query<{ singles: unknown; multis: unknown; multis_open: unknown }>(
      `SELECT count(*) FILTER (WHERE legs = 1) AS singles, count(*) FILTER (WHERE legs > 1) AS multis,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM bet_selections s WHERE s.bet_id = b.id AND s.event_id = ANY ($1::bigint[])))
                AS multis_open
         FROM bets b`,
      [stillOpen.map((e) => e.id)],
    );
    const singles = int(mix.rows[0]!.singles);
    const multibets = int(mix.rows[0]!.multis);
    const multisOpen = int(mix.rows[0]!.multis_open);

    log(`  settling ${preSettle.length} other events of the round first (their multibets wait for the target)...`);
    const preSeconds: number[] = [];
    let preBets = 0;
    for (const ev of preSettle) {
      await result(core, ev, now);
      const t = performance.now();
      const s = await settleEvent(core, ev.id, now);
      preSeconds.push(round((performance.now() - t) / 1000, 3));
      preBets += s?.bets ?? 0;
    }

    await result(core, target, now);
    log(`  timing settleEvent for event ${target.id} (${opts.bets} bets)...`);
    let statements: ExplainedStatement[] | null = null;
    let settleCore = core;
    let closeExplain: (() => Promise<void>) | null = null;
    if (opts.explainTo) {
      const ex = await explainingDb(engine.url);
      statements = ex.statements;
      settleCore = { ...core, db: ex.db };
      closeExplain = () => ex.db.close();
    }
    const sampler = await WaitSampler.start(scratch.baseUrl, engine.name, 100, 120_000);
    const t0 = performance.now();
    const summary = await settleEvent(settleCore, target.id, now);
    const seconds = (performance.now() - t0) / 1000;
    const waits = await sampler.stop();
    await closeExplain?.();
    if (!summary) throw new Error('settleEvent found nothing to settle');
    let explained: SettlementResult['explained'];
    if (statements && opts.explainTo) {
      const sorted = [...statements].sort((a, b) => b.ms - a.ms);
      writeFileSync(
        opts.explainTo,
        sorted.map((st) => `-- ${st.ms.toFixed(1)} ms\n${st.plan}\n`).join('\n'),
      );
      explained = { file: opts.explainTo, top: sorted.slice(0, 8).map((st) => ({ ms: round(st.ms, 1), query: st.query.slice(0, 160) })) };
    }

    const after = await core.db.query<{ open: unknown; paid: unknown }>(
      `SELECT count(*) FILTER (WHERE state = 'open') AS open, coalesce(sum(payout) FILTER (WHERE state IN ('won', 'void')), 0) AS paid
         FROM bets`,
    );
    log('  rolling up system balance deltas and checking the ledger...');
    const rollup = await timedRollup(core);
    const ledger = await ledgerVerdict(core);
    return {
      bets: singles + multibets,
      players: opts.players,
      singles,
      multibets,
      multibetsAllOtherLegsSettled: multibets - multisOpen,
      multibetsWithOpenLegs: multisOpen,
      setupSeconds: round(setupSeconds, 1),
      fidelity: {
        ok: mismatches.length === 0,
        enginePlayers: ENGINE_PLAYERS,
        engineBets: ENGINE_SINGLES + ENGINE_DOUBLES,
        mismatches,
      },
      setupRollup,
      preSettled: { events: preSettle.length, seconds: preSeconds, betsSettled: preBets },
      summary,
      expectedSettled: singles + multibets - multisOpen,
      seconds: round(seconds, 3),
      backendCpuSeconds: waits.backendCpuSeconds,
      waits: Object.fromEntries(Object.entries(waits.shares).filter(([k]) => !k.startsWith('idle'))),
      betsPerSecond: round(summary.bets / seconds, 0),
      stillOpen: int(after.rows[0]!.open),
      payoutCents: int(after.rows[0]!.paid),
      rollup,
      ledger,
      ...(explained ? { explained } : {}),
    };
  } finally {
    await engine.close();
  }
}
