import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMenuServices } from '../../src/adapters/menu-services.ts';
import { createInstantSimulator, fakeReceipt, isSimulatedCancel, type InstantSimulator } from '../support/instant-payments.ts';
import type { Core } from '../../src/core/core.ts';
import { setBlocked } from '../../src/core/players.ts';
import { balance, getWithdrawal } from '../../src/core/wallet.ts';
import type { MenuServices } from '../../src/menus/services.ts';
import { newPlayer, testCore } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { openRound, pick } from '../support/events.ts';

const limits = {
  minDeposit: 10_00,
  maxDeposit: 250_000_00,
  minWithdrawal: 10_00,
  maxWithdrawal: 70_000_00,
  dailyWithdrawalLimit: 100_000_00,
};

describe('the instant payment simulator rules', () => {
  it('makes M-Pesa-like fake receipts', () => {
    for (let i = 0; i < 20; i++) expect(fakeReceipt()).toMatch(/^SIM[A-Z0-9]{7}$/);
  });

  it('cancels whole-shilling amounts ending in 32', () => {
    expect([32_00, 132_00, 1_032_00, 132_50].map(isSimulatedCancel)).toEqual([true, true, true, true]);
    expect([320_00, 133_00, 100_00, 31_99].map(isSimulatedCancel)).toEqual([false, false, false, false]);
  });
});

describe.each(backends)('menu services on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  let payments: InstantSimulator;
  let services: MenuServices;
  let keySeq = 0;
  const key = () => `w-${++keySeq}`;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
    const logger = pino({ level: 'silent' });
    payments = createInstantSimulator({ core, logger, delayMs: 5 });
    services = createMenuServices(core, payments, { limits, logger });
  });
  afterAll(async () => {
    await payments.close();
    await t.cleanup();
  });

  it('registers and finds players with JSON-safe fields', async () => {
    const info = await services.register('254712400001', 'sw');
    expect(info).toMatchObject({ msisdn: '254712400001', language: 'sw', blocked: false, excludedUntil: null });
    expect(await services.findPlayer('254712400001')).toEqual(info);
    expect(await services.findPlayer('254712400099')).toBeNull();
    const { until } = await services.selfExclude(info.id, 7);
    expect((await services.findPlayer('254712400001'))!.excludedUntil).toBe(until);
  });

  it('lists events and markets with ISO times, and legs of a player’s own bet only', async () => {
    const [ev] = await openRound(core);
    const listed = await services.upcomingEvents('football', { limit: 50, offset: 0 });
    expect(listed.find((e) => e.id === ev!.id)).toEqual({
      id: ev!.id, sport: 'football', home: ev!.home, away: ev!.away, kickoffAt: ev!.kickoffAt.toISOString(),
    });
    const markets = await services.eventMarkets(ev!.id);
    expect(markets!.outcomes.length).toBe(ev!.outcomes.length);
    expect(await services.eventMarkets(999_999_999)).toBeNull();
    const p = await newPlayer(core, 500_00);
    const other = await newPlayer(core);
    const placed = await services.placeBet({ playerId: p.id, selections: [pick(ev!, '1X2', '1')], stake: 50_00, key: key() });
    if (!placed.ok) throw new Error(placed.reason);
    expect(await services.betLegs(p.id, placed.value.betId)).toEqual([
      expect.objectContaining({ home: ev!.home, away: ev!.away, market: '1X2', pick: '1', result: null }),
    ]);
    expect(await services.betLegs(other.id, placed.value.betId)).toBeNull();
    expect((await services.recentBets(p.id, { limit: 5, offset: 0 }))[0]).toMatchObject({ id: placed.value.betId, legs: 1, state: 'open' });
  });

  it('previews taxes as the wallet will apply them', () => {
    expect(services.depositPreview(1_000_00)).toEqual({ excise: 50_00, credited: 950_00 });
    expect(services.withdrawalPreview(1_000_00)).toEqual({ wht: 50_00, net: 950_00 });
  });

  it('starts a deposit at once and credits it after the delay', async () => {
    const p = await newPlayer(core);
    const started = await services.startDeposit({ playerId: p.id, msisdn: p.msisdn, amount: 200_00 });
    expect(started).toMatchObject({ ok: true, value: { reference: expect.any(String) } });
    expect((await balance(core.db, p.id)).balance).toBe(0);
    await payments.idle();
    expect((await balance(core.db, p.id)).balance).toBe(190_00);
  });

  it('credits nothing for a simulated cancel (amount ending in 32)', async () => {
    const p = await newPlayer(core);
    expect((await services.startDeposit({ playerId: p.id, msisdn: p.msisdn, amount: 132_00 })).ok).toBe(true);
    await payments.idle();
    expect((await balance(core.db, p.id)).balance).toBe(0);
  });

  it('refuses deposits outside the limits or the player’s own rules', async () => {
    const p = await newPlayer(core);
    const d = (amount: number) => services.startDeposit({ playerId: p.id, msisdn: p.msisdn, amount });
    expect(await d(9_99)).toEqual({ ok: false, reason: 'amount_too_low' });
    expect(await d(250_000_01)).toEqual({ ok: false, reason: 'amount_too_high' });
    await services.setLimits(p.id, { deposit: 100_00 });
    expect(await d(150_00)).toEqual({ ok: false, reason: 'daily_deposit_limit' });
    await services.selfExclude(p.id, 1);
    expect(await d(50_00)).toEqual({ ok: false, reason: 'self_excluded' });
  });

  it('reserves a withdrawal at once and pays it out in the background', async () => {
    const p = await newPlayer(core, 1_000_00);
    const k = key();
    const r = await services.requestWithdrawal({ playerId: p.id, msisdn: p.msisdn, amount: 400_00, key: k });
    expect(r).toEqual({ ok: true, value: { amount: 400_00, wht: 20_00, net: 380_00, balance: 550_00 } });
    // a retried request with the same key neither reserves nor pays twice
    expect(await services.requestWithdrawal({ playerId: p.id, msisdn: p.msisdn, amount: 400_00, key: k })).toMatchObject({ ok: true });
    expect((await balance(core.db, p.id)).balance).toBe(550_00);
    await payments.idle();
    const { rows } = await core.db.query<{ id: unknown }>('SELECT id FROM withdrawals WHERE idempotency_key = $1', [k]);
    const w = await getWithdrawal(core.db, Number(rows[0]!.id));
    expect(w).toMatchObject({ state: 'completed', receipt: expect.stringMatching(/^SIM/) });
  });

  it('refuses withdrawals outside the limits, over the balance, over the daily cap, or when blocked', async () => {
    const p = await newPlayer(core, 100_000_00);
    const w = (amount: number) => services.requestWithdrawal({ playerId: p.id, msisdn: p.msisdn, amount, key: key() });
    expect(await w(9_00)).toEqual({ ok: false, reason: 'amount_too_low' });
    expect(await w(70_000_01)).toEqual({ ok: false, reason: 'amount_too_high' });
    expect((await w(60_000_00)).ok).toBe(true);
    expect(await w(40_000_01)).toEqual({ ok: false, reason: 'daily_withdrawal_limit' });
    expect(await w(36_000_00)).toEqual({ ok: false, reason: 'insufficient_funds' });
    await setBlocked(core.db, p.id, true);
    expect(await w(100_00)).toEqual({ ok: false, reason: 'player_blocked' });
    await payments.idle();
  });

  it('places bets through the core with the menu’s key (a retry is a duplicate)', async () => {
    const [ev] = await openRound(core);
    const p = await newPlayer(core, 300_00);
    const input = { playerId: p.id, selections: [pick(ev!, '1X2', 'X')], stake: 100_00, key: key() };
    const a = await services.placeBet(input);
    const b = await services.placeBet(input);
    expect(a.ok && b.ok && b.value.duplicate && a.value.reference === b.value.reference).toBe(true);
    expect((await balance(core.db, p.id)).balance).toBe(185_00);
    expect(services.quoteBet(100_00, [200])).toMatchObject({ potentialPayout: 200_00 });
  });
});
