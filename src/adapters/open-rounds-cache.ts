/**
 * Upcoming matches and their markets, read from the database once and shared by every session in this process.
 *
 * Why this is safe: a match is created with its outcomes and odds, and nothing changes it until its kickoff, when the
 * draw gives it a result. So before kickoff an event and its odds are fixed, and cached markets are served only while
 * the match has not kicked off by the injected clock. The one thing a cached list can miss is a round created after it
 * was read: lists are re-read after `listTtlMs`. Whatever the menu shows, `place_bet` checks kickoff and odds again
 * under the wallet lock.
 *
 * Why it matters: every bettor browses the same few open rounds, so without it each of them costs one list query and
 * two market queries per slip on the hop path.
 */
import type { Clock } from '../core/clock.ts';
import type { Queryable } from '../core/db.ts';
import { eventOutcomes, getEvent, upcomingEvents, type EventView, type OutcomeView } from '../core/events.ts';
import type { Sport } from '../core/sports/types.ts';

const DEFAULT_LIST_TTL_MS = 1_000;
/** rows read per sport: more than any menu pages through, so a page never needs a second query */
const DEFAULT_LIST_ROWS = 100;
/** markets of this many matches at most; ~30 matches are open at a time, so this only bounds a misbehaving clock */
const MAX_MARKETS = 1_000;

export interface EventMarkets {
  event: EventView;
  outcomes: OutcomeView[];
}

export interface OpenRoundsCache {
  upcoming(sport: Sport, page: { limit: number; offset: number }): Promise<EventView[]>;
  /** the match and its outcomes, or null when there is no such match (any status, as the database has it) */
  markets(eventId: number): Promise<EventMarkets | null>;
}

interface ListEntry {
  readAt: number;
  /** the rows read, kickoff order; `complete` when the database had no more than these */
  events: EventView[];
  complete: boolean;
}

export function createOpenRoundsCache(
  db: Queryable,
  clock: Clock,
  opts: { listTtlMs?: number; listRows?: number } = {},
): OpenRoundsCache {
  const ttl = opts.listTtlMs ?? DEFAULT_LIST_TTL_MS;
  const listRows = opts.listRows ?? DEFAULT_LIST_ROWS;
  const lists = new Map<Sport, Promise<ListEntry>>();
  /** kickoff is +Infinity while the read is in flight */
  const markets = new Map<number, { read: Promise<EventMarkets | null>; kickoff: number }>();

  // concurrent misses share one query: the promise is cached, not its result
  const readList = (sport: Sport, now: Date): Promise<ListEntry> => {
    const read = upcomingEvents(db, { sport, now, limit: listRows }).then((events) => ({
      readAt: now.getTime(),
      events,
      complete: events.length < listRows,
    }));
    lists.set(sport, read);
    read.catch(() => lists.delete(sport));
    return read;
  };

  const readMarkets = (eventId: number): Promise<EventMarkets | null> => {
    const read = Promise.all([getEvent(db, eventId), eventOutcomes(db, eventId)]).then(([event, outcomes]) =>
      event === null ? null : { event, outcomes },
    );
    if (markets.size >= MAX_MARKETS) sweep(clock().getTime());
    const entry = { read, kickoff: Number.POSITIVE_INFINITY };
    markets.set(eventId, entry);
    // only a match that is still open before kickoff is fixed; anything else is read again next time
    const forget = () => {
      if (markets.get(eventId) === entry) markets.delete(eventId);
    };
    read.then((found) => {
      if (found === null || !cacheable(found.event, clock().getTime())) forget();
      else entry.kickoff = found.event.kickoffAt.getTime();
    }, forget);
    return read;
  };

  const sweep = (now: number) => {
    for (const [id, entry] of markets) if (entry.kickoff <= now) markets.delete(id);
    if (markets.size >= MAX_MARKETS) markets.clear();
  };

  return {
    async upcoming(sport, page) {
      const now = clock();
      let entry = await (lists.get(sport) ?? readList(sport, now));
      if (now.getTime() - entry.readAt >= ttl || now.getTime() < entry.readAt) entry = await readList(sport, now);
      const open = entry.events.filter((e) => e.kickoffAt.getTime() > now.getTime());
      if (!entry.complete && page.offset + page.limit > open.length) {
        // deeper than the rows read: rare enough to ask the database directly
        return upcomingEvents(db, { sport, now, limit: page.limit, offset: page.offset });
      }
      return open.slice(page.offset, page.offset + page.limit);
    },

    async markets(eventId) {
      const cached = markets.get(eventId);
      if (cached !== undefined) {
        const found = await cached.read;
        if (found !== null && cacheable(found.event, clock().getTime())) return found;
      }
      return readMarkets(eventId);
    },
  };
}

function cacheable(event: EventView, now: number): boolean {
  return event.status === 'open' && event.kickoffAt.getTime() > now;
}
