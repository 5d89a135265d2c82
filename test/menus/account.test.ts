import { describe, expect, it } from 'vitest';
import { dialWith, setup } from './dial.ts';
import { defaultWorld, player } from './fake-menu-services.ts';

describe('language', () => {
  it('saves the choice and uses it at once, on every later screen', async () => {
    const { dial, world, services } = setup();
    await dial.start();
    expect((await dial.send('6')).screen).toBe('My account\n1. Language\n2. Daily limits\n3. Take a break\n0. Back');
    expect((await dial.send('1')).screen).toBe('Choose language\n1. English\n2. Kiswahili\n0. Back');
    expect((await dial.send('2')).screen).toBe(
      'Lugha imehifadhiwa.\nAkaunti yangu\n1. Lugha\n2. Vikomo vya siku\n3. Pumzika\n0. Rudi',
    );
    expect(world.calls.find((c) => c.method === 'setLanguage')?.args).toEqual([1, 'sw']);
    expect((await dial.send('00')).screen.split('\n')[0]).toBe('Menyu kuu');
    expect((await dial.send('1')).screen).toBe('Chagua mchezo\n1. Soka\n2. Mpira wa kikapu\n3. Tenisi\n0. Rudi');
    expect((await dial.send('1', '1', '1')).screen).toBe(
      'Nairobi FC v Mombasa Utd\nMatokeo ya mechi\n1. Nairobi FC 2.10\n2. Sare 3.40\n3. Mombasa Utd 3.05\n0. Rudi',
    );
    expect((await dial.send('x')).screen.split('\n')[0]).toBe('Chaguo si sahihi. Jaribu tena.');

    const next = dialWith(services);
    expect((await next.start()).screen.split('\n')[0]).toBe('Menyu kuu');
  });
});

describe('daily limits', () => {
  it('sets a deposit limit and removes a stake limit with 0', async () => {
    const world = defaultWorld();
    world.players.set('254700000001', player({ dailyStakeLimit: 100_000 }));
    const { dial } = setup(world);
    await dial.start();
    expect((await dial.send('6', '2')).screen).toBe(
      'Daily limits\nDeposit limit: none\nStake limit: KES 1,000.00\n1. Change deposit limit\n2. Change stake limit\n0. Back',
    );
    expect((await dial.send('1')).screen).toBe('Enter your daily deposit limit in KES, or 0 to remove it.\n00. Main menu');
    expect((await dial.send('abc')).screen.split('\n')[0]).toBe('Invalid amount. Try again.');
    expect((await dial.send('500')).screen).toBe(
      'Limit saved.\nDaily limits\nDeposit limit: KES 500.00\nStake limit: KES 1,000.00\n1. Change deposit limit\n2. Change stake limit\n0. Back',
    );
    expect((await dial.send('2', '0')).screen.split('\n').slice(0, 4)).toEqual([
      'Limit removed.',
      'Daily limits',
      'Deposit limit: KES 500.00',
      'Stake limit: none',
    ]);
    expect(world.calls.filter((c) => c.method === 'setLimits').map((c) => c.args)).toEqual([
      [1, { deposit: 50_000 }],
      [1, { stake: null }],
    ]);
  });

  it('leaves the limit screen for the main menu with 00', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send('6', '2', '2', '00');
    expect(dial.state).toBe('main');
    expect(world.calls.some((c) => c.method === 'setLimits')).toBe(false);
  });
});

describe('taking a break', () => {
  it('confirms, excludes the player and ends with the date they can bet again', async () => {
    const { dial, world } = setup();
    await dial.start();
    expect((await dial.send('6', '3')).screen).toBe('Take a break from betting for:\n1. 1 day\n2. 7 days\n3. 30 days\n0. Back');
    expect((await dial.send('2')).screen).toBe(
      'You will not be able to bet or deposit for 7 days. This cannot be undone.\n1. Confirm\n2. Cancel\n0. Back',
    );
    expect(await dial.send('1')).toEqual({
      kind: 'END',
      screen: 'Your break has started. You can bet again after 17/03/2026 14:00. Take care.',
    });
    expect(world.calls.find((c) => c.method === 'selfExclude')?.args).toEqual([1, 7]);
  });

  it('can be cancelled at the confirmation', async () => {
    const { dial, world } = setup();
    await dial.start();
    expect((await dial.send('6', '3', '3', '2')).screen.split('\n').slice(0, 2)).toEqual(['Cancelled.', 'My account']);
    expect(world.calls.some((c) => c.method === 'selfExclude')).toBe(false);
  });
});

describe('a self-excluded player', () => {
  const excludedWorld = (until: string) => {
    const world = defaultWorld();
    world.players.set('254700000001', player({ excludedUntil: until }));
    return world;
  };

  it('sees only balance, withdraw and exit, with the end of the break', async () => {
    const { dial } = setup(excludedWorld('2026-03-17T11:00:00.000Z'));
    expect(await dial.start()).toEqual({
      kind: 'CON',
      screen: 'You are on a break until 17/03/2026 14:00.\n2. Balance\n5. Withdraw\n0. Exit',
    });
    for (const hidden of ['1', '3', '4', '6']) {
      expect((await dial.send(hidden)).screen.split('\n')[0]).toBe('Invalid choice. Try again.');
      expect(dial.state).toBe('main');
    }
    await dial.send('2');
    expect(dial.state).toBe('balance.shown');
    await dial.send('0', '5');
    expect(dial.state).toBe('withdraw.amount');
  });

  it('gets the full menu back once the break is over', async () => {
    const { dial } = setup(excludedWorld('2026-03-09T11:00:00.000Z'));
    expect((await dial.start()).screen.split('\n')[0]).toBe('Main menu');
  });
});
