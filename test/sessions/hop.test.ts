import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UssdRequest } from '../../src/adapters/telco/ussd.ts';
import {
  BUSY_REPLY,
  STILL_WORKING_REPLY,
  decodeReply,
  encodeReply,
  handleHop,
  readInputs,
  type HopDeps,
  type HopSessionRecord,
} from '../../src/sessions/hop.ts';
import { MemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import type { SessionStore } from '../../src/sessions/session-store.ts';
import { testClock, type TestClock } from '../support/core.ts';
import { fakeConversation, type FakeConversation } from './hop-fake-conversation.ts';
import { hop as hopRecord, rowsOf } from './session-store.contract.ts';

const REDIS_URL = process.env.REDIS_URL;

function captureLogger(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { logger, lines };
}

let sessionSeq = 0;
const newSession = () => `ATUid_hop_${process.pid}_${++sessionSeq}_${randomUUID().slice(0, 8)}`;
const PHONE = '254712000001';
/** a phone that never has an offer, for reading a record without taking anything */
const NOBODY = '254700000000';

function hopReq(sessionId: string, text: string, phone = PHONE): UssdRequest {
  return {
    aggregator: 'africastalking',
    sessionId,
    serviceCode: '*290*290#',
    phone,
    network: '63902',
    inputs: text === '' ? [] : text.split('*'),
    rawText: text,
  };
}

describe('reading new inputs from AT text', () => {
  it.each([
    ['', '', { kind: 'retry' }],
    ['1*2', '1*2', { kind: 'retry' }],
    ['', '1', { kind: 'inputs', inputs: ['1'] }],
    ['1', '1*2', { kind: 'inputs', inputs: ['2'] }],
    ['1', '1*2*100', { kind: 'inputs', inputs: ['2', '100'] }],
    ['1', '1*', { kind: 'inputs', inputs: [''] }],
    ['1*2', '', { kind: 'stale' }],
    ['1*2', '1', { kind: 'stale' }],
    ['1*2', '1*3', { kind: 'diverged' }],
    ['1*2', '3*2*5', { kind: 'diverged' }],
  ])('last %j, now %j', (last, now, expected) => {
    expect(readInputs(last, now, now === '' ? [] : now.split('*'))).toEqual(expected);
  });

  it('keeps replies as CON/END bodies', () => {
    expect(encodeReply({ kind: 'CON', screen: 'a\nb' })).toBe('CON a\nb');
    expect(decodeReply('END Bye')).toEqual({ kind: 'END', screen: 'Bye' });
    expect(() => decodeReply('HELLO')).toThrow();
  });
});

interface StoreHarness {
  store: SessionStore;
  clock: TestClock;
  cleanup(): Promise<void>;
}

const stores: { name: string; make: () => Promise<StoreHarness> }[] = [
  {
    name: 'memory',
    make: async () => {
      const clock = testClock();
      const store = new MemorySessionStore({ now: () => clock().getTime() });
      return { store, clock, cleanup: () => store.close() };
    },
  },
];
if (REDIS_URL) {
  stores.push({
    name: 'redis',
    make: async () => {
      const clock = testClock();
      const prefix = `test:hop:${randomUUID()}:`;
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      const store = new RedisSessionStore(client, { prefix });
      return {
        store,
        clock,
        async cleanup() {
          const keys = await client.keys(`${prefix}*`);
          if (keys.length) await client.del(...keys);
          await store.close();
        },
      };
    },
  });
}

describe.each(stores)('the hop pipeline on the $name store', ({ make }) => {
  let h: StoreHarness;
  let conv: FakeConversation;
  let log: ReturnType<typeof captureLogger>;
  let deps: HopDeps;

  beforeEach(async () => {
    h = await make();
    conv = fakeConversation();
    log = captureLogger();
    deps = { store: h.store, conversation: conv, ttlSeconds: 180, clock: h.clock, logger: log.logger, resumeWindowSeconds: 120 };
  });
  afterEach(() => h.cleanup());

  const hop = (sid: string, text: string, phone?: string) => handleHop(deps, hopReq(sid, text, phone));
  const hopsOf = async (sid: string) => rowsOf(await h.store.readHops(1000)).filter((x) => x.session_id === sid);
  /** the session's record, read under its lock without changing anything */
  const recordOf = async (sid: string) => {
    const s = await h.store.open(sid, NOBODY);
    await s!.release();
    return s!.record as HopSessionRecord | null;
  };
  /** the phone's offer as its next session would find it, left in place */
  const offerOf = async (phone: string) => {
    const s = await h.store.open(newSession(), phone);
    await s!.release();
    return s!.resume;
  };
  /** takes the phone's offer away, as a new session of the phone that finished a hop would */
  const takeOffer = async (phone: string) => {
    const sid = newSession();
    const s = await h.store.open(sid, phone);
    const ended = { snapshot: null, lastText: '', lastReply: 'END x', seq: 1, ended: true, phone, updatedAt: 0 };
    const logged = { sessionId: sid, seq: 1, phone, network: '', serviceCode: '', text: '', input: '', reply: 'END x', state: '', latencyMs: 0, at: 0 };
    await s!.commit(ended, logged, 180);
    return s!.resume;
  };

  it('starts a conversation on the first hop and saves the record with its hop log entry', async () => {
    const sid = newSession();
    const reply = await hop(sid, '');
    expect(reply).toEqual({ kind: 'CON', screen: 'Welcome\n1. Bet\n2. Balance\n0. Exit' });
    const record = await recordOf(sid);
    expect(record).toMatchObject({ lastText: '', lastReply: `CON ${reply.screen}`, seq: 1, ended: false, phone: PHONE, state: 'home' });
    const [entry] = await hopsOf(sid);
    expect(entry).toMatchObject({
      session_id: sid,
      seq: 1,
      phone: PHONE,
      network: '63902',
      service_code: '*290*290#',
      text: '',
      input: '',
      reply: `CON ${reply.screen}`,
      state: 'home',
      at: h.clock().toISOString(),
    });
    expect(entry!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('feeds only the input after the handled text', async () => {
    const sid = newSession();
    await hop(sid, '');
    expect(await hop(sid, '1')).toEqual({ kind: 'CON', screen: 'Stake?' });
    expect(conv.calls.map((c) => [c.op, c.inputs])).toEqual([
      ['start', []],
      ['advance', ['1']],
    ]);
    expect((await hopsOf(sid)).map((x) => [x.seq, x.text, x.input, x.state])).toEqual([
      [1, '', '', 'home'],
      [2, '1', '1', 'bet.stake'],
    ]);
  });

  it('answers an aggregator retry (same text) with the same reply and runs nothing', async () => {
    const sid = newSession();
    await hop(sid, '');
    await hop(sid, '1');
    const first = await hop(sid, '1*100');
    const again = await hop(sid, '1*100');
    expect(again).toEqual(first);
    expect(first.kind).toBe('END');
    expect(conv.calls).toHaveLength(3);
    expect([...conv.bets.values()]).toEqual([1]);
    expect(await hopsOf(sid)).toHaveLength(3);
  });

  it('answers the current screen again on a second first hop (text "") instead of reading it as input', async () => {
    const sid = newSession();
    await hop(sid, '');
    const stakeScreen = await hop(sid, '1');
    expect(await hop(sid, '')).toEqual(stakeScreen);
    expect(conv.calls).toHaveLength(2);
    // and the session carries on from where it was
    expect((await hop(sid, '1*50')).screen).toMatch(/^Bet placed: KES 50/);
  });

  it('a late, older hop shows the current screen and reads nothing', async () => {
    const sid = newSession();
    await hop(sid, '');
    await hop(sid, '1');
    const stake = await hop(sid, '1*x');
    expect(await hop(sid, '1')).toEqual(stake);
    expect(conv.calls).toHaveLength(3);
  });

  it('replays batched inputs one by one', async () => {
    const sid = newSession();
    await hop(sid, '');
    const reply = await hop(sid, '1*250');
    expect(reply.screen).toMatch(/^Bet placed: KES 250/);
    expect(conv.calls.at(-1)).toEqual({ op: 'advance', inputs: ['1', '250'] });
    expect((await hopsOf(sid)).at(-1)).toMatchObject({ seq: 2, text: '1*250', input: '1*250', state: 'bet.placed' });
  });

  it('a shortcut dial (*290*290*2#) brings its input on the first hop', async () => {
    const sid = newSession();
    expect(await hop(sid, '2')).toEqual({ kind: 'END', screen: 'Balance KES 0.00' });
    expect(conv.calls.map((c) => [c.op, c.inputs])).toEqual([
      ['start', []],
      ['advance', ['2']],
    ]);
    expect(await hopsOf(sid)).toEqual([expect.objectContaining({ seq: 1, text: '2', input: '2', state: 'balance' })]);
  });

  it('answers the END again on a session that already ended', async () => {
    const sid = newSession();
    const end = await hop(sid, '0');
    expect(end).toEqual({ kind: 'END', screen: 'Goodbye' });
    expect(await hop(sid, '0*1')).toEqual(end);
    expect(await hop(sid, '')).toEqual(end);
    expect(conv.calls).toHaveLength(2);
  });

  it('re-bases on a diverged history: screen shown again, the next hop read relative to the new text', async () => {
    const sid = newSession();
    await hop(sid, '');
    const stake = await hop(sid, '1');
    expect(await hop(sid, '3*7')).toEqual(stake);
    expect(conv.calls).toHaveLength(2);
    expect(await hop(sid, '3*7*40')).toMatchObject({ kind: 'END', screen: expect.stringMatching(/^Bet placed: KES 40/) });
    expect(conv.calls.at(-1)).toEqual({ op: 'advance', inputs: ['40'] });
    expect((await hopsOf(sid)).map((x) => [x.seq, x.input, x.state])).toEqual([
      [1, '', 'home'],
      [2, '1', 'bet.stake'],
      [3, '', 'bet.stake'],
      [4, '40', 'bet.placed'],
    ]);
  });

  it('serialises concurrent hops of one session: the same hop twice runs once', async () => {
    const sid = newSession();
    await hop(sid, '');
    await hop(sid, '1');
    conv.delayMs = 50;
    const [a, b] = await Promise.all([hop(sid, '1*100'), hop(sid, '1*100')]);
    expect(a).toEqual(b);
    expect(a.screen).toMatch(/^Bet placed/);
    expect(conv.calls.filter((c) => c.op === 'advance')).toHaveLength(2);
    expect([...conv.bets.values()]).toEqual([1]);
  });

  it('serialises concurrent hops of one session: an older and a newer hop stay consistent', async () => {
    const sid = newSession();
    await hop(sid, '');
    conv.delayMs = 30;
    const [older, newer] = await Promise.all([hop(sid, '1'), hop(sid, '1*60')]);
    // whichever ran first, the session ends with the bet placed once and the record agrees with the last reply
    expect(newer.screen).toMatch(/^Bet placed: KES 60/);
    // the older hop either ran first (stake screen) or found the newer one already handled (current screen again)
    expect(['Stake?', newer.screen]).toContain(older.screen);
    expect([...conv.bets.values()]).toEqual([1]);
    expect(await recordOf(sid)).toMatchObject({ lastText: '1*60', ended: true });
  });

  it('gives up politely when the session stays locked past the bounded wait', async () => {
    const sid = newSession();
    const held = await h.store.open(sid, PHONE, { ttlMs: 10_000 });
    const started = Date.now();
    const reply = await handleHop({ ...deps, lockWaitMs: 100 }, hopReq(sid, ''));
    expect(reply).toEqual(STILL_WORKING_REPLY);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(conv.calls).toHaveLength(0);
    await held!.release();
  });

  it('starts afresh when the session expired', async () => {
    const sid = newSession();
    await hop(sid, '');
    await hop(sid, '1');
    if (h.store instanceof MemorySessionStore) {
      h.clock.advance(181_000);
    } else {
      const s = await h.store.open(sid, PHONE);
      await s!.commit(s!.record!, hopRecord({ sessionId: sid, seq: 3 }), 0.05);
      await new Promise((r) => setTimeout(r, 120));
    }
    expect(await recordOf(sid)).toBeNull();
    const other = newSession();
    expect(await hop(other, '')).toMatchObject({ kind: 'CON' });
    expect(conv.calls.filter((c) => c.op === 'start')).toHaveLength(2);
  });

  it('offers a half-finished slip to the next session of the phone, and clears the offer when done', async () => {
    const phone = '254712000777';
    const first = newSession();
    await hop(first, '', phone);
    await hop(first, '1', phone); // slip started, session then drops
    expect(await takeOffer(phone)).toMatchObject({ slipKey: expect.any(String) });
    await hop(first, '1*x', phone); // the offer is written again on every hop that has one
    const second = newSession();
    const resumed = await hop(second, '', phone);
    expect(resumed.screen).toBe('Resumed\nStake?');
    expect(conv.calls.at(-1)).toMatchObject({ op: 'start', resume: { slipKey: expect.any(String) } });
    await hop(second, '30', phone);
    expect(await offerOf(phone)).toBeNull();
    // a slip finished in the new session is the slip of the first one: one bet, one key
    expect(conv.bets.size).toBe(1);
  });

  it('deletes a kept offer once the conversation says there is nothing to resume', async () => {
    const phone = '254712000778';
    const sid = newSession();
    await hop(sid, '', phone);
    await hop(sid, '1', phone);
    await hop(sid, '1*5', phone);
    expect(await offerOf(phone)).toBeNull();
  });

  it('keeps the offer for the next dial when the conversation fails on the hop that took it', async () => {
    const phone = '254712000779';
    const first = newSession();
    await hop(first, '', phone);
    await hop(first, '1', phone);
    conv.failNext = new Error('database down');
    expect(await hop(newSession(), '', phone)).toEqual(BUSY_REPLY);
    expect(await offerOf(phone)).toMatchObject({ slipKey: expect.any(String) });
    expect((await hop(newSession(), '', phone)).screen).toBe('Resumed\nStake?');
  });

  it('answers with the result when the lock expired before the commit, saves nothing, and logs the hop record', async () => {
    const sid = newSession();
    await hop(sid, '');
    await hop(sid, '1');
    const slow: HopDeps = {
      ...deps,
      lockTtlMs: 50,
      conversation: {
        start: conv.start,
        async advance(snapshot, inputs, ctx) {
          const outcome = await conv.advance(snapshot, inputs, ctx);
          // outlive the lock: the Redis lock expires in real time, the memory store's on the injected clock
          h.clock.advance(1_000);
          await new Promise((r) => setTimeout(r, 120));
          return outcome;
        },
      },
    };
    const placed = await handleHop(slow, hopReq(sid, '1*70'));
    expect(placed.screen).toMatch(/^Bet placed: KES 70/);
    const errors = log.lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ hop: { sessionId: sid, seq: 3, input: '70' } });
    expect(await recordOf(sid)).toMatchObject({ lastText: '1', seq: 2 });
    expect(await hopsOf(sid)).toHaveLength(2);
    // the next hop reads against the record as it was: the confirm replays and finds the same bet by its key
    expect(await hop(sid, '1*70')).toEqual(placed);
    expect(conv.bets.size).toBe(1);
  });

  it('answers busy and keeps the session as it was when the conversation fails; a retry runs it again', async () => {
    const sid = newSession();
    await hop(sid, '');
    await hop(sid, '1');
    conv.failNext = new Error('database down');
    expect(await hop(sid, '1*20')).toEqual(BUSY_REPLY);
    expect(log.lines.filter((l) => l.level >= 50)).toHaveLength(1);
    expect(await recordOf(sid)).toMatchObject({ lastText: '1', seq: 2 });
    expect((await hop(sid, '1*20')).screen).toMatch(/^Bet placed: KES 20/);
  });

  it('a failure after the bet committed re-shows the same bet on retry (its key is in the snapshot)', async () => {
    const sid = newSession();
    await hop(sid, '');
    await hop(sid, '1');
    conv.failNext = new Error('boom after commit');
    conv.failBefore = false;
    expect(await hop(sid, '1*20')).toEqual(BUSY_REPLY);
    const retry = await hop(sid, '1*20');
    expect(retry.screen).toMatch(/^Bet placed: KES 20/);
    expect(conv.bets.size).toBe(1);
  });

  it('refuses a known session id from another phone without touching it', async () => {
    const sid = newSession();
    await hop(sid, '');
    expect(await hop(sid, '1', '254712999999')).toEqual(BUSY_REPLY);
    expect(await recordOf(sid)).toMatchObject({ lastText: '', seq: 1 });
  });
});

describe('the hop pipeline when the store fails', () => {
  it('answers busy at once when Redis is unreachable, and never runs the conversation', async () => {
    const client = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 200,
      retryStrategy: () => 1_000,
    });
    client.on('error', () => undefined);
    const store = new RedisSessionStore(client, { prefix: 'test:dead:' });
    const conv = fakeConversation();
    const log = captureLogger();
    const started = Date.now();
    const reply = await handleHop(
      { store, conversation: conv, ttlSeconds: 180, clock: testClock(), logger: log.logger },
      hopReq(newSession(), '1*2*100'),
    );
    expect(reply).toEqual(BUSY_REPLY);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(conv.calls).toHaveLength(0);
    expect(log.lines.filter((l) => l.level >= 50)).toHaveLength(1);
    client.disconnect();
  });

  it('answers with the result when the commit fails after the conversation ran, and logs the hop record', async () => {
    const clock = testClock();
    const inner = new MemorySessionStore({ now: () => clock().getTime() });
    let failSaves = false;
    const store: SessionStore = Object.assign(Object.create(inner) as MemorySessionStore, {
      open: async (...args: Parameters<SessionStore['open']>) => {
        const session = await inner.open(...args);
        if (session === null || !failSaves) return session;
        return { ...session, commit: () => Promise.reject(new Error('redis went away')) };
      },
    });
    const conv = fakeConversation();
    const log = captureLogger();
    const deps: HopDeps = { store, conversation: conv, ttlSeconds: 180, clock, logger: log.logger };
    const sid = newSession();
    await handleHop(deps, hopReq(sid, ''));
    await handleHop(deps, hopReq(sid, '1'));
    failSaves = true;
    const placed = await handleHop(deps, hopReq(sid, '1*70'));
    expect(placed.screen).toMatch(/^Bet placed: KES 70/);
    const errors = log.lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ hop: { sessionId: sid, seq: 3, input: '70' } });
    // the record was not saved: a retry replays the confirm, which finds the same bet by its key
    failSaves = false;
    const retry = await handleHop(deps, hopReq(sid, '1*70'));
    expect(retry).toEqual(placed);
    expect(conv.bets.size).toBe(1);
    await inner.close();
  });
});

