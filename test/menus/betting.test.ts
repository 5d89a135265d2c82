import { describe, expect, it } from 'vitest';
import { fail } from '../../src/core/outcome.ts';
import { setup } from './dial.ts';
import { defaultWorld } from './fake-menu-services.ts';

/** main menu → Bet → Football → first match → Match result */
const TO_MATCH_RESULT = ['1', '1', '1', '1'];

describe('a single bet', () => {
  it('leaves the match list and markets out of the saved session once the pick is on the slip (saved on every hop)', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT);
    const size = () => JSON.stringify(dial.last!.snapshot).length;
    const onOutcomes = size();
    expect(JSON.stringify(dial.last!.snapshot)).toContain('Kisumu Stars');
    await dial.send('1');
    expect(dial.state).toBe('bet.slip');
    expect(JSON.stringify(dial.last!.snapshot)).not.toContain('Kisumu Stars');
    expect(size()).toBeLessThan(onOutcomes - 500);
    // and back to the lists, which load again
    expect((await dial.send('1')).screen).toMatch(/^Choose a sport/);
    expect((await dial.send('1')).screen).toMatch(/Kisumu Stars v Nakuru City/);
  });

  it('walks from the sport list to a placed bet with the reference on the END screen', async () => {
    const { dial, world } = setup();
    await dial.start();
    expect((await dial.send('1')).screen).toBe('Choose a sport\n1. Football\n2. Basketball\n3. Tennis\n0. Back');
    expect((await dial.send('1')).screen).toBe(
      'Football: choose a match\n1. Nairobi FC v Mombasa Utd 14:32\n2. Kisumu Stars v Nakuru City 14:34\n3. Eldoret Rangers v Thika Town 14:36\n0. Back',
    );
    expect((await dial.send('1')).screen).toBe(
      'Nairobi FC v Mombasa Utd 14:32\n1. Match result\n2. Double chance\n3. Over/Under 2.5 goals\n4. Both teams score\n5. Handicap (home -1)\n0. Back',
    );
    expect((await dial.send('1')).screen).toBe(
      'Nairobi FC v Mombasa Utd\nMatch result\n1. Nairobi FC 2.10\n2. Draw 3.40\n3. Mombasa Utd 3.05\n0. Back',
    );
    expect((await dial.send('1')).screen).toBe(
      'Slip: 1 match, odds 2.10\nNairobi FC v Mombasa Utd: Nairobi FC 2.10\n1. Add another match\n2. Enter stake\n0. Back',
    );
    expect(dial.state).toBe('bet.slip');
    expect((await dial.send('2')).screen).toBe('Enter stake (KES 10.00 to KES 50,000.00)\n0. Back');
    expect((await dial.send('100')).screen).toBe(
      'Confirm bet: 1 match\nStake KES 100.00\nTotal odds 2.10\nPossible win KES 210.00\n1. Confirm\n2. Cancel\n0. Back',
    );
    expect(dial.state).toBe('bet.confirm');
    const placed = await dial.send('1');
    expect(placed).toEqual({ kind: 'END', screen: 'Bet B7K2Q placed. Stake KES 100.00 Possible win KES 210.00. Good luck!' });
    expect(dial.state).toBe('betPlaced');
    expect(dial.resumable).toBeNull();
    expect(world.calls.filter((c) => c.method === 'placeBet').map((c) => c.args[0])).toEqual([
      { playerId: 1, selections: [{ eventId: 101, outcomeId: 1000, odds: 210 }], stake: 10_000, key: 'ATUid_1:bet:1' },
    ]);
  });

  it('shows the exact excise, payout and tax on winnings that quoteBet computed', async () => {
    const world = defaultWorld();
    world.stakeExciseBp = 1250;
    world.winTaxBp = 2000;
    const { dial } = setup(world);
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2');
    const confirm = await dial.send('100');
    // stake 100.00, excise 12.5% = 12.50, net 87.50 x 2.10 = 183.75, tax 20% of (183.75 - 100.00) = 16.75
    expect(confirm.screen).toBe(
      'Confirm bet: 1 match\nStake KES 100.00\nExcise duty KES 12.50\nTotal odds 2.10\nPossible win KES 183.75\nTax on win KES 16.75\n1. Confirm\n2. Cancel\n0. Back',
    );
    expect(world.calls.filter((c) => c.method === 'quoteBet').map((c) => c.args)).toEqual([[10_000, [210]]]);
    expect((await dial.send('1')).screen).toBe('Bet B7K2Q placed. Stake KES 100.00 Possible win KES 183.75. Good luck!');
  });

  it('answers a mistyped stake with a one-line hint on the same screen', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2');
    expect((await dial.send('abc')).screen).toBe('Invalid amount. Try again.\nEnter stake (KES 10.00 to KES 50,000.00)\n0. Back');
    expect((await dial.send('5')).screen.split('\n')[0]).toBe('The minimum is KES 10.00.');
    expect((await dial.send('60000')).screen.split('\n')[0]).toBe('The maximum is KES 50,000.00.');
    expect((await dial.send('1,000')).screen).toContain('Stake KES 1,000.00');
    expect(dial.state).toBe('bet.confirm');
  });

  it('names basketball and tennis markets and picks in plain words', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send('1', '2', '1');
    expect(dial.screen).toBe('Ulinzi Warriors v KPA 14:33\n1. Winner\n2. Total points O/U 209.5\n0. Back');
    expect((await dial.send('2')).screen).toBe(
      'Ulinzi Warriors v KPA\nTotal points O/U 209.5\n1. Over 209.5 1.90\n2. Under 209.5 1.90\n0. Back',
    );
    await dial.send('0', '0', '0', '3', '1');
    expect(dial.screen).toBe('Okutoyi v Wanjiru 14:35\n1. Winner\n2. Total sets\n0. Back');
    expect((await dial.send('2')).screen).toBe('Okutoyi v Wanjiru\nTotal sets\n1. 2 sets 1.60\n2. 3 sets 2.30\n0. Back');
  });

  it('cancels from the confirmation back to the main menu and clears the slip', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2', '100');
    const main = await dial.send('2');
    expect(main.screen.split('\n').slice(0, 2)).toEqual(['Bet cancelled.', 'Main menu']);
    expect(dial.resumable).toBeNull();
    expect(world.calls.some((c) => c.method === 'placeBet')).toBe(false);
    expect((await dial.send('1')).screen).not.toContain('My slip');
  });
});

describe('a multibet', () => {
  it('adds a second match and places both legs with the product of the odds', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1');
    expect((await dial.send('1')).screen).toBe('Choose a sport\n1. Football\n2. Basketball\n3. Tennis\n4. My slip (1)\n0. Back');
    await dial.send('1', '2', '1');
    const slip = await dial.send('2');
    expect(slip.screen).toBe(
      'Slip: 2 matches, odds 7.35\nNairobi FC v Mombasa Utd: Nairobi FC 2.10\nKisumu Stars v Nakuru City: Draw 3.50\n1. Add another match\n2. Enter stake\n0. Back',
    );
    expect(dial.resumable).toEqual({
      kind: 'bet',
      stake: null,
      selections: [
        expect.objectContaining({ eventId: 101, outcomeId: 1000, odds: 210 }),
        expect.objectContaining({ eventId: 102, outcomeId: 1101, odds: 350 }),
      ],
    });
    await dial.send('2');
    expect((await dial.send('50')).screen).toBe(
      'Confirm bet: 2 matches\nStake KES 50.00\nTotal odds 7.35\nPossible win KES 367.50\n1. Confirm\n2. Cancel\n0. Back',
    );
    expect(dial.resumable).toEqual(expect.objectContaining({ kind: 'bet', stake: 5000 }));
    expect((await dial.send('1')).screen).toBe('Bet B7K2Q placed. Stake KES 50.00 Possible win KES 367.50. Good luck!');
    expect(world.calls.find((c) => c.method === 'placeBet')?.args[0]).toEqual(
      expect.objectContaining({
        selections: [
          { eventId: 101, outcomeId: 1000, odds: 210 },
          { eventId: 102, outcomeId: 1101, odds: 350 },
        ],
      }),
    );
  });

  it('replaces the leg when a second pick is made on a match already on the slip', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '1', '1', '1', '1');
    const slip = await dial.send('2');
    expect(slip.screen).toBe(
      'Your pick for this match was replaced.\nSlip: 1 match, odds 3.40\nNairobi FC v Mombasa Utd: Draw 3.40\n1. Add another match\n2. Enter stake\n0. Back',
    );
  });

  it('refuses to add a match to a full slip and says what the maximum is', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1');
    await dial.send('1', '1', '2', '1', '1');
    await dial.send('1', '1', '3', '1', '1');
    expect(dial.screen.split('\n')[0]).toBe('Slip: 3 matches, odds 7.93');
    const full = await dial.send('1');
    expect(full.screen.split('\n')[0]).toBe('Your slip is full (max 3 matches).');
    expect(dial.state).toBe('bet.slip');
  });
});

describe('placement refused by the core', () => {
  it('shows the confirmation again with the new odds after odds_changed, under a new key', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2', '100');
    world.placements.push(fail('odds_changed', [{ outcomeId: 1000, odds: 200 }]));
    const again = await dial.send('1');
    expect(again.screen).toBe(
      'Odds changed. Please confirm again.\nConfirm bet: 1 match\nStake KES 100.00\nTotal odds 2.00\nPossible win KES 200.00\n1. Confirm\n2. Cancel\n0. Back',
    );
    expect(dial.state).toBe('bet.confirm');
    expect((await dial.send('1')).screen).toBe('Bet B7K2Q placed. Stake KES 100.00 Possible win KES 200.00. Good luck!');
    const placements = world.calls.filter((c) => c.method === 'placeBet').map((c) => c.args[0] as { key: string; selections: unknown });
    expect(placements.map((p) => p.key)).toEqual(['ATUid_1:bet:1', 'ATUid_1:bet:2']);
    expect(placements[1]!.selections).toEqual([{ eventId: 101, outcomeId: 1000, odds: 200 }]);
  });

  it('takes a started match off the slip and offers another match', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '1', '1', '2', '1', '2', '2', '100');
    world.placements.push(fail('event_closed', [101]));
    const closed = await dial.send('1');
    expect(closed.screen).toBe(
      'Sorry, Nairobi FC v Mombasa Utd has started. It was taken off your slip.\n1. Choose another match\n0. Main menu',
    );
    expect(dial.state).toBe('bet.closed');
    expect(dial.resumable).toEqual(expect.objectContaining({ kind: 'bet', selections: [expect.objectContaining({ eventId: 102 })] }));
    expect((await dial.send('1')).screen).toContain('4. My slip (1)');
  });

  it('shows the balance and offers a deposit when funds are short', async () => {
    const world = defaultWorld();
    world.balances.set(1, 5_000);
    const { dial } = setup(world);
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2', '100');
    const short = await dial.send('1');
    expect(short.screen).toBe('Not enough money. Your balance is KES 50.00.\n1. Deposit\n0. Main menu');
    expect(dial.state).toBe('bet.noFunds');
    expect((await dial.send('1')).screen).toBe('Enter amount to deposit (KES 10.00 to KES 150,000.00)\n0. Back');
    expect(dial.state).toBe('deposit.amount');
  });

  const cases = [
    {
      reason: 'daily_stake_limit',
      detail: { remaining: 2_000 },
      screen: 'This bet is over your daily stake limit. You can stake KES 20.00 more today.\n1. Change stake\n0. Main menu',
      next: 'bet.stake',
    },
    { reason: 'stake_too_high', detail: { limit: 5_000 }, screen: 'The maximum stake is KES 50.00.\n1. Change stake\n0. Main menu', next: 'bet.stake' },
    { reason: 'stake_too_low', detail: { limit: 20_000 }, screen: 'The minimum stake is KES 200.00.\n1. Change stake\n0. Main menu', next: 'bet.stake' },
    {
      reason: 'payout_too_high',
      detail: { limit: 15_000 },
      screen: 'The most you can win is KES 150.00. Please lower the stake.\n1. Change stake\n0. Main menu',
      next: 'bet.stake',
    },
    { reason: 'too_many_legs', detail: { limit: 3 }, screen: 'A slip can have at most 3 matches.\n1. Start a new slip\n0. Main menu', next: 'bet.sports' },
    { reason: 'duplicate_event', detail: undefined, screen: 'Your slip has the same match twice.\n1. Start a new slip\n0. Main menu', next: 'bet.sports' },
    { reason: 'idempotency_conflict', detail: undefined, screen: 'Sorry, we could not place this bet.\n1. Start a new slip\n0. Main menu', next: 'bet.sports' },
    {
      reason: 'selection_not_found',
      detail: [1000],
      screen: 'Sorry, a pick is no longer available. It was taken off your slip.\n1. Choose another match\n0. Main menu',
      next: 'bet.sports',
    },
    {
      reason: 'self_excluded',
      detail: { until: '2026-03-17T11:00:00.000Z' },
      screen: 'Betting is paused until 17/03/2026 14:00.\n0. Main menu',
      next: null,
    },
  ] as const;

  for (const c of cases) {
    it(`explains ${c.reason} and offers a way forward`, async () => {
      const { dial, world } = setup();
      await dial.start();
      await dial.send(...TO_MATCH_RESULT, '1', '2', '100');
      world.placements.push(fail(c.reason, c.detail));
      const reply = await dial.send('1');
      expect(reply).toEqual({ kind: 'CON', screen: c.screen });
      if (c.next !== null) {
        await dial.send('1');
        expect(dial.state).toBe(c.next);
      }
      const main = await dial.send('00');
      expect(main.kind).toBe('CON');
      expect(dial.state).toBe('main');
    });
  }

  it('restricts the menu once the core says the player is on a break', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2', '100');
    world.placements.push(fail('self_excluded', { until: '2026-03-17T11:00:00.000Z' }));
    await dial.send('1');
    expect((await dial.send('0')).screen).toBe('You are on a break until 17/03/2026 14:00.\n2. Balance\n5. Withdraw\n0. Exit');
  });

  it('ends with the call-support screen when the player is blocked', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2', '100');
    world.placements.push(fail('player_blocked'));
    expect(await dial.send('1')).toEqual({ kind: 'END', screen: 'Your account is blocked. Please call customer care.' });
  });
});

describe('the placement idempotency key', () => {
  it('stays the same when the same confirmation is retried, so one bet is placed', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2', '100');
    const confirmSnapshot = dial.last!.snapshot;
    const first = await dial.conversation.advance(structuredClone(confirmSnapshot), ['1'], dial.ctx);
    const retry = await dial.conversation.advance(structuredClone(confirmSnapshot), ['1'], dial.ctx);
    expect(retry.reply).toEqual(first.reply);
    const keys = world.calls.filter((c) => c.method === 'placeBet').map((c) => (c.args[0] as { key: string }).key);
    expect(keys).toEqual(['ATUid_1:bet:1', 'ATUid_1:bet:1']);
    expect(world.bets).toHaveLength(1);
    expect(world.balances.get(1)).toBe(90_000);
  });

  it('changes when the player goes back and confirms a different stake', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send(...TO_MATCH_RESULT, '1', '2', '100', '0', '200', '1');
    expect(world.calls.find((c) => c.method === 'placeBet')?.args[0]).toEqual(expect.objectContaining({ key: 'ATUid_1:bet:2', stake: 20_000 }));
  });
});
