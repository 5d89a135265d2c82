import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/core.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { systemBalance } from '../../src/core/accounts.ts';
import { rollupSystemBalances } from '../../src/core/ledger.ts';
import { dailyTotals, depositAllowance, selfExclude, setDailyLimits, getPlayer } from '../../src/core/players.ts';
import { EARLIER_REGIME } from '../../src/core/taxes.ts';
import {
  balance,
  completeWithdrawal,
  deposit,
  failWithdrawal,
  reserveWithdrawal,
  statement,
} from '../../src/core/wallet.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { newPlayer, testCore } from '../support/core.ts';

describe.each(backends)('wallet on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(() => t.cleanup());

  it('credits a deposit less 5% excise duty into the excise payable account', async () => {
    const p = await newPlayer(core);
    const exciseBefore = await systemBalance(core.db, core.accounts.excise_payable);
    const r = await deposit(core, { playerId: p.id, amount: 1000_00, receipt: 'NLJ7RT61SV', now: core.clock() });
    expect(r).toEqual({ ok: true, value: { duplicate: false, amount: 1000_00, excise: 50_00, credited: 950_00, balance: 950_00 } });
    expect(await systemBalance(core.db, core.accounts.excise_payable)).toBe(exciseBefore + 50_00);
    expect((await dailyTotals(core.db, p.id, core.clock())).deposited).toBe(1000_00);
  });

  it('credits a receipt once however often it is repeated', async () => {
    const p = await newPlayer(core);
    const input = { playerId: p.id, amount: 200_00, receipt: 'DUPRECEIPT1', now: core.clock() };
    await deposit(core, input);
    const again = await deposit(core, input);
    expect(again.ok && again.value.duplicate).toBe(true);
    expect((await balance(core.db, p.id)).balance).toBe(190_00);
    expect((await dailyTotals(core.db, p.id, core.clock())).deposited).toBe(200_00);
  });

  it('refuses the same receipt for a different amount', async () => {
    const p = await newPlayer(core);
    await deposit(core, { playerId: p.id, amount: 200_00, receipt: 'CONFLICT1', now: core.clock() });
    const other = await deposit(core, { playerId: p.id, amount: 300_00, receipt: 'CONFLICT1', now: core.clock() });
    expect(other).toEqual({ ok: false, reason: 'idempotency_conflict' });
    expect((await balance(core.db, p.id)).balance).toBe(190_00);
  });

  it('reserves a withdrawal at once and pays it net of 5% withholding tax', async () => {
    const p = await newPlayer(core, 1000_00);
    const whtBefore = await systemBalance(core.db, core.accounts.wht_payable);
    const r = await reserveWithdrawal(core, { playerId: p.id, amount: 500_00, key: 'w-pay-1', now: core.clock() });
    expect(r.ok && r.value).toMatchObject({ amount: 500_00, wht: 25_00, net: 475_00, state: 'reserved', balance: 450_00 });
    if (!r.ok) return;
    expect(await balance(core.db, p.id)).toMatchObject({ balance: 450_00, pendingWithdrawals: 500_00 });
    const done = await completeWithdrawal(core, { withdrawalId: r.value.id, receipt: 'SG632NMUAB', now: core.clock() });
    expect(done.ok && done.value).toMatchObject({ state: 'completed', receipt: 'SG632NMUAB' });
    expect(await balance(core.db, p.id)).toMatchObject({ balance: 450_00, pendingWithdrawals: 0 });
    expect(await systemBalance(core.db, core.accounts.wht_payable)).toBe(whtBefore + 25_00);
    const repeat = await completeWithdrawal(core, { withdrawalId: r.value.id, receipt: 'SG632NMUAB', now: core.clock() });
    expect(repeat.ok && repeat.value.duplicate).toBe(true);
  });

  it('returns a failed withdrawal to the wallet and never pays it afterwards', async () => {
    const p = await newPlayer(core, 1000_00);
    const r = await reserveWithdrawal(core, { playerId: p.id, amount: 300_00, key: 'w-fail-1', now: core.clock() });
    if (!r.ok) throw new Error(r.reason);
    const failed = await failWithdrawal(core, { withdrawalId: r.value.id, reason: 'B2C 2040', now: core.clock() });
    expect(failed.ok && failed.value.state).toBe('failed');
    expect((await balance(core.db, p.id)).balance).toBe(950_00);
    expect((await dailyTotals(core.db, p.id, core.clock())).withdrawn).toBe(0);
    const late = await completeWithdrawal(core, { withdrawalId: r.value.id, receipt: 'LATE', now: core.clock() });
    expect(late).toEqual({ ok: false, reason: 'already_failed' });
    expect((await balance(core.db, p.id)).balance).toBe(950_00);
  });

  it('refuses a withdrawal above the balance and reserves nothing', async () => {
    const p = await newPlayer(core, 100_00);
    const r = await reserveWithdrawal(core, { playerId: p.id, amount: 96_00, key: 'w-over-1', now: core.clock() });
    expect(r).toEqual({ ok: false, reason: 'insufficient_funds', detail: { balance: 95_00 } });
    const { rows } = await core.db.query('SELECT 1 FROM withdrawals WHERE idempotency_key = $1', ['w-over-1']);
    expect(rows).toHaveLength(0);
  });

  it('repeats a withdrawal request by key without reserving twice', async () => {
    const p = await newPlayer(core, 1000_00);
    const input = { playerId: p.id, amount: 100_00, key: 'w-repeat-1', now: core.clock() };
    const a = await reserveWithdrawal(core, input);
    const b = await reserveWithdrawal(core, input);
    expect(a.ok && b.ok && b.value.duplicate && a.value.id === b.value.id).toBe(true);
    expect((await balance(core.db, p.id)).balance).toBe(850_00);
  });

  it('pages the statement newest first', async () => {
    const p = await newPlayer(core);
    for (let i = 1; i <= 5; i++) {
      await deposit(core, { playerId: p.id, amount: i * 100_00, receipt: `STMT${p.id}-${i}`, now: core.clock() });
    }
    const first = await statement(core.db, p.id, { limit: 2 });
    expect(first.map((l) => l.reference)).toEqual([`STMT${p.id}-5`, `STMT${p.id}-4`]);
    const next = await statement(core.db, p.id, { limit: 2, before: first[1]!.entryId });
    expect(next.map((l) => l.reference)).toEqual([`STMT${p.id}-3`, `STMT${p.id}-2`]);
    expect(next[0]!.balanceAfter).toBe((100 + 200 + 300) * 95);
  });

  it('enforces the daily deposit limit before money is requested, and self-exclusion', async () => {
    const p = await newPlayer(core);
    await setDailyLimits(core.db, p.id, { deposit: 500_00 });
    await deposit(core, { playerId: p.id, amount: 400_00, receipt: `LIM${p.id}`, now: core.clock() });
    const player = (await getPlayer(core.db, p.id))!;
    expect(await depositAllowance(core.db, player, 100_00, core.clock())).toEqual({ ok: true, value: true });
    expect(await depositAllowance(core.db, player, 100_01, core.clock())).toEqual({
      ok: false,
      reason: 'daily_deposit_limit',
      detail: { remaining: 100_00 },
    });
    await selfExclude(core.db, p.id, 7, core.clock());
    const excluded = (await getPlayer(core.db, p.id))!;
    expect((await depositAllowance(core.db, excluded, 10_00, core.clock())).ok).toBe(false);
  });

  it('passes the conservation check after all of the above', async () => {
    await rollupSystemBalances(core.db);
    expect(await checkLedger(core.db)).toEqual([]);
  });
});

describe.each(backends)('wallet under the earlier tax regime on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db, { taxes: EARLIER_REGIME }));
  });
  afterAll(() => t.cleanup());

  it('takes no tax from deposits or withdrawals', async () => {
    const p = await newPlayer(core, 1000_00);
    expect((await balance(core.db, p.id)).balance).toBe(1000_00);
    const r = await reserveWithdrawal(core, { playerId: p.id, amount: 1000_00, key: 'old-w', now: core.clock() });
    expect(r.ok && r.value).toMatchObject({ wht: 0, net: 1000_00 });
  });
});
