import { totalOdds } from '../core/bets.ts';
import type { SlipLeg } from './resumable.ts';
import type { EventSummary, MarketOutcome } from './services.ts';

/**
 * The bet slip as plain values: what the machine's actions do to it and what the screens read from it.
 * One leg per match: a second pick on a match already on the slip replaces that match's leg (the core refuses a
 * slip with the same match twice, and "replace" is what a player who changes their mind means).
 */

export interface MarketChoice {
  market: string;
  line: number | null;
}

/** the event's markets in the order the core priced them */
export function marketsOf(outcomes: readonly MarketOutcome[]): MarketChoice[] {
  const seen = new Map<string, MarketChoice>();
  for (const o of outcomes) {
    if (!seen.has(o.market)) seen.set(o.market, { market: o.market, line: o.line });
  }
  return [...seen.values()];
}

export function outcomesOf(outcomes: readonly MarketOutcome[], market: string | null): MarketOutcome[] {
  return outcomes.filter((o) => o.market === market);
}

export function legFor(event: EventSummary, outcome: MarketOutcome): SlipLeg {
  return {
    eventId: event.id,
    sport: event.sport,
    home: event.home,
    away: event.away,
    kickoffAt: event.kickoffAt,
    outcomeId: outcome.id,
    market: outcome.market,
    pick: outcome.pick,
    line: outcome.line,
    odds: outcome.odds,
  };
}

export type AddLeg = { kind: 'added' | 'replaced'; slip: SlipLeg[] } | { kind: 'full' };

export function addLeg(slip: readonly SlipLeg[], leg: SlipLeg, maxLegs: number): AddLeg {
  const at = slip.findIndex((l) => l.eventId === leg.eventId);
  if (at >= 0) return { kind: 'replaced', slip: slip.map((l, i) => (i === at ? leg : l)) };
  if (slip.length >= maxLegs) return { kind: 'full' };
  return { kind: 'added', slip: [...slip, leg] };
}

export function slipOdds(slip: readonly SlipLeg[]): number {
  return totalOdds(slip.map((l) => l.odds));
}

/** `odds_changed` detail from the core: the new odds of the picks that moved */
export function applyNewOdds(slip: readonly SlipLeg[], detail: unknown): SlipLeg[] {
  const changes = new Map<number, number>();
  if (Array.isArray(detail)) {
    for (const d of detail) {
      if (typeof d !== 'object' || d === null) continue;
      const { outcomeId, odds } = d as { outcomeId?: unknown; odds?: unknown };
      const id = Number(outcomeId);
      const o = Number(odds);
      if (Number.isSafeInteger(id) && Number.isSafeInteger(o) && o > 0) changes.set(id, o);
    }
  }
  return slip.map((l) => {
    const odds = changes.get(l.outcomeId);
    return odds === undefined ? l : { ...l, odds };
  });
}

/** ids listed in a rejection's detail (`event_closed` lists event ids, `selection_not_found` outcome ids) */
export function idsIn(detail: unknown): number[] {
  if (!Array.isArray(detail)) return [];
  return detail.map((d) => Number(d)).filter((n) => Number.isSafeInteger(n));
}
