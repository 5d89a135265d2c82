/**
 * A tiny stand-in for the menu conversation, so the hop pipeline (locking, retries, batches, expiry, resume, failures)
 * is tested without the real machine. Screens:
 *   home  "Welcome\n1. Bet\n2. Balance\n0. Exit"
 *   stake "Stake?" (any number: places a "bet" = one side effect keyed like a real bet, then END "Bet placed ...")
 *   balance END "Balance ..."
 * A resume offer is kept while a slip is half-done (on the stake screen).
 */
import type { Conversation, HopContext, HopOutcome } from '../../src/menus/conversation.ts';

interface Snap {
  screen: 'home' | 'stake' | 'done';
  /** the slip key is chosen when the slip starts, so a replayed confirm finds the same bet */
  slipKey: string | null;
  resumed: unknown;
}

export interface FakeConversation extends Conversation {
  calls: { op: 'start' | 'advance'; inputs: string[]; resume?: unknown }[];
  /** confirm attempts by slip key: money moves once per key (a replay with the same key is a duplicate, like the core) */
  bets: Map<string, number>;
  /** each call waits this long first (to make hops overlap) */
  delayMs: number;
  /** the next call throws this after its side effects (or before them with `failBefore`) */
  failNext: Error | null;
  failBefore: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function fakeConversation(): FakeConversation {
  const home = (snap: Snap, extra = ''): HopOutcome => ({
    snapshot: snap,
    reply: { kind: 'CON', screen: `${extra}Welcome\n1. Bet\n2. Balance\n0. Exit` },
    state: 'home',
    resumable: null,
  });
  const stake = (snap: Snap, hint = ''): HopOutcome => ({
    snapshot: snap,
    reply: { kind: 'CON', screen: `${hint}Stake?` },
    state: 'bet.stake',
    resumable: { slipKey: snap.slipKey },
  });

  const step = (snap: Snap, input: string, ctx: HopContext): HopOutcome => {
    if (snap.screen === 'home') {
      if (input === '1') {
        const next: Snap = { ...snap, screen: 'stake', slipKey: `${ctx.sessionId}:${fake.calls.length}` };
        return stake(next);
      }
      if (input === '2') return { snapshot: { ...snap, screen: 'done' }, reply: { kind: 'END', screen: 'Balance KES 0.00' }, state: 'balance', resumable: null };
      if (input === '0') return { snapshot: { ...snap, screen: 'done' }, reply: { kind: 'END', screen: 'Goodbye' }, state: 'exit', resumable: null };
      return home(snap, 'Invalid choice\n');
    }
    if (snap.screen === 'stake') {
      if (!/^\d+$/.test(input)) return stake(snap, 'Numbers only\n');
      const key = snap.slipKey!;
      fake.bets.set(key, (fake.bets.get(key) ?? 0) + 1);
      return {
        snapshot: { ...snap, screen: 'done' },
        reply: { kind: 'END', screen: `Bet placed: KES ${input} (${key})` },
        state: 'bet.placed',
        resumable: null,
      };
    }
    return { snapshot: snap, reply: { kind: 'END', screen: 'Goodbye' }, state: 'done', resumable: null };
  };

  const maybeFail = (before: boolean) => {
    if (fake.failNext && fake.failBefore === before) {
      const err = fake.failNext;
      fake.failNext = null;
      throw err;
    }
  };

  const fake: FakeConversation = {
    calls: [],
    bets: new Map(),
    delayMs: 0,
    failNext: null,
    failBefore: true,
    async start(ctx, resume) {
      fake.calls.push({ op: 'start', inputs: [], resume });
      if (fake.delayMs) await sleep(fake.delayMs);
      maybeFail(true);
      const snap: Snap = { screen: 'home', slipKey: null, resumed: resume };
      if (resume !== null && typeof resume === 'object' && 'slipKey' in resume) {
        return stake({ ...snap, screen: 'stake', slipKey: String((resume as { slipKey: unknown }).slipKey) }, 'Resumed\n');
      }
      return home(snap);
    },
    async advance(snapshot, inputs, ctx) {
      fake.calls.push({ op: 'advance', inputs: [...inputs] });
      if (fake.delayMs) await sleep(fake.delayMs);
      maybeFail(true);
      let outcome: HopOutcome = { snapshot, reply: { kind: 'CON', screen: '' }, state: '', resumable: null };
      let snap = snapshot as Snap;
      for (const input of inputs) {
        outcome = step(snap, input, ctx);
        snap = outcome.snapshot as Snap;
        if (outcome.reply.kind === 'END') break;
      }
      maybeFail(false);
      return outcome;
    },
  };
  return fake;
}
