import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/core.ts';
import { findPlayerByMsisdn, findPlayersByMsisdn } from '../../src/core/players.ts';
import { balance, balances } from '../../src/core/wallet.ts';
import { newPlayer, testCore } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';

describe.each(backends)('batched reads on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('finds several players by number in one query, leaving unknown numbers out', async () => {
    const a = await newPlayer(core);
    const b = await newPlayer(core);
    const found = await findPlayersByMsisdn(core.db, [a.msisdn, '254799999999', b.msisdn]);
    expect([...found.keys()].sort()).toEqual([a.msisdn, b.msisdn].sort());
    expect(found.get(a.msisdn)).toEqual(await findPlayerByMsisdn(core.db, a.msisdn));
  });

  it('reads several balances in one query, each as the single-player read has it', async () => {
    const a = await newPlayer(core, 300_00);
    const b = await newPlayer(core, 0);
    const views = await balances(core.db, [a.id, b.id, 987_654_321]);
    expect(views.size).toBe(2);
    expect(views.get(a.id)).toEqual(await balance(core.db, a.id));
    expect(views.get(b.id)).toEqual({ balance: 0, openBets: 0, openStakes: 0, pendingWithdrawals: 0 });
    expect(views.get(a.id)!.balance).toBeGreaterThan(0);
  });
});
