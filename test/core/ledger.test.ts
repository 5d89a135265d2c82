import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/core.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { rollupSystemBalances, transfer } from '../../src/core/ledger.ts';
import { systemBalance } from '../../src/core/accounts.ts';
import { balance } from '../../src/core/wallet.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { newPlayer, testCore } from '../support/core.ts';

describe.each(backends)('ledger on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  beforeAll(async () => {
    t = await backend.open();
    ({ core } = await testCore(t.db));
  });
  afterAll(() => t.cleanup());

  it('moves money with entries that sum to zero and audit their balances', async () => {
    const p = await newPlayer(core);
    const r = await transfer(core.db, {
      key: 'k-basic',
      kind: 'test',
      now: core.clock(),
      legs: [
        { account: core.accounts.mpesa_clearing, amount: -5000 },
        { account: p.walletAccountId, amount: 5000 },
      ],
    });
    expect(r).toMatchObject({ status: 'created', wallet: p.walletAccountId, walletBalance: 5000 });
    const { rows } = await core.db.query<{ amount: string; balance_before: string; balance_after: string }>(
      'SELECT amount::text, balance_before::text, balance_after::text FROM entries WHERE account_id = $1',
      [p.walletAccountId],
    );
    expect(rows).toEqual([{ amount: '5000', balance_before: '0', balance_after: '5000' }]);
    expect(await checkLedger(core.db)).toEqual([]);
  });

  it('returns the first result for a repeated key and moves nothing', async () => {
    const p = await newPlayer(core);
    const input = {
      key: 'k-repeat',
      kind: 'test',
      now: core.clock(),
      legs: [
        { account: core.accounts.mpesa_clearing, amount: -700 },
        { account: p.walletAccountId, amount: 700 },
      ],
    };
    const first = await transfer(core.db, input);
    const second = await transfer(core.db, input);
    expect(second).toEqual({ ...first, status: 'duplicate' });
    expect((await balance(core.db, p.id)).balance).toBe(700);
  });

  it('refuses a used key with a different input', async () => {
    const p = await newPlayer(core);
    const legs = (n: number) => [
      { account: core.accounts.mpesa_clearing, amount: -n },
      { account: p.walletAccountId, amount: n },
    ];
    await transfer(core.db, { key: 'k-conflict', kind: 'test', now: core.clock(), legs: legs(100) });
    const again = await transfer(core.db, { key: 'k-conflict', kind: 'test', now: core.clock(), legs: legs(999) });
    expect(again.status).toBe('conflict');
    expect((await balance(core.db, p.id)).balance).toBe(100);
  });

  it('refuses to overdraw a wallet and writes nothing', async () => {
    const p = await newPlayer(core);
    const before = await core.db.query<{ n: string }>('SELECT count(*)::text AS n FROM transfers');
    const r = await transfer(core.db, {
      key: 'k-overdraw',
      kind: 'test',
      now: core.clock(),
      legs: [
        { account: p.walletAccountId, amount: -1 },
        { account: core.accounts.house_revenue, amount: 1 },
      ],
    });
    expect(r).toEqual({ status: 'insufficient_funds', account: p.walletAccountId, balance: 0 });
    const after = await core.db.query<{ n: string }>('SELECT count(*)::text AS n FROM transfers');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('rejects legs that do not sum to zero', async () => {
    const p = await newPlayer(core);
    await expect(
      transfer(core.db, {
        key: 'k-unbalanced',
        kind: 'test',
        now: core.clock(),
        legs: [
          { account: core.accounts.mpesa_clearing, amount: -100 },
          { account: p.walletAccountId, amount: 99 },
        ],
      }),
    ).rejects.toThrow(/do not sum to zero/);
  });

  it('keeps entries and transfers append-only', async () => {
    await expect(core.db.query('UPDATE entries SET amount = amount + 1')).rejects.toThrow(/append-only/);
    await expect(core.db.query('DELETE FROM transfers')).rejects.toThrow(/append-only/);
  });

  it('batches system account balances and rolls them up exactly', async () => {
    const before = await systemBalance(core.db, core.accounts.mpesa_clearing);
    const p = await newPlayer(core);
    for (let i = 0; i < 5; i++) {
      await transfer(core.db, {
        key: `k-batch-${i}`,
        kind: 'test',
        now: core.clock(),
        legs: [
          { account: core.accounts.mpesa_clearing, amount: -10 },
          { account: p.walletAccountId, amount: 10 },
        ],
      });
    }
    expect(await systemBalance(core.db, core.accounts.mpesa_clearing)).toBe(before - 50);
    await rollupSystemBalances(core.db);
    const { rows } = await core.db.query<{ n: string }>('SELECT count(*)::text AS n FROM system_balance_deltas');
    expect(rows[0]!.n).toBe('0');
    expect(await systemBalance(core.db, core.accounts.mpesa_clearing)).toBe(before - 50);
    expect(await checkLedger(core.db)).toEqual([]);
  });

  it('the conservation check names an account whose cached balance was tampered with', async () => {
    const p = await newPlayer(core);
    await core.db.query('ALTER TABLE accounts DROP CONSTRAINT no_overdraft');
    await core.db.query('UPDATE accounts SET balance = balance - 1 WHERE id = $1', [p.walletAccountId]);
    const problems = await checkLedger(core.db);
    expect(problems).toContainEqual({ kind: 'balance_mismatch', account: `wallet:${p.msisdn}`, expected: 0, actual: -1 });
    expect(problems).toContainEqual({ kind: 'negative_wallet', account: `wallet:${p.msisdn}`, actual: -1 });
    await core.db.query('UPDATE accounts SET balance = balance + 1 WHERE id = $1', [p.walletAccountId]);
    expect(await checkLedger(core.db)).toEqual([]);
  });
});
