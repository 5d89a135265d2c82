import { createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { newServerSeed, uniformStream } from '../src/core/fairness.ts';
import { fixturesForRound, modelFor, SPORTS } from '../src/core/sports/leagues.ts';
import type { OutcomeResult, Sport } from '../src/core/sports/types.ts';

export interface RtpRow {
  sport: Sport;
  market: string;
  bets: number;
  staked: number;
  returned: number;
  realisedRtp: number;
  /** mean over events of Σ p × odds / 100 across the market's picks, divided by the number of picks */
  theoreticalRtp: number;
  targetRtp: number;
  /** standard error of realisedRtp, clustered by event because bets on one match share its result */
  stdError: number;
}

/** uniformly random single bets per event, on top of one bet on every outcome */
const RANDOM_BETS_PER_EVENT = 5;
const STAKE = 1;

/** one market of one event */
interface EventTally {
  staked: number;
  returned: number;
  /** Σ p × odds / 100 over the market's picks */
  pickRtpSum: number;
  picks: number;
}

interface MarketTally {
  bets: number;
  staked: number;
  returned: number;
  theoreticalSum: number;
  events: number;
  // per-event sums of squares and products, for the ratio estimator's variance
  returnedSq: number;
  stakedSq: number;
  cross: number;
}

function derivedSeed(seed: string, label: string): string {
  return createHmac('sha256', seed).update(label).digest('hex');
}

function payout(result: OutcomeResult | undefined, odds: number): number {
  if (result === undefined) throw new Error('settle left a priced outcome unsettled');
  if (result === 'won') return (STAKE * odds) / 100;
  return result === 'void' ? STAKE : 0;
}

function playEvent(
  sport: Sport,
  params: unknown,
  margin: number,
  draw: () => number,
  bettor: () => number,
): Map<string, EventTally> {
  const model = modelFor(sport);
  const priced = model.price(params, margin);
  const settled = model.settle(params, model.draw(params, draw));
  // bettor() < 1, so the index is always inside the array
  const randomPicks = Array.from({ length: RANDOM_BETS_PER_EVENT }, () => priced[Math.floor(bettor() * priced.length)]!);

  const markets = new Map<string, EventTally>();
  const tallyOf = (market: string): EventTally => {
    const tally = markets.get(market) ?? { staked: 0, returned: 0, pickRtpSum: 0, picks: 0 };
    markets.set(market, tally);
    return tally;
  };
  for (const outcome of priced) {
    const tally = tallyOf(outcome.market);
    tally.pickRtpSum += (outcome.probability * outcome.odds) / 100;
    tally.picks += 1;
  }
  for (const outcome of [...priced, ...randomPicks]) {
    const tally = tallyOf(outcome.market);
    tally.staked += STAKE;
    tally.returned += payout(settled[`${outcome.market}:${outcome.pick}`], outcome.odds);
  }
  return markets;
}

function emptyMarketTally(): MarketTally {
  return { bets: 0, staked: 0, returned: 0, theoreticalSum: 0, events: 0, returnedSq: 0, stakedSq: 0, cross: 0 };
}

function addEvent(total: MarketTally, event: EventTally): void {
  total.bets += event.staked / STAKE;
  total.staked += event.staked;
  total.returned += event.returned;
  total.theoreticalSum += event.pickRtpSum / event.picks;
  total.events += 1;
  total.returnedSq += event.returned ** 2;
  total.stakedSq += event.staked ** 2;
  total.cross += event.returned * event.staked;
}

function toRow(sport: Sport, market: string, t: MarketTally, margin: number): RtpRow {
  const rtp = t.returned / t.staked;
  const residualSq = t.returnedSq - 2 * rtp * t.cross + rtp ** 2 * t.stakedSq;
  return {
    sport,
    market,
    bets: t.bets,
    staked: t.staked,
    returned: Math.round(t.returned * 100) / 100,
    realisedRtp: rtp,
    theoreticalRtp: t.theoreticalSum / t.events,
    targetRtp: 1 / (1 + margin),
    stdError: Math.sqrt(Math.max(0, residualSq)) / t.staked,
  };
}

function simulateSport(sport: Sport, eventsPerSport: number, margin: number, seed: string): RtpRow[] {
  const totals = new Map<string, MarketTally>();
  const rounds = Math.ceil(eventsPerSport / fixturesForRound(sport, 0).length);
  let events = 0;
  for (let round = 0; round < rounds; round++) {
    // one server seed per round, as in production; bettors choose from a separate stream
    const serverSeed = derivedSeed(seed, `server:${sport}:${round}`);
    const bettorSeed = derivedSeed(seed, `bettors:${sport}:${round}`);
    for (const [matchNo, fixture] of fixturesForRound(sport, round).entries()) {
      if (events === eventsPerSport) break;
      events += 1;
      const played = playEvent(
        sport,
        fixture.params,
        margin,
        uniformStream(serverSeed, matchNo),
        uniformStream(bettorSeed, matchNo),
      );
      for (const [market, event] of played) {
        const total = totals.get(market) ?? emptyMarketTally();
        addEvent(total, event);
        totals.set(market, total);
      }
    }
  }
  return [...totals].map(([market, total]) => toRow(sport, market, total, margin));
}

/** Deterministic for a given seed: every server seed and bettor choice is derived from it by HMAC. */
export function simulateRtp(opts: { eventsPerSport: number; margin: number; seed: string }): RtpRow[] {
  if (!(Number.isSafeInteger(opts.eventsPerSport) && opts.eventsPerSport > 0)) {
    throw new RangeError(`eventsPerSport must be a positive integer, got ${opts.eventsPerSport}`);
  }
  return SPORTS.flatMap((sport) => simulateSport(sport, opts.eventsPerSport, opts.margin, opts.seed));
}

function formatTable(rows: RtpRow[]): string {
  const header = ['sport', 'market', 'bets', 'staked', 'returned', 'realised', 'theory', 'target', 'std.err'];
  const body = rows.map((r) => [
    r.sport,
    r.market,
    String(r.bets),
    String(r.staked),
    r.returned.toFixed(2),
    r.realisedRtp.toFixed(4),
    r.theoreticalRtp.toFixed(4),
    r.targetRtp.toFixed(4),
    r.stdError.toFixed(4),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  return [header, ...body]
    .map((cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}

function main(): void {
  const [eventsArg = '10000', marginArg = '0.08'] = process.argv.slice(2);
  const eventsPerSport = Number(eventsArg);
  const margin = Number(marginArg);
  const seed = newServerSeed();
  console.log(`events per sport: ${eventsPerSport}  margin: ${margin}  seed: ${seed}\n`);
  console.log(formatTable(simulateRtp({ eventsPerSport, margin, seed })));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
