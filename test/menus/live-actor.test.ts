/**
 * A hop that brings back the very snapshot object the previous hop handed out (the session store keeps the record it
 * committed) continues that hop's live actor instead of restoring the machine from the snapshot. These tests hold the
 * two ways to the same answers: every flow gives the same screens, states and persisted snapshots whether the
 * snapshot went through JSON between hops (restored) or not (continued), and a hop that failed or is repeated never
 * continues an actor that moved on.
 */
import { createActor, type SnapshotFrom } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { HopContext, HopOutcome } from '../../src/menus/conversation.ts';
import { createMenuConversation, persistedAtRest } from '../../src/menus/menu-conversation.ts';
import { menuMachine } from '../../src/menus/menu-machine.ts';
import type { MenuServices } from '../../src/menus/services.ts';
import { deepFreeze } from '../../src/sessions/recent-records.ts';
import { defaultWorld, fakeServices, LIMITS, NOW } from './fake-menu-services.ts';

const CTX: HopContext = { sessionId: 'ATUid_live', phone: '254700000001', network: '63902' };
/** only read by a new actor; these tests restore */
const INPUT = {
  sessionId: CTX.sessionId,
  phone: CTX.phone,
  resume: null,
  settings: { maxChars: 160, limits: LIMITS, termsUrl: 'www.example.co.ke/terms', supportPhone: '' },
};

const withBets = () => {
  const world = defaultWorld();
  world.bets = [{ id: 1, reference: 'B1', stake: 100, potentialPayout: 200, state: 'open', payout: null, legs: 1, placedAt: NOW }];
  return world;
};

/** whole sessions, one input per hop, through every part of the menu */
const FLOWS: Record<string, string[]> = {
  bet: ['1', '1', '1', '1', '1', '2', '100', '1'],
  multibet: ['1', '1', '1', '1', '1', '1', '1', '2', '1', '2', '2', '50', '1'],
  'bet, back and main menu': ['1', '1', '0', '1', '1', '0', '00', '2'],
  'event list pages': ['1', '1', '98', '98', '0', '0', '0', '3'],
  balance: ['2'],
  'my bets': ['3', '1', '0', '0'],
  deposit: ['4', '5', '100', '1'],
  withdraw: ['5', '100', '1'],
  account: ['6', '1', '2', '2', '1', '500', '0', '3', '1', '1'],
  typos: ['x', '9', '1', 'zz', '00', '2'],
};

async function walk(services: MenuServices, inputs: string[], carry: 'json' | 'object'): Promise<HopOutcome[]> {
  const conversation = createMenuConversation(services, { maxChars: 160 });
  const keep = (o: HopOutcome) => (carry === 'json' ? (JSON.parse(JSON.stringify(o)) as HopOutcome) : deepFreeze(o)); // as the store keeps it
  const outcomes = [keep(await conversation.start(CTX, null))];
  for (const input of inputs) {
    const last = outcomes.at(-1)!;
    if (last.reply.kind === 'END') break;
    outcomes.push(keep(await conversation.advance(last.snapshot, [input], CTX)));
  }
  return outcomes;
}

describe('a hop that brings back the snapshot object of the hop before', () => {
  for (const [name, inputs] of Object.entries(FLOWS)) {
    it(`${name}: the same screens, states and snapshots as restoring from JSON`, async () => {
      const restored = await walk(fakeServices(withBets()), inputs, 'json');
      const continued = await walk(fakeServices(withBets()), inputs, 'object');
      expect(continued.length).toBe(inputs.length + 1);
      expect(JSON.parse(JSON.stringify(continued))).toEqual(restored);
      // the persisted form is XState's own: restoring it and persisting again with XState gives it back
      for (const outcome of continued) {
        const actor = createActor(menuMachine, { snapshot: outcome.snapshot as SnapshotFrom<typeof menuMachine>, input: INPUT });
        expect(actor.getPersistedSnapshot()).toEqual(outcome.snapshot);
      }
    });
  }

  it('persists a snapshot with children or history through XState', () => {
    const xstate = { getPersistedSnapshot: () => ({ persistedBy: 'xstate' }) };
    const base = { status: 'active', output: undefined, error: undefined, value: 'home', context: {} };
    const withChild = { ...base, children: { loadBalance: {} }, historyValue: {} };
    const withHistory = { ...base, children: {}, historyValue: { 'menu.hist': [] } };
    const plain = { ...base, children: {}, historyValue: {} };
    type Snap = Parameters<typeof persistedAtRest>[0];
    expect(persistedAtRest(withChild as unknown as Snap, xstate)).toEqual({ persistedBy: 'xstate' });
    expect(persistedAtRest(withHistory as unknown as Snap, xstate)).toEqual({ persistedBy: 'xstate' });
    expect(persistedAtRest(plain as unknown as Snap, xstate)).toEqual(plain);
  });

  it('is answered the same again when it is repeated (a retry after its commit failed)', async () => {
    const services = fakeServices();
    const conversation = createMenuConversation(services, { maxChars: 160 });
    let out = await conversation.start(CTX, null);
    for (const input of ['1', '1', '1']) out = await conversation.advance(out.snapshot, [input], CTX);
    const onMarkets = out.snapshot;
    const first = await conversation.advance(onMarkets, ['1'], CTX);
    const again = await conversation.advance(onMarkets, ['1'], CTX);
    expect(again).toEqual(first);
    expect(again.reply.screen).toMatch(/Home|Draw/);
    // and the first answer's own snapshot still continues from where it was
    const next = await conversation.advance(first.snapshot, ['0'], CTX);
    expect(next.state).toBe(out.state);
  });

  it('after a hop that failed, restores the snapshot instead of continuing the failed actor', async () => {
    const services = fakeServices();
    const errors: unknown[] = [];
    const conversation = createMenuConversation(services, { maxChars: 160, onError: (e) => errors.push(e) });
    const home = await conversation.start(CTX, null);
    const balance = services.balance;
    services.balance = () => Promise.reject(new Error('database down'));
    const failed = await conversation.advance(home.snapshot, ['2'], CTX);
    expect(failed.reply.screen).toBe('Service busy, please try again shortly.');
    expect(errors).toHaveLength(1);
    services.balance = balance;
    // the failed hop was never saved: its retry brings the same snapshot object back
    const retried = await conversation.advance(home.snapshot, ['2'], CTX);
    expect(retried.reply.screen).toMatch(/^Balance: KES/);
  });
});
