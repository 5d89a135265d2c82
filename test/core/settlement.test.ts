import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemBalance } from '../../src/core/accounts.ts';
import { betByReference, payoutFor, placeBet } from '../../src/core/bets.ts';
import type { Core } from '../../src/core/core.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { rollupSystemBalances } from '../../src/core/ledger.ts';
import { settleEvent, voidBet, voidEvent } from '../../src/core/settlement.ts';
import { EARLIER_REGIME } from '../../src/core/taxes.ts';
import { balance } from '../../src/core/wallet.ts';
import { newPlayer, testCore } from '../support/core.ts';
import { backends, describeOnPostgres, type TestDb } from '../support/databases.ts';
import { openRound, pick, setResult } from '../support/events.ts';

let keySeq = 0;
const key = () => `settle-slip-${++keySeq}`;

async function bet(core: Core, playerId: number, selections: ReturnType<typeof pick>[], stake: number) {
  const r = await placeBet(core, { playerId, selections, stake, key: key(), now: core.clock() });
  if (!r.ok) throw new Error(`bet refused: ${r.reason}`);
  return r.value;
}

describe.each(backends)('settlement on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(async () => {
    await rollupSystemBalances(core.db);
    expect(await checkLedger(core.db)).toEqual([]);
    await t.cleanup();
  });

  it('pays a winning single and keeps a losing one', async () => {
    const [ev] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const home = pick(ev!, '1X2', '1');
    const winner = await bet(core, p.id, [home], 100_00);
    const loser = await bet(core, p.id, [pick(ev!, '1X2', '2')], 100_00);
    await setResult(core, ev!.id, { home: 2, away: 1 });
    const summary = await settleEvent(core, ev!.id, core.clock());
    expect(summary).toEqual({ eventId: ev!.id, bets: 2, won: 1, lost: 1, void: 0 });
    expect((await balance(core.db, p.id)).balance).toBe(750_00 + payoutFor(100_00, [home.odds]));
    expect(await betByReference(core.db, winner.reference)).toMatchObject({ state: 'won', payout: payoutFor(100_00, [home.odds]), wht: 0 });
    expect(await betByReference(core.db, loser.reference)).toMatchObject({ state: 'lost', payout: 0 });
  });

  it('settles an event once however often it is asked', async () => {
    const [ev] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    await bet(core, p.id, [pick(ev!, 'BTTS', 'GG')], 100_00);
    await setResult(core, ev!.id, { home: 1, away: 1 });
    await settleEvent(core, ev!.id, core.clock());
    const after = (await balance(core.db, p.id)).balance;
    expect(await settleEvent(core, ev!.id, core.clock())).toBeNull();
    expect((await balance(core.db, p.id)).balance).toBe(after);
  });

  it('settles a multibet when its last event settles, counting a void leg as 1.00', async () => {
    const [a, b, c] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const legs = [pick(a!, '1X2', '1'), pick(b!, 'OU25', 'OV25'), pick(c!, '1X2', 'X')];
    const slip = await bet(core, p.id, legs, 100_00);
    await setResult(core, a!.id, { home: 3, away: 0 });
    expect(await settleEvent(core, a!.id, core.clock())).toMatchObject({ bets: 0 });
    await setResult(core, b!.id, { home: 2, away: 2 });
    expect(await settleEvent(core, b!.id, core.clock())).toMatchObject({ bets: 0 });
    expect((await betByReference(core.db, slip.reference))!.state).toBe('open');
    await voidEvent(core, c!.id, core.clock());
    const settled = await betByReference(core.db, slip.reference);
    const payout = payoutFor(100_00, [legs[0]!.odds, legs[1]!.odds]);
    expect(settled).toMatchObject({ state: 'won', payout });
    expect(settled!.selections.map((s) => s.result)).toEqual(['won', 'won', 'void']);
    expect((await balance(core.db, p.id)).balance).toBe(850_00 + payout);
  });

  it('loses a multibet on any lost leg', async () => {
    const [a, b] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const slip = await bet(core, p.id, [pick(a!, '1X2', '1'), pick(b!, '1X2', '1')], 100_00);
    await setResult(core, a!.id, { home: 0, away: 1 });
    await settleEvent(core, a!.id, core.clock());
    await setResult(core, b!.id, { home: 1, away: 0 });
    await settleEvent(core, b!.id, core.clock());
    expect(await betByReference(core.db, slip.reference)).toMatchObject({ state: 'lost', payout: 0 });
    expect((await balance(core.db, p.id)).balance).toBe(850_00);
  });

  it('returns the whole stake when every leg is void', async () => {
    const [a] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const slip = await bet(core, p.id, [pick(a!, '1X2', '2')], 100_00);
    await voidEvent(core, a!.id, core.clock());
    expect(await betByReference(core.db, slip.reference)).toMatchObject({ state: 'void', payout: 100_00 });
    expect((await balance(core.db, p.id)).balance).toBe(950_00);
  });

  it('voids a single open bet on request, once', async () => {
    const [a] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const slip = await bet(core, p.id, [pick(a!, '1X2', '2')], 100_00);
    expect(await voidBet(core, { betId: slip.betId, now: core.clock() })).toEqual({ ok: true, value: { refunded: 100_00 } });
    expect(await voidBet(core, { betId: slip.betId, now: core.clock() })).toEqual({ ok: false, reason: 'not_open' });
    await setResult(core, a!.id, { home: 0, away: 3 });
    await settleEvent(core, a!.id, core.clock());
    expect(await betByReference(core.db, slip.reference)).toMatchObject({ state: 'void' });
    expect((await balance(core.db, p.id)).balance).toBe(950_00);
  });

  it('moves the stakes held into house revenue on a loss', async () => {
    const [a] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    await rollupSystemBalances(core.db);
    const houseBefore = await systemBalance(core.db, core.accounts.house_revenue);
    const stakesBefore = await systemBalance(core.db, core.accounts.stakes_held);
    await bet(core, p.id, [pick(a!, '1X2', '1')], 100_00);
    await setResult(core, a!.id, { home: 0, away: 0 });
    await settleEvent(core, a!.id, core.clock());
    expect(await systemBalance(core.db, core.accounts.house_revenue)).toBe(houseBefore + 100_00);
    expect(await systemBalance(core.db, core.accounts.stakes_held)).toBe(stakesBefore);
  });
});

describe.each(backends)('settlement under the earlier regime on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db, { taxes: EARLIER_REGIME }));
  });
  afterAll(() => t.cleanup());

  it('withholds 20% of winnings net of stake into WHT payable, and refunds excise on a void', async () => {
    const [a, b] = await openRound(core);
    const p = await newPlayer(core, 1000_00);
    const sel = pick(a!, '1X2', '1');
    await bet(core, p.id, [sel], 100_00);
    const voided = await bet(core, p.id, [pick(b!, '1X2', '1')], 100_00);
    await setResult(core, a!.id, { home: 1, away: 0 });
    await settleEvent(core, a!.id, core.clock());
    const payout = payoutFor(87_50, [sel.odds]);
    const wht = payout > 100_00 ? Math.floor(((payout - 100_00) * 2000 + 5000) / 10000) : 0;
    expect((await balance(core.db, p.id)).balance).toBe(800_00 + payout - wht);
    expect(await systemBalance(core.db, core.accounts.wht_payable)).toBe(wht);
    await voidBet(core, { betId: voided.betId, now: core.clock() });
    expect((await balance(core.db, p.id)).balance).toBe(900_00 + payout - wht);
    expect(await systemBalance(core.db, core.accounts.excise_payable)).toBe(12_50);
    await rollupSystemBalances(core.db);
    expect(await checkLedger(core.db)).toEqual([]);
  });
});

describeOnPostgres('settlement from parallel processes', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(() => t.cleanup());

  it('settles every bet exactly once when two settlers race over the same events', async () => {
    const events = await openRound(core);
    const players = await Promise.all(Array.from({ length: 20 }, () => newPlayer(core, 1000_00)));
    for (const [i, p] of players.entries()) {
      await bet(core, p.id, [pick(events[i % 4]!, '1X2', '1'), pick(events[4 + (i % 4)]!, '1X2', '1')], 50_00);
    }
    for (const e of events) await setResult(core, e.id, { home: 1, away: 0 });
    const a = await testCore(t.connect(5));
    const b = await testCore(t.connect(5));
    await Promise.all(events.flatMap((e) => [settleEvent(a.core, e.id, core.clock()), settleEvent(b.core, e.id, core.clock())]));
    const { rows } = await core.db.query<{ state: string; n: string }>(
      `SELECT state, count(*)::text AS n FROM bets GROUP BY state`,
    );
    expect(rows).toEqual([{ state: 'won', n: '20' }]);
    const transfers = await core.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM transfers WHERE kind = 'bet_won'`);
    expect(transfers.rows[0]!.n).toBe('20');
    await rollupSystemBalances(core.db);
    expect(await checkLedger(core.db)).toEqual([]);
  });
});
