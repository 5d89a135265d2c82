import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBetBatcher, type BetSubmission } from '../../src/core/bet-batcher.ts';
import { placeBet } from '../../src/core/bets.ts';
import { nairobiDay } from '../../src/core/clock.ts';
import type { Core } from '../../src/core/core.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { rollupSystemBalances } from '../../src/core/ledger.ts';
import { balance } from '../../src/core/wallet.ts';
import { newPlayer, testCore } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { openRound, pick } from '../support/events.ts';

describe.each(backends)('placing bets in batches on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(() => t.cleanup());

  it('commits many concurrent bets together and answers each on its own', async () => {
    const events = await openRound(core);
    const players = await Promise.all(Array.from({ length: 12 }, () => newPlayer(core, 100_00)));
    const results = await Promise.all(
      players.flatMap((p, i) => [
        placeBet(core, { playerId: p.id, selections: [pick(events[i % 8]!, '1X2', '1')], stake: 60_00, key: `batch-${i}-a`, now: core.clock() }),
        // the second bet of each player cannot be covered: refused without disturbing the first
        placeBet(core, { playerId: p.id, selections: [pick(events[i % 8]!, '1X2', '2')], stake: 60_00, key: `batch-${i}-b`, now: core.clock() }),
      ]),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(12);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'insufficient_funds')).toBe(true);
    for (const p of players) expect((await balance(core.db, p.id)).balance).toBe(35_00);
    // rows written by one transaction share its xmin: 12 bets in far fewer commits means they were batched
    const { rows } = await core.db.query<{ commits: string }>(
      'SELECT count(DISTINCT xmin::text)::text AS commits FROM bets WHERE player_id = ANY ($1::bigint[])',
      [players.map((p) => String(p.id))],
    );
    expect(Number(rows[0]!.commits)).toBeLessThanOrEqual(core.settings.betBatchConcurrency + 2);
    await rollupSystemBalances(core.db);
    expect(await checkLedger(core.db)).toEqual([]);
  });

  it('falls back to one bet at a time when a batch fails, so one bad bet cannot sink the others', async () => {
    const [ev] = await openRound(core);
    const good = await newPlayer(core, 100_00);
    const sel = pick(ev!, '1X2', 'X');
    const bet = (key: string | null, player: number): BetSubmission => ({
      key: key as string,
      hash: 'h',
      player,
      stake: 20_00,
      excise: 0,
      potential: 40_00,
      outcomes: [String(sel.outcomeId)],
      odds: [sel.odds],
      events: [String(sel.eventId)],
      now: core.clock().toISOString(),
      day: nairobiDay(core.clock()),
    });
    // one slot in flight, so the three queued behind the first go as one batch
    const batcher = createBetBatcher(core.db, core.accounts, { maxInFlight: 1 });
    const first = batcher.submit(bet('fallback-0', good.id));
    const rest = [batcher.submit(bet('fallback-1', good.id)), batcher.submit(bet(null, good.id)), batcher.submit(bet('fallback-2', good.id))];
    const settled = await Promise.allSettled([first, ...rest]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ outcome: string }>).value.outcome)).toEqual([
      'placed',
      'placed',
      'placed',
    ]);
    expect((await balance(core.db, good.id)).balance).toBe(95_00 - 60_00);
  });
});
