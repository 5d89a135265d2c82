import { int, type Queryable } from './db.ts';
import { newServerSeed, seedHash, uniformStream } from './fairness.ts';
import { fixturesForRound, modelFor } from './sports/leagues.ts';
import type { Sport } from './sports/types.ts';

export interface OutcomeView {
  id: number;
  market: string;
  pick: string;
  line: number | null;
  odds: number;
  result: 'won' | 'lost' | 'void' | null;
}

export interface EventView {
  id: number;
  sport: Sport;
  roundNo: number;
  matchNo: number;
  home: string;
  away: string;
  kickoffAt: Date;
  status: 'open' | 'resulted' | 'settled';
  seedHash: string;
  score: string | null;
}

interface EventRow {
  id: unknown;
  sport: Sport;
  round_no: unknown;
  match_no: unknown;
  home: string;
  away: string;
  kickoff_at: Date | string;
  status: EventView['status'];
  seed_hash: string;
  score: string | null;
}

const EVENT_COLUMNS = 'id, sport, round_no, match_no, home, away, kickoff_at, status, seed_hash, score';

function toEvent(r: EventRow): EventView {
  return {
    id: int(r.id),
    sport: r.sport,
    roundNo: int(r.round_no),
    matchNo: int(r.match_no),
    home: r.home,
    away: r.away,
    kickoffAt: new Date(r.kickoff_at),
    status: r.status,
    seedHash: r.seed_hash,
    score: r.score,
  };
}

/**
 * Creates one round of a sport: fixtures, a fresh server seed per match (only its hash is shown until the result),
 * and priced outcomes. Creating a round that exists already does nothing, so two schedulers cannot double it.
 */
export async function createRound(
  q: Queryable,
  input: { sport: Sport; roundNo: number; kickoffAt: Date; margin: number; now: Date },
): Promise<number> {
  const fixtures = fixturesForRound(input.sport, input.roundNo);
  const model = modelFor(input.sport);
  const seeds = fixtures.map(() => newServerSeed());
  const { rows } = await q.query<{ id: unknown; match_no: unknown }>(
    `INSERT INTO events (sport, round_no, match_no, home, away, kickoff_at, params, margin, seed_hash, server_seed, created_at)
     SELECT $1, $2, f.match_no, f.home, f.away, $3, f.params, $4, f.seed_hash, f.server_seed, $5
       FROM jsonb_to_recordset($6::jsonb)
         AS f(match_no int, home text, away text, params jsonb, seed_hash text, server_seed text)
     ON CONFLICT (sport, round_no, match_no) DO NOTHING
     RETURNING id, match_no`,
    [
      input.sport,
      input.roundNo,
      input.kickoffAt,
      input.margin,
      input.now,
      JSON.stringify(
        fixtures.map((f, i) => ({
          match_no: i + 1,
          home: f.home,
          away: f.away,
          params: f.params,
          seed_hash: seedHash(seeds[i]!),
          server_seed: seeds[i],
        })),
      ),
    ],
  );
  if (rows.length === 0) return 0;
  const outcomes = rows.flatMap((r) => {
    const fixture = fixtures[int(r.match_no) - 1]!;
    return model.price(fixture.params, input.margin).map((o) => ({
      event_id: int(r.id),
      market: o.market,
      pick: o.pick,
      line: o.line ?? null,
      odds: o.odds,
    }));
  });
  await q.query(
    `INSERT INTO outcomes (event_id, market, pick, line, odds)
     SELECT o.event_id, o.market, o.pick, o.line, o.odds
       FROM jsonb_to_recordset($1::jsonb) AS o(event_id bigint, market text, pick text, line numeric, odds int)`,
    [JSON.stringify(outcomes)],
  );
  return rows.length;
}

/** events still open for betting, soonest first */
export async function upcomingEvents(
  q: Queryable,
  input: { sport: Sport; now: Date; limit: number; offset?: number },
): Promise<EventView[]> {
  const { rows } = await q.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events
      WHERE sport = $1 AND status = 'open' AND kickoff_at > $2
      ORDER BY kickoff_at, match_no LIMIT $3 OFFSET $4`,
    [input.sport, input.now, input.limit, input.offset ?? 0],
  );
  return rows.map(toEvent);
}

export async function getEvent(q: Queryable, eventId: number): Promise<EventView | null> {
  const { rows } = await q.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [eventId]);
  return rows[0] ? toEvent(rows[0]) : null;
}

export async function eventOutcomes(q: Queryable, eventId: number): Promise<OutcomeView[]> {
  const { rows } = await q.query<{
    id: unknown;
    market: string;
    pick: string;
    line: string | number | null;
    odds: unknown;
    result: OutcomeView['result'];
  }>('SELECT id, market, pick, line, odds, result FROM outcomes WHERE event_id = $1 ORDER BY id', [eventId]);
  return rows.map((r) => ({
    id: int(r.id),
    market: r.market,
    pick: r.pick,
    line: r.line === null ? null : Number(r.line),
    odds: int(r.odds),
    result: r.result,
  }));
}

interface DrawRow {
  id: unknown;
  sport: Sport;
  params: unknown;
  server_seed: string;
}

/** jsonb reorders object keys, so results are compared with sorted keys */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** the result follows from the seed, the event id and the published parameters alone */
export function computeResult(sport: Sport, params: unknown, serverSeed: string, eventId: number) {
  const model = modelFor(sport);
  const result = model.draw(params, uniformStream(serverSeed, eventId));
  return { result, score: model.scoreText(result) };
}

/** draws every event whose kickoff has come; an event already drawn is left alone */
export async function drawDueEvents(q: Queryable, now: Date): Promise<number> {
  const { rows } = await q.query<DrawRow>(
    `SELECT id, sport, params, server_seed FROM events WHERE status = 'open' AND kickoff_at <= $1 ORDER BY id`,
    [now],
  );
  if (rows.length === 0) return 0;
  const drawn = rows.map((r) => {
    const { result, score } = computeResult(r.sport, parseJson(r.params), r.server_seed, int(r.id));
    return { id: int(r.id), result, score };
  });
  const updated = await q.query(
    `UPDATE events e SET status = 'resulted', result = d.result, score = d.score, resulted_at = $2
       FROM jsonb_to_recordset($1::jsonb) AS d(id bigint, result jsonb, score text)
      WHERE e.id = d.id AND e.status = 'open'
      RETURNING e.id`,
    [JSON.stringify(drawn), now],
  );
  return updated.rows.length;
}

export interface Verification {
  eventId: number;
  status: EventView['status'];
  seedHash: string;
  serverSeed: string | null;
  seedMatchesHash: boolean;
  storedResult: unknown;
  recomputedResult: unknown;
  resultMatches: boolean;
  oddsMatch: boolean;
  verified: boolean;
}

/**
 * The fairness proof: the revealed seed hashes to the hash published before betting, and the result and the odds
 * recompute from the seed, the event id and the published parameters.
 */
export async function verifyEvent(q: Queryable, eventId: number): Promise<Verification | null> {
  const { rows } = await q.query<DrawRow & { status: EventView['status']; seed_hash: string; result: unknown; margin: unknown }>(
    'SELECT id, sport, params, server_seed, status, seed_hash, result, margin FROM events WHERE id = $1',
    [eventId],
  );
  const r = rows[0];
  if (!r) return null;
  const revealed = r.status !== 'open';
  const params = parseJson(r.params);
  const stored = parseJson(r.result);
  const recomputed = revealed ? computeResult(r.sport, params, r.server_seed, eventId).result : null;
  const priced = modelFor(r.sport).price(params, Number(r.margin));
  const current = await eventOutcomes(q, eventId);
  const oddsMatch =
    priced.length === current.length &&
    priced.every((p) => current.some((c) => c.market === p.market && c.pick === p.pick && c.odds === p.odds));
  const seedMatchesHash = seedHash(r.server_seed) === r.seed_hash;
  const resultMatches = revealed && canonicalJson(recomputed) === canonicalJson(stored);
  return {
    eventId,
    status: r.status,
    seedHash: r.seed_hash,
    serverSeed: revealed ? r.server_seed : null,
    seedMatchesHash,
    storedResult: stored,
    recomputedResult: recomputed,
    resultMatches,
    oddsMatch,
    verified: revealed && seedMatchesHash && resultMatches && oddsMatch,
  };
}
