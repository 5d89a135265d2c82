import { createActor, waitFor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { menuMachine } from '../../src/menus/menu-machine.ts';
import type { MenuServices } from '../../src/menus/services.ts';
import { dialWith } from './dial.ts';
import { defaultWorld, fakeServices, LIMITS, NOW } from './fake-menu-services.ts';

const BUSY = { kind: 'END', screen: 'Service busy, please try again shortly.' };

const withBets = () => {
  const world = defaultWorld();
  world.bets = [{ id: 1, reference: 'B1', stake: 100, potentialPayout: 200, state: 'open', payout: null, legs: 1, placedAt: NOW }];
  return world;
};

/** the service call, and the keys that lead to it from the main menu (a new number for register) */
const CASES: { method: keyof MenuServices; path: string[]; phone?: string; world?: typeof withBets }[] = [
  { method: 'findPlayer', path: [] },
  { method: 'register', path: ['1'], phone: '254799999999' },
  { method: 'balance', path: ['2'] },
  { method: 'upcomingEvents', path: ['1', '1'] },
  { method: 'eventMarkets', path: ['1', '1', '1'] },
  { method: 'quoteBet', path: ['1', '1', '1', '1', '1', '2', '100'] },
  { method: 'placeBet', path: ['1', '1', '1', '1', '1', '2', '100', '1'] },
  { method: 'recentBets', path: ['3'] },
  { method: 'betLegs', path: ['3', '1'], world: withBets },
  { method: 'depositPreview', path: ['4', '100'] },
  { method: 'startDeposit', path: ['4', '100', '1'] },
  { method: 'withdrawalPreview', path: ['5', '100'] },
  { method: 'requestWithdrawal', path: ['5', '100', '1'] },
  { method: 'setLanguage', path: ['6', '1', '2'] },
  { method: 'setLimits', path: ['6', '2', '1', '500'] },
  { method: 'selfExclude', path: ['6', '3', '1', '1'] },
];

describe('a service that throws', () => {
  for (const c of CASES) {
    it(`${c.method}: ends the session with the busy screen and nothing else`, async () => {
      const services = fakeServices(c.world?.());
      const errors: unknown[] = [];
      const dial = dialWith(services, { onError: (err) => errors.push(err) }, c.phone === undefined ? {} : { phone: c.phone });
      if (c.path.length === 0) services.world.failing.add(c.method);
      await dial.start();
      const last = c.path.at(-1);
      if (last !== undefined) {
        if (c.path.length > 1) await dial.send(...c.path.slice(0, -1));
        services.world.failing.add(c.method);
        await dial.send(last);
      }
      expect(dial.last?.reply).toEqual(BUSY);
      expect(dial.state).toBe('busy');
      expect(dial.resumable).toBeNull();
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toContain(`fake ${c.method} failed`);
      // a replay of the saved END shows it again
      expect(await dial.batch('1')).toEqual(BUSY);
    });
  }

  it('answers busy when a service takes longer than the hop allows', async () => {
    const services = fakeServices();
    const slow: MenuServices = { ...services, balance: () => new Promise(() => undefined) };
    const errors: unknown[] = [];
    const dial = dialWith(slow, { hopTimeoutMs: 50, onError: (e) => errors.push(e) });
    await dial.start();
    const started = Date.now();
    expect(await dial.send('2')).toEqual(BUSY);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(errors).toHaveLength(1);
  });

  it('answers busy for a snapshot it cannot restore', async () => {
    const dial = dialWith(fakeServices());
    await dial.start();
    for (const junk of [{ status: 'active', value: 'nowhere', context: {} }, { status: 'active', value: 'main', context: { lang: 'fr' } }, null, 'x']) {
      const reply = await dial.conversation.advance(junk, ['1'], dial.ctx);
      expect(reply.reply).toEqual(BUSY);
      expect(reply.state).toBe('busy');
    }
  });

  it('answers busy for a live session whose snapshot was saved with the flat context of the previous release', async () => {
    // from the slip the next screen would trip over the missing groups; "0" on the main menu would say goodbye
    for (const { path, input } of [
      { path: ['1', '1', '1', '1', '1'], input: '2' },
      { path: [], input: '0' },
    ]) {
      const dial = dialWith(fakeServices());
      await dial.start();
      if (path.length > 0) await dial.send(...path);
      const saved = structuredClone(dial.last!.snapshot) as { context: Record<string, unknown> };
      const { betting, statement, payments, account, ...top } = saved.context as Record<string, Record<string, unknown>>;
      saved.context = { ...top, ...betting, ...statement, ...payments, ...account };
      const reply = await dial.conversation.advance(saved, [input], dial.ctx);
      expect(reply.reply).toEqual(BUSY);
      expect(reply.state).toBe('busy');
    }
  });

  it('answers busy in Swahili for a Swahili speaker', async () => {
    const world = defaultWorld();
    world.players.get('254700000001')!.language = 'sw';
    const services = fakeServices(world);
    const dial = dialWith(services);
    await dial.start();
    services.world.failing.add('balance');
    expect(await dial.send('2')).toEqual({ kind: 'END', screen: 'Huduma ina shughuli nyingi, tafadhali jaribu tena baadaye.' });
  });
});

describe('the bare machine', () => {
  it('goes to the busy screen rather than guessing when no services are bound', async () => {
    const actor = createActor(menuMachine, {
      input: {
        sessionId: 's',
        phone: '254700000001',
        settings: { maxChars: 160, limits: LIMITS, termsUrl: 'x', supportPhone: '' },
        resume: null,
      },
    }).start();
    const done = await waitFor(actor, (s) => s.status === 'done', { timeout: 1_000 });
    expect(done.value).toBe('busy');
  });
});
