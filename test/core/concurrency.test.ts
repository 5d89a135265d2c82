import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeBet } from '../../src/core/bets.ts';
import type { Core } from '../../src/core/core.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { rollupSystemBalances } from '../../src/core/ledger.ts';
import { balance, deposit, reserveWithdrawal } from '../../src/core/wallet.ts';
import { newPlayer, testCore } from '../support/core.ts';
import { describeOnPostgres, type TestDb } from '../support/databases.ts';
import { openRound, pick } from '../support/events.ts';

describeOnPostgres('a wallet under concurrent load', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(() => t.cleanup());

  it('never goes below zero when bets, withdrawals and deposits race from many connections', async () => {
    const events = await openRound(core);
    const p = await newPlayer(core, 1000_00); // KES 950 after excise
    // four app instances, each with its own pool, hammer the same wallet at once
    const instances = await Promise.all(Array.from({ length: 4 }, () => testCore(t.connect(8))));
    const attempts = Array.from({ length: 80 }, (_, i) => {
      const { core: c } = instances[i % instances.length]!;
      if (i % 4 === 0) {
        return reserveWithdrawal(c, { playerId: p.id, amount: 100_00, key: `race-w-${i}`, now: c.clock() }).then(
          (r) => (r.ok ? -100_00 : 0),
        );
      }
      if (i % 10 === 5) {
        return deposit(c, { playerId: p.id, amount: 20_00, receipt: `RACE${i}`, now: c.clock() }).then((r) =>
          r.ok ? 19_00 : 0,
        );
      }
      const ev = events[i % events.length]!;
      return placeBet(c, { playerId: p.id, selections: [pick(ev, '1X2', '1')], stake: 50_00, key: `race-b-${i}`, now: c.clock() }).then(
        (r) => (r.ok ? -50_00 : 0),
      );
    });
    const moves: number[] = await Promise.all(attempts);
    const expected = 950_00 + moves.reduce((a, b) => a + b, 0);
    const after = await balance(core.db, p.id);
    expect(after.balance).toBe(expected);
    expect(after.balance).toBeGreaterThanOrEqual(0);
    // enough attempts were refused that the race really reached the floor
    expect(moves.filter((m) => m === 0).length).toBeGreaterThan(0);
    await rollupSystemBalances(core.db);
    expect(await checkLedger(core.db)).toEqual([]);
  });

  it('credits a receipt once when the same deposit arrives 20 times at once', async () => {
    const p = await newPlayer(core);
    const instances = await Promise.all(Array.from({ length: 4 }, () => testCore(t.connect(5))));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        deposit(instances[i % 4]!.core, { playerId: p.id, amount: 500_00, receipt: 'SAMERECEIPT', now: core.clock() }),
      ),
    );
    expect(results.filter((r) => r.ok && !r.value.duplicate)).toHaveLength(1);
    expect((await balance(core.db, p.id)).balance).toBe(475_00);
  });
});
