import { describe, expect, it } from 'vitest';
import { fail } from '../../src/core/outcome.ts';
import { CON_SCREENS } from '../../src/menus/screens.ts';
import type { MenuServices } from '../../src/menus/services.ts';
import { dialWith, setup, type Dial } from './dial.ts';
import { defaultWorld, fakeServices, NOW, player, type FakeWorld } from './fake-menu-services.ts';

const INVALID = 'Invalid choice. Try again.';
const BAD_AMOUNT = 'Invalid amount. Try again.';
const SINGLE_BET_CONFIRM = ['1', '1', '1', '1', '1', '2', '100'];

const leg = {
  eventId: 101,
  sport: 'football' as const,
  home: 'Nairobi FC',
  away: 'Mombasa Utd',
  kickoffAt: '2026-03-10T11:32:00.000Z',
  outcomeId: 1000,
  market: '1X2',
  pick: '1',
  line: null,
  odds: 210,
};

describe('back, main menu and more', () => {
  it('"0" steps back one screen at a time through the bet flow', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send(...SINGLE_BET_CONFIRM);
    const trail: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      await dial.send('0');
      trail.push(dial.state);
    }
    expect(trail).toEqual(['bet.stake', 'bet.slip', 'bet.sports', 'main', 'goodbye']);
    expect(dial.kind).toBe('END');
  });

  it('"0" goes from outcomes to markets to matches to sports', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send('1', '1', '1', '1');
    const trail: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      await dial.send('0');
      trail.push(dial.state);
    }
    expect(trail).toEqual(['bet.markets', 'bet.events', 'bet.sports', 'main']);
  });

  it('"00" goes to the main menu from deep in a flow and keeps the slip', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send(...SINGLE_BET_CONFIRM);
    expect((await dial.send('00')).screen.split('\n')[0]).toBe('Main menu');
    expect(dial.resumable).toEqual({ kind: 'bet', selections: [leg], stake: 10_000 });
    expect((await dial.send('1')).screen).toContain('4. My slip (1)');
    expect((await dial.send('4')).screen.split('\n')[0]).toBe('Slip: 1 match, odds 2.10');
  });

  it('"98" pages a long list of matches and "0" pages back before leaving', async () => {
    const world = defaultWorld();
    world.events = Array.from({ length: 12 }, (_, i) => ({
      id: 700 + i,
      sport: 'football' as const,
      home: `Home Team ${i + 1}`,
      away: `Away Team ${i + 1}`,
      kickoffAt: new Date(Date.parse(NOW) + (i + 1) * 60_000).toISOString(),
    }));
    const { dial } = setup(world);
    await dial.start();
    const first = await dial.send('1', '1');
    expect(first.screen.split('\n')).toEqual([
      'Football: choose a match',
      '1. Home Team 1 v Away Team 1 14:01',
      '2. Home Team 2 v Away Team 2 14:02',
      '3. Home Team 3 v Away Team 3 14:03',
      '98. More',
      '0. Back',
    ]);
    const second = await dial.send('98');
    expect(second.screen.split('\n')[1]).toBe('4. Home Team 4 v Away Team 4 14:04');
    await dial.send('98', '98');
    expect(dial.screen).toContain('12. Home Team 12 v Away Team 12 14:12');
    expect(dial.screen).not.toContain('98. More');
    expect((await dial.send('98')).screen.split('\n')[0]).toBe(INVALID);
    await dial.send('0', '0', '0');
    expect(dial.screen).toBe(first.screen);
    await dial.send('0');
    expect(dial.state).toBe('bet.sports');
    expect((await dial.send('1', '98', '5')).screen.split('\n')[0]).toBe('Home Team 5 v Away Team 5 14:05');
  });

  it('ignores inputs after an END in the same batch and shows the END again if advanced', async () => {
    const { dial } = setup();
    await dial.start();
    expect(await dial.batch('0', '1', '1')).toEqual({ kind: 'END', screen: 'Thank you for playing. Goodbye.' });
    expect(await dial.batch('1')).toEqual({ kind: 'END', screen: 'Thank you for playing. Goodbye.' });
  });

  it('takes a batch of inputs in one hop (a shortcut dial)', async () => {
    const { dial } = setup();
    await dial.start();
    expect((await dial.batch('1', '1', '1')).screen.split('\n')[0]).toBe('Nairobi FC v Mombasa Utd 14:32');
    expect(dial.state).toBe('bet.markets');
  });
});

/** how to reach every CON screen, and the hint a wrong key gets there */
interface Reach {
  screen: string;
  path: string[];
  world?: (w: FakeWorld) => void;
  before?: (w: FakeWorld) => void;
  phone?: string;
  resume?: unknown;
  hint?: string;
}

const withBets = (w: FakeWorld) => {
  w.bets = [{ id: 1, reference: 'B1', stake: 100, potentialPayout: 200, state: 'open', payout: null, legs: 1, placedAt: NOW }];
  w.legs.set(1, [{ home: 'A', away: 'B', market: '1X2', pick: '1', line: null, odds: 200, result: null, score: null }]);
};

const REACH: Reach[] = [
  { screen: 'terms', path: [], phone: '254799999999' },
  { screen: 'resume', path: [], resume: { kind: 'deposit', amount: 10_000 } },
  { screen: 'main', path: [] },
  { screen: 'bet.sports', path: ['1'] },
  { screen: 'bet.events', path: ['1', '1'] },
  { screen: 'bet.markets', path: ['1', '1', '1'] },
  { screen: 'bet.outcomes', path: ['1', '1', '1', '1'] },
  { screen: 'bet.slip', path: ['1', '1', '1', '1', '1'] },
  { screen: 'bet.stake', path: ['1', '1', '1', '1', '1', '2'], hint: BAD_AMOUNT },
  { screen: 'bet.confirm', path: SINGLE_BET_CONFIRM },
  { screen: 'bet.closed', path: [...SINGLE_BET_CONFIRM, '1'], before: (w) => w.placements.push(fail('event_closed', [101])) },
  { screen: 'bet.noFunds', path: [...SINGLE_BET_CONFIRM, '1'], world: (w) => w.balances.set(1, 0) },
  { screen: 'bet.refused', path: [...SINGLE_BET_CONFIRM, '1'], before: (w) => w.placements.push(fail('daily_stake_limit')) },
  { screen: 'balance.shown', path: ['2'] },
  { screen: 'myBets.list', path: ['3'], world: withBets },
  { screen: 'myBets.detail', path: ['3', '1'], world: withBets },
  { screen: 'deposit.amount', path: ['4'], hint: BAD_AMOUNT },
  { screen: 'deposit.confirm', path: ['4', '100'] },
  { screen: 'deposit.refused', path: ['4', '100', '1'], before: (w) => w.depositRefusals.push('payments_busy') },
  { screen: 'withdraw.amount', path: ['5'], hint: BAD_AMOUNT },
  { screen: 'withdraw.confirm', path: ['5', '200'] },
  { screen: 'withdraw.noFunds', path: ['5', '5000', '1'] },
  { screen: 'withdraw.refused', path: ['5', '200', '1'], before: (w) => w.withdrawalRefusals.push('payments_unavailable') },
  { screen: 'account.menu', path: ['6'] },
  { screen: 'account.language', path: ['6', '1'] },
  { screen: 'account.limits', path: ['6', '2'] },
  { screen: 'account.limitAmount', path: ['6', '2', '1'], hint: BAD_AMOUNT },
  { screen: 'account.breakMenu', path: ['6', '3'] },
  { screen: 'account.breakConfirm', path: ['6', '3', '1'] },
];

async function reach(r: Reach): Promise<{ dial: Dial; services: MenuServices & { world: FakeWorld } }> {
  const world = defaultWorld();
  r.world?.(world);
  const services = fakeServices(world);
  const dial = dialWith(services, {}, r.phone === undefined ? {} : { phone: r.phone });
  await dial.start(r.resume ?? null);
  const path = [...r.path];
  const last = path.pop();
  if (path.length > 0) await dial.send(...path);
  r.before?.(world);
  if (last !== undefined) await dial.send(last);
  return { dial, services };
}

describe('a wrong key never ends the session', () => {
  it('covers every CON screen', () => {
    expect(REACH.map((r) => r.screen).sort()).toEqual([...CON_SCREENS].sort());
  });

  for (const r of REACH) {
    it(`re-shows ${r.screen} with a one-line hint`, async () => {
      const { dial } = await reach(r);
      expect(dial.state).toBe(r.screen);
      const shown = dial.screen;
      const wrongKeys = r.hint === BAD_AMOUNT ? ['x', '', '#', '*1', '1.2.3'] : ['x', '', '77', '#', '*1'];
      for (const wrong of wrongKeys) {
        const again = await dial.send(wrong);
        expect(again.kind).toBe('CON');
        expect(dial.state).toBe(r.screen);
        const [hint, ...rest] = again.screen.split('\n');
        expect(hint).toBe(r.hint ?? INVALID);
        // the screen under the hint is the same one (it may page sooner to make room for the hint)
        expect(shown.startsWith(rest.slice(0, 1).join(''))).toBe(true);
      }
    });
  }
});

describe('resuming a dropped session', () => {
  it('offers a half-finished bet and continues to its confirmation', async () => {
    const { dial, world } = setup();
    const offer = await dial.start({ kind: 'bet', selections: [leg], stake: 10_000 });
    expect(offer).toEqual({
      kind: 'CON',
      screen: 'Continue where you left off?\nBet slip: 1 match, stake KES 100.00\n1. Continue\n2. Start again',
    });
    expect(dial.state).toBe('resume');
    expect(dial.resumable).toEqual({ kind: 'bet', selections: [leg], stake: 10_000 });
    const confirm = await dial.send('1');
    expect(confirm.screen).toBe(
      'Confirm bet: 1 match\nStake KES 100.00\nTotal odds 2.10\nPossible win KES 210.00\n1. Confirm\n2. Cancel\n0. Back',
    );
    await dial.send('1');
    expect(world.bets).toHaveLength(1);
  });

  it('continues a slip without a stake at the stake screen', async () => {
    const { dial } = setup();
    await dial.start({ kind: 'bet', selections: [leg], stake: null });
    await dial.send('1');
    expect(dial.state).toBe('bet.stake');
    expect((await dial.send('0')).screen.split('\n')[0]).toBe('Slip: 1 match, odds 2.10');
  });

  it('continues a deposit at its confirmation', async () => {
    const { dial } = setup();
    const offer = await dial.start({ kind: 'deposit', amount: 25_000 });
    expect(offer.screen).toBe('Continue where you left off?\nDeposit of KES 250.00\n1. Continue\n2. Start again');
    expect((await dial.send('1')).screen).toBe(
      'Deposit KES 250.00\nExcise duty KES 12.50\nTo your wallet KES 237.50\n1. Confirm\n2. Cancel\n0. Back',
    );
  });

  it('starts again at the main menu and drops the offer', async () => {
    const { dial } = setup();
    await dial.start({ kind: 'bet', selections: [leg], stake: 10_000 });
    expect((await dial.send('2')).screen.split('\n')[0]).toBe('Main menu');
    expect(dial.resumable).toBeNull();
    expect((await dial.send('1')).screen).not.toContain('My slip');
  });

  it('ignores a resume value it does not recognise', async () => {
    const { dial } = setup();
    await dial.start({ kind: 'bet', selections: 'nonsense' });
    expect(dial.state).toBe('main');
  });

  it('does not offer a resume to a new number or a player on a break', async () => {
    const fresh = dialWith(fakeServices(), {}, { phone: '254799999999' });
    await fresh.start({ kind: 'deposit', amount: 10_000 });
    expect(fresh.state).toBe('terms');
    const world = defaultWorld();
    world.players.set('254700000001', player({ excludedUntil: '2026-04-01T00:00:00.000Z' }));
    const { dial } = setup(world);
    await dial.start({ kind: 'deposit', amount: 10_000 });
    expect(dial.state).toBe('main');
    expect(dial.resumable).toBeNull();
  });
});

describe('the persisted snapshot', () => {
  it('restores without re-running the work that led to the screen', async () => {
    const { dial, world } = setup();
    await dial.start();
    await dial.send('1', '1');
    const before = world.calls.length;
    const { snapshot } = dial.last!;
    // restoring the matches screen and going back re-fetches nothing
    const back = await dial.conversation.advance(JSON.parse(JSON.stringify(snapshot)), ['0'], dial.ctx);
    expect(back.state).toBe('bet.sports');
    expect(world.calls.length).toBe(before);
    expect(world.calls.filter((c) => c.method === 'findPlayer')).toHaveLength(1);
  });

  it('is never saved with work in flight', async () => {
    const { dial } = setup();
    await dial.start();
    await dial.send(...SINGLE_BET_CONFIRM);
    const snap = dial.last!.snapshot as { children: Record<string, unknown>; status: string };
    expect(snap.status).toBe('active');
    expect(snap.children).toEqual({});
  });
});
