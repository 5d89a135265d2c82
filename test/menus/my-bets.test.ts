import { describe, expect, it } from 'vitest';
import type { BetListItem } from '../../src/menus/services.ts';
import { setup } from './dial.ts';
import { defaultWorld, NOW } from './fake-menu-services.ts';

function worldWithBets() {
  const world = defaultWorld();
  const states: BetListItem['state'][] = ['open', 'won', 'lost', 'void', 'open', 'won', 'lost', 'rejected', 'open', 'lost'];
  world.bets = states.map((state, i) => ({
    id: i + 1,
    reference: `BK${i + 1}QX`,
    stake: (i + 1) * 10_000,
    potentialPayout: (i + 1) * 21_000,
    state,
    payout: state === 'won' ? (i + 1) * 21_000 : state === 'lost' ? 0 : null,
    legs: 2,
    placedAt: NOW,
  }));
  world.legs.set(2, [
    { home: 'Nairobi FC', away: 'Mombasa Utd', market: '1X2', pick: 'X', line: null, odds: 340, result: 'won', score: '1-1' },
    { home: 'Ulinzi Warriors', away: 'KPA', market: 'TOT', pick: 'OV', line: 209.5, odds: 190, result: 'won', score: '110-104' },
  ]);
  world.legs.set(9, [
    { home: 'Kisumu Stars', away: 'Nakuru City', market: 'BTTS', pick: 'GG', line: null, odds: 175, result: null, score: null },
  ]);
  return world;
}

describe('my bets', () => {
  it('pages through recent bets with 98 and back with 0, numbering on from page to page', async () => {
    const { dial } = setup(worldWithBets());
    await dial.start();
    const first = await dial.send('3');
    expect(first.screen).toBe(
      [
        'My bets',
        '1. BK1QX KES 100.00 Open',
        '2. BK2QX KES 200.00 Won KES 420.00',
        '3. BK3QX KES 300.00 Lost',
        '4. BK4QX KES 400.00 Void',
        '5. BK5QX KES 500.00 Open',
        '98. More',
        '0. Back',
      ].join('\n'),
    );
    const second = await dial.send('98');
    expect(second.screen.split('\n').slice(0, 2)).toEqual(['My bets', '6. BK6QX KES 600.00 Won KES 1,260.00']);
    expect(second.screen.split('\n').slice(-2)).toEqual(['10. BK10QX KES 1,000.00 Lost', '0. Back']);
    expect((await dial.send('98')).screen.split('\n')[0]).toBe('Invalid choice. Try again.');
    // a number from another page still picks that bet
    expect((await dial.send('2')).screen.split('\n')[0]).toBe('Bet BK2QX: Won KES 420.00');
    await dial.send('0', '98');
    expect(dial.screen.split('\n')[1]).toBe('6. BK6QX KES 600.00 Won KES 1,260.00');
    await dial.send('0');
    expect(dial.screen).toBe(first.screen);
    await dial.send('0');
    expect(dial.state).toBe('main');
  });

  it('opens a bet to show its legs, results, scores and payout, paged when long', async () => {
    const { dial } = setup(worldWithBets());
    await dial.start();
    await dial.send('3');
    expect(await dial.send('2')).toEqual({
      kind: 'CON',
      screen: [
        'Bet BK2QX: Won KES 420.00',
        'Nairobi FC v Mombasa Utd: Draw 3.40 Won 1-1',
        'Ulinzi Warriors v KPA: Over 209.5 1.90 Won 110-104',
        '98. More',
        '0. Back',
      ].join('\n'),
    });
    expect(dial.state).toBe('myBets.detail');
    expect((await dial.send('98')).screen).toBe('Bet BK2QX: Won KES 420.00\nStake KES 200.00, paid KES 420.00\n0. Back');
    await dial.send('0');
    expect(dial.state).toBe('myBets.detail');
    await dial.send('0');
    expect(dial.state).toBe('myBets.list');
  });

  it('shows an open leg as pending with the possible win', async () => {
    const { dial } = setup(worldWithBets());
    await dial.start();
    await dial.send('3', '98');
    expect((await dial.send('9')).screen).toBe(
      'Bet BK9QX: Open\nKisumu Stars v Nakuru City: Both score: Yes 1.75 Pending\nStake KES 900.00, possible win KES 1,890.00\n0. Back',
    );
  });

  it('says so when there are no bets yet', async () => {
    const { dial } = setup();
    await dial.start();
    expect((await dial.send('3')).screen).toBe('My bets\nYou have no bets yet.\n0. Back');
    expect((await dial.send('1')).screen.split('\n')[0]).toBe('Invalid choice. Try again.');
  });
});
