import { describe, expect, it } from 'vitest';
import type { DepositRefusal, WithdrawalRefusal } from '../../src/menus/services.ts';
import { setup } from './dial.ts';
import { defaultWorld, NOW } from './fake-menu-services.ts';

describe('balance', () => {
  it('shows the wallet balance with a way back', async () => {
    const { dial } = setup();
    await dial.start();
    expect(await dial.send('2')).toEqual({ kind: 'CON', screen: 'Balance: KES 1,000.00\n0. Back' });
    expect(dial.state).toBe('balance.shown');
    expect((await dial.send('0')).screen.split('\n')[0]).toBe('Main menu');
  });

  it('adds the open bets and what they stake', async () => {
    const world = defaultWorld();
    world.bets = [
      { id: 1, reference: 'A1', stake: 10_000, potentialPayout: 21_000, state: 'open', payout: null, legs: 1, placedAt: NOW },
      { id: 2, reference: 'A2', stake: 5_000, potentialPayout: 9_000, state: 'open', payout: null, legs: 2, placedAt: NOW },
      { id: 3, reference: 'A3', stake: 5_000, potentialPayout: 9_000, state: 'lost', payout: 0, legs: 1, placedAt: NOW },
    ];
    const { dial } = setup(world);
    await dial.start();
    expect((await dial.send('2')).screen).toBe('Balance: KES 1,000.00\nOpen bets: 2 (KES 150.00)\n0. Back');
  });
});

describe('deposit', () => {
  it('previews the excise, then starts the M-Pesa prompt', async () => {
    const { dial, world } = setup();
    await dial.start();
    expect((await dial.send('4')).screen).toBe('Enter amount to deposit (KES 10.00 to KES 150,000.00)\n0. Back');
    const confirm = await dial.send('100');
    expect(confirm.screen).toBe('Deposit KES 100.00\nExcise duty KES 5.00\nTo your wallet KES 95.00\n1. Confirm\n2. Cancel\n0. Back');
    expect(dial.state).toBe('deposit.confirm');
    expect(dial.resumable).toEqual({ kind: 'deposit', amount: 10_000 });
    const started = await dial.send('1');
    expect(started).toEqual({ kind: 'END', screen: 'Enter your M-Pesa PIN on the prompt to deposit KES 100.00.' });
    expect(dial.resumable).toBeNull();
    expect(world.calls.find((c) => c.method === 'startDeposit')?.args[0]).toEqual({
      playerId: 1,
      msisdn: '254700000001',
      amount: 10_000,
    });
  });

  it('asks for whole shillings and keeps to the limits', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send('4');
    expect((await dial.send('100.50')).screen.split('\n')[0]).toBe('Whole shillings only, e.g. 100.');
    expect((await dial.send('5')).screen.split('\n')[0]).toBe('The minimum is KES 10.00.');
    expect((await dial.send('200000')).screen.split('\n')[0]).toBe('The maximum is KES 150,000.00.');
    expect(dial.state).toBe('deposit.amount');
  });

  it('cancels back to the main menu and forgets the amount', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send('4', '100');
    expect((await dial.send('2')).screen.split('\n').slice(0, 2)).toEqual(['Cancelled.', 'Main menu']);
    expect(dial.resumable).toBeNull();
  });

  const refusals: [DepositRefusal, string][] = [
    ['payments_busy', 'M-Pesa is busy, try again in a minute.'],
    ['payments_unavailable', 'M-Pesa is not available right now. Please try again later.'],
    ['daily_deposit_limit', 'This is over your daily deposit limit.'],
    ['amount_too_high', 'The maximum deposit is KES 150,000.00.'],
    ['amount_too_low', 'The minimum deposit is KES 10.00.'],
    ['self_excluded', 'Deposits are paused during your break.'],
  ];
  for (const [reason, text] of refusals) {
    it(`explains ${reason} and lets the player try again`, async () => {
      const { dial, world } = setup();
      await dial.start();
      await dial.send('4', '100');
      world.depositRefusals.push(reason);
      expect(await dial.send('1')).toEqual({ kind: 'CON', screen: `${text}\n1. Try again\n0. Main menu` });
      expect(dial.state).toBe('deposit.refused');
      await dial.send('1');
      expect(dial.state).toBe('deposit.amount');
    });
  }
});

describe('withdraw', () => {
  it('previews the withholding tax, then sends the money', async () => {
    const { dial, world } = setup();
    await dial.start();
    expect((await dial.send('5')).screen).toBe('Enter amount to withdraw (KES 50.00 to KES 70,000.00)\n0. Back');
    expect((await dial.send('200')).screen).toBe(
      'Withdraw KES 200.00\nWithholding tax KES 10.00\nM-Pesa gets KES 190.00\n1. Confirm\n2. Cancel\n0. Back',
    );
    expect(await dial.send('1')).toEqual({ kind: 'END', screen: 'KES 190.00 is on its way to your M-Pesa. Balance KES 800.00.' });
    expect(world.calls.find((c) => c.method === 'requestWithdrawal')?.args[0]).toEqual({
      playerId: 1,
      msisdn: '254700000001',
      amount: 20_000,
      key: 'ATUid_1:wd:1',
    });
  });

  it('shows the balance when it is too low and lets the player change the amount', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send('5', '5000');
    expect(await dial.send('1')).toEqual({
      kind: 'CON',
      screen: 'Not enough money. Your balance is KES 1,000.00.\n1. Change amount\n0. Main menu',
    });
    expect(dial.state).toBe('withdraw.noFunds');
    await dial.send('1');
    expect(dial.state).toBe('withdraw.amount');
  });

  const refusals: [WithdrawalRefusal, string][] = [
    ['daily_withdrawal_limit', 'This is over the daily withdrawal limit.'],
    ['payments_unavailable', 'M-Pesa is not available right now. Please try again later.'],
    ['amount_too_low', 'The minimum withdrawal is KES 50.00.'],
    ['amount_too_high', 'The maximum withdrawal is KES 70,000.00.'],
  ];
  for (const [reason, text] of refusals) {
    it(`explains ${reason}`, async () => {
      const { dial, world } = setup();
      await dial.start();
      await dial.send('5', '200');
      world.withdrawalRefusals.push(reason);
      expect(await dial.send('1')).toEqual({ kind: 'CON', screen: `${text}\n1. Try again\n0. Main menu` });
    });
  }

  it('ends with the call-support screen when the account is blocked', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send('5', '200');
    world.withdrawalRefusals.push('player_blocked');
    expect((await dial.send('1')).kind).toBe('END');
    expect(dial.state).toBe('blocked');
  });

  it('reuses the idempotency key when the same confirmation is retried', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send('5', '200');
    const confirm = dial.last!.snapshot;
    await dial.conversation.advance(structuredClone(confirm), ['1'], dial.ctx);
    await dial.conversation.advance(structuredClone(confirm), ['1'], dial.ctx);
    const keys = world.calls.filter((c) => c.method === 'requestWithdrawal').map((c) => (c.args[0] as { key: string }).key);
    expect(keys).toEqual(['ATUid_1:wd:1', 'ATUid_1:wd:1']);
  });
});
