import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemBalance } from '../../src/core/accounts.ts';
import { betByReference, payoutFor, placeBet, quoteBet, recentBets } from '../../src/core/bets.ts';
import type { Core } from '../../src/core/core.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { rollupSystemBalances } from '../../src/core/ledger.ts';
import { selfExclude, setBlocked, setDailyLimits } from '../../src/core/players.ts';
import { EARLIER_REGIME } from '../../src/core/taxes.ts';
import { balance } from '../../src/core/wallet.ts';
import { newPlayer, testCore, type TestClock } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { openRound, pick } from '../support/events.ts';

describe.each(backends)('bet placement on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  let clock: TestClock;
  let keySeq = 0;
  const key = () => `slip-${++keySeq}`;
  beforeAll(async () => {
    t = await backend.open();
    ({ core, clock } = await testCore(t.db));
  });
  afterAll(() => t.cleanup());

  it('debits the stake into stakes held and gives a short reference', async () => {
    const [ev] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const stakesBefore = await systemBalance(core.db, core.accounts.stakes_held);
    const sel = pick(ev!, '1X2', '1');
    const r = await placeBet(core, { playerId: p.id, selections: [sel], stake: 100_00, key: key(), now: clock() });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.reference).toMatch(/^B[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(r.value).toMatchObject({ stake: 100_00, excise: 0, potentialPayout: payoutFor(100_00, [sel.odds]), balance: 850_00 });
    expect((await balance(core.db, p.id)).balance).toBe(850_00);
    expect(await systemBalance(core.db, core.accounts.stakes_held)).toBe(stakesBefore + 100_00);
    const detail = await betByReference(core.db, r.value.reference.toLowerCase());
    expect(detail?.selections).toEqual([
      expect.objectContaining({ eventId: ev!.id, market: '1X2', pick: '1', odds: sel.odds, result: null }),
    ]);
  });

  it('turns every reference back into its bet id, and nothing else into one', async () => {
    const ids = [1, 2, 31, 32, 12345, 33_554_431, 33_554_432, 9_876_543_210];
    const { rows } = await core.db.query<{ id: string; back: string | null; ref: string }>(
      `SELECT id::text, bet_id_from_reference(bet_reference(id))::text AS back, bet_reference(id) AS ref
         FROM unnest($1::bigint[]) AS id`,
      [ids.map(String)],
    );
    expect(rows.map((r) => r.back)).toEqual(ids.map(String));
    expect(new Set(rows.map((r) => r.ref)).size).toBe(ids.length);
    const junk = await core.db.query<{ a: string | null; b: string | null }>(
      `SELECT bet_id_from_reference('X12345')::text AS a, bet_id_from_reference('BOOOOO')::text AS b`,
    );
    expect(junk.rows[0]).toEqual({ a: null, b: null });
  });

  it('places a retried slip once', async () => {
    const [ev] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const input = { playerId: p.id, selections: [pick(ev!, '1X2', 'X')], stake: 50_00, key: key(), now: clock() };
    const a = await placeBet(core, input);
    const b = await placeBet(core, input);
    expect(a.ok && b.ok && b.value.duplicate && a.value.reference === b.value.reference).toBe(true);
    expect((await balance(core.db, p.id)).balance).toBe(900_00);
  });

  it('prices a multibet as the product of its legs', async () => {
    const events = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const legs = events.slice(0, 3).map((e) => pick(e, '1X2', '1'));
    const r = await placeBet(core, { playerId: p.id, selections: legs, stake: 20_00, key: key(), now: clock() });
    if (!r.ok) throw new Error(r.reason);
    const [a, b, c] = legs.map((l) => l.odds) as [number, number, number];
    expect(r.value.potentialPayout).toBe(Math.floor((20_00 * a * b * c) / 1_000_000));
    expect(r.value.totalOdds).toBe(Math.floor((a * b * c) / 10_000));
  });

  describe('rejections move no money', () => {
    let p: Awaited<ReturnType<typeof newPlayer>>;
    let events: Awaited<ReturnType<typeof openRound>>;
    beforeAll(async () => {
      events = await openRound(core);
      p = await newPlayer(core, 200_00);
    });
    const expectUntouched = async () => expect((await balance(core.db, p.id)).balance).toBe(190_00);
    const place = (over: Partial<Parameters<typeof placeBet>[1]>) =>
      placeBet(core, {
        playerId: p.id,
        selections: [pick(events[0]!, '1X2', '1')],
        stake: 20_00,
        key: key(),
        now: clock(),
        ...over,
      });

    it('below the minimum stake of KES 20', async () => {
      expect(await place({ stake: 19_99 })).toEqual({ ok: false, reason: 'stake_too_low', detail: { limit: 20_00 } });
      await expectUntouched();
    });
    it('above the maximum stake', async () => {
      expect(await place({ stake: 50_000_01 })).toEqual({ ok: false, reason: 'stake_too_high', detail: { limit: 50_000_00 } });
      await expectUntouched();
    });
    it('with more than the balance', async () => {
      expect(await place({ stake: 190_01 })).toEqual({ ok: false, reason: 'insufficient_funds', detail: { balance: 190_00 } });
      await expectUntouched();
    });
    it('with two legs from one event', async () => {
      const sel = [pick(events[0]!, '1X2', '1'), pick(events[0]!, 'OU25', 'OV25')];
      expect(await place({ selections: sel })).toEqual({ ok: false, reason: 'duplicate_event' });
    });
    it('with more than ten legs', async () => {
      const more = await openRound(core);
      const sel = [...events, ...more].slice(0, 11).map((e) => pick(e, '1X2', '1'));
      expect(await place({ selections: sel })).toEqual({ ok: false, reason: 'too_many_legs', detail: { limit: 10 } });
      await expectUntouched();
    });
    it('with a payout above the maximum', async () => {
      const sel = events.slice(0, 8).map((e) => pick(e, '1X2', 'X'));
      const r = await place({ selections: sel, stake: 50_000_00 });
      expect(r).toMatchObject({ ok: false, reason: 'payout_too_high' });
    });
    it('when the odds changed since they were shown, with the new odds', async () => {
      const sel = pick(events[1]!, '1X2', '2');
      const r = await place({ selections: [{ ...sel, odds: sel.odds + 5 }] });
      expect(r).toEqual({ ok: false, reason: 'odds_changed', detail: [{ outcomeId: sel.outcomeId, odds: sel.odds }] });
      await expectUntouched();
    });
    it('for an outcome that does not belong to the event named', async () => {
      const sel = pick(events[1]!, '1X2', '2');
      const r = await place({ selections: [{ ...sel, eventId: events[2]!.id }] });
      expect(r).toMatchObject({ ok: false, reason: 'selection_not_found' });
    });
    it('once the event has kicked off', async () => {
      const r = await place({ now: new Date(events[0]!.kickoffAt.getTime()) });
      expect(r).toEqual({ ok: false, reason: 'event_closed', detail: [events[0]!.id] });
      await expectUntouched();
    });
    it('over the daily stake limit', async () => {
      await setDailyLimits(core.db, p.id, { stake: 30_00 });
      expect((await place({ stake: 20_00 })).ok).toBe(true);
      expect(await place({ stake: 20_00 })).toEqual({ ok: false, reason: 'daily_stake_limit', detail: { remaining: 10_00 } });
      await setDailyLimits(core.db, p.id, { stake: null });
      const back = await recentBets(core.db, p.id, { limit: 10 });
      expect(back).toHaveLength(1);
    });
    it('from a self-excluded or blocked player', async () => {
      const q = await newPlayer(core, 200_00);
      await selfExclude(core.db, q.id, 1, clock());
      const r1 = await placeBet(core, { playerId: q.id, selections: [pick(events[0]!, '1X2', '1')], stake: 20_00, key: key(), now: clock() });
      expect(r1).toMatchObject({ ok: false, reason: 'self_excluded' });
      const b = await newPlayer(core, 200_00);
      await setBlocked(core.db, b.id, true);
      const r2 = await placeBet(core, { playerId: b.id, selections: [pick(events[0]!, '1X2', '1')], stake: 20_00, key: key(), now: clock() });
      expect(r2).toEqual({ ok: false, reason: 'player_blocked' });
      expect((await balance(core.db, q.id)).balance).toBe(190_00);
    });
  });

  it('keeps the ledger whole', async () => {
    await rollupSystemBalances(core.db);
    expect(await checkLedger(core.db)).toEqual([]);
  });
});

describe.each(backends)('bet placement under the earlier regime on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db, { taxes: EARLIER_REGIME }));
  });
  afterAll(() => t.cleanup());

  it('takes 12.5% excise from the stake and pays on the rest', async () => {
    const [ev] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const exciseBefore = await systemBalance(core.db, core.accounts.excise_payable);
    const sel = pick(ev!, '1X2', '1');
    const r = await placeBet(core, { playerId: p.id, selections: [sel], stake: 100_00, key: 'old-1', now: core.clock() });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toMatchObject({ excise: 12_50, netStake: 87_50, potentialPayout: payoutFor(87_50, [sel.odds]) });
    expect(await systemBalance(core.db, core.accounts.excise_payable)).toBe(exciseBefore + 12_50);
    expect(quoteBet(core.settings, 100_00, [sel.odds]).potentialWht).toBe(
      Math.floor(((payoutFor(87_50, [sel.odds]) - 100_00) * 2000 + 5000) / 10000),
    );
  });
});
