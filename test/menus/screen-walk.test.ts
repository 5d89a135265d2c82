import { describe, expect, it } from 'vitest';
import type { HopContext, HopOutcome } from '../../src/menus/conversation.ts';
import { gsm7Length, isGsm7 } from '../../src/menus/gsm7.ts';
import { createMenuConversation } from '../../src/menus/menu-conversation.ts';
import type { Lang } from '../../src/menus/services.ts';
import { fakeServices } from './fake-menu-services.ts';
import { stressWorld } from './stress-world.ts';

/**
 * A bounded breadth-first walk over the whole menu graph from the first dial, pressing every key a player might,
 * against a world built to stress the screens: long team names, many matches and many bets. Every screen reached
 * must be GSM-7 and fit the limit, and nothing may read "undefined" or "NaN".
 */
const KEYS = ['', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '00', '98', 'x', '100', '99999999'];
/** screens expanded per state: enough for every page of each list, few enough to end in seconds */
const PER_STATE = 12;
const MAX_SCREENS = 2000;
const MAX_MS = 8_000;
const TEST_TIMEOUT = 60_000;

async function walk(opts: { lang: Lang; maxChars: number; phone: string }) {
  const services = fakeServices(stressWorld(opts.lang));
  const conversation = createMenuConversation(services, {
    maxChars: opts.maxChars,
    termsUrl: 'www.example.co.ke/terms',
    supportPhone: '0700 000 000',
  });
  const ctx: HopContext = { sessionId: 'walk', phone: opts.phone, network: '63902' };
  const started = Date.now();
  const seen = new Set<string>();
  const expanded = new Map<string, number>();
  const problems: string[] = [];
  const states = new Set<string>();
  const check = (o: HopOutcome, path: string[]) => {
    const { screen } = o.reply;
    states.add(o.state);
    const where = `${o.state} after [${path.join(',')}]`;
    if (!isGsm7(screen)) problems.push(`not GSM-7 at ${where}: ${screen}`);
    if (gsm7Length(screen) > opts.maxChars) problems.push(`${gsm7Length(screen)} septets at ${where}:\n${screen}`);
    if (/undefined|NaN|null|\[object/.test(screen)) problems.push(`leaked value at ${where}: ${screen}`);
    if (screen.trim() === '') problems.push(`empty screen at ${where}`);
    if (o.state === 'busy') problems.push(`busy at ${where}`);
  };

  const first = await conversation.start(ctx, null);
  check(first, []);
  const queue: { outcome: HopOutcome; path: string[] }[] = [{ outcome: first, path: [] }];
  seen.add(`${first.state}\n${first.reply.screen}`);
  while (queue.length > 0 && seen.size < MAX_SCREENS && Date.now() - started < MAX_MS) {
    const { outcome, path } = queue.shift()!;
    if (outcome.reply.kind === 'END') continue;
    for (const key of KEYS) {
      const snapshot = JSON.parse(JSON.stringify(outcome.snapshot)) as unknown;
      const next = await conversation.advance(snapshot, [key], ctx);
      check(next, [...path, key]);
      const id = `${next.state}\n${next.reply.screen}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const n = expanded.get(next.state) ?? 0;
      if (n >= PER_STATE) continue;
      expanded.set(next.state, n + 1);
      queue.push({ outcome: next, path: [...path, key] });
    }
  }
  return { problems, screens: seen.size, states };
}

describe('every screen reachable from the first dial fits a feature phone', () => {
  // the configuration allows 70 to 182: the extremes must still work, even if cramped
  for (const maxChars of [70, 182]) {
    it(`en and sw, ${maxChars} septets, registered player`, async () => {
      for (const lang of ['en', 'sw'] as const) {
        const { problems } = await walk({ lang, maxChars, phone: '254700000001' });
        expect(problems).toEqual([]);
      }
    }, TEST_TIMEOUT);
  }

  for (const maxChars of [160, 120]) {
    for (const lang of ['en', 'sw'] as const) {
      it(`${lang}, ${maxChars} septets, registered player`, async () => {
        const { problems, screens, states } = await walk({ lang, maxChars, phone: '254700000001' });
        expect(problems).toEqual([]);
        expect(screens).toBeGreaterThan(100);
        for (const s of ['main', 'bet.events', 'bet.outcomes', 'bet.confirm', 'myBets.detail', 'deposit.confirm', 'withdraw.confirm', 'account.limits']) {
          expect(states).toContain(s);
        }
      }, TEST_TIMEOUT);
    }
    it(`new number, ${maxChars} septets, both languages from the terms screen`, async () => {
      const { problems, states } = await walk({ lang: 'en', maxChars, phone: '254799999999' });
      expect(problems).toEqual([]);
      expect(states).toContain('terms');
      expect(states).toContain('declined');
    }, TEST_TIMEOUT);
  }
});
