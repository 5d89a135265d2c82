import type { Core } from '../../src/core/core.ts';
import { createRound, eventOutcomes, upcomingEvents, type EventView, type OutcomeView } from '../../src/core/events.ts';
import type { Sport } from '../../src/core/sports/types.ts';

let roundSeq = 1000;

/** one fresh round kicking off `inMs` from the test clock; returns its events with their outcomes */
export async function openRound(core: Core, sport: Sport = 'football', inMs = 60_000) {
  roundSeq += 1;
  const now = core.clock();
  const kickoffAt = new Date(now.getTime() + inMs);
  await core.db.tx((q) => createRound(q, { sport, roundNo: roundSeq, kickoffAt, margin: core.settings.margin, now }));
  const events = (await upcomingEvents(core.db, { sport, now, limit: 100 })).filter(
    (e) => e.roundNo === roundSeq,
  );
  return Promise.all(events.map(async (e) => ({ ...e, outcomes: await eventOutcomes(core.db, e.id) })));
}

export type EventWithOutcomes = EventView & { outcomes: OutcomeView[] };

export function pick(event: EventWithOutcomes, market: string, pickCode: string) {
  const o = event.outcomes.find((x) => x.market === market && x.pick === pickCode);
  if (!o) throw new Error(`no ${market}:${pickCode} on event ${event.id}`);
  return { eventId: event.id, outcomeId: o.id, odds: o.odds };
}

/** stands in for the draw: the event gets this result as if it had been played */
export async function setResult(core: Core, eventId: number, result: unknown) {
  await core.db.query(
    `UPDATE events SET status = 'resulted', result = $2::jsonb, score = 'test', resulted_at = $3 WHERE id = $1`,
    [eventId, JSON.stringify(result), core.clock()],
  );
}
