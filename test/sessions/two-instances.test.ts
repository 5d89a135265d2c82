/**
 * Two app instances on one Redis, each with its own session store (and its kept records) and its own menu conversation
 * (and its live actors), answering the hops of one session in turn, as a load balancer without stickiness sends them.
 * Every hop must see the state the other instance left, never the older one this instance still keeps.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UssdReply, UssdRequest } from '../../src/adapters/telco/ussd.ts';
import { createMenuConversation } from '../../src/menus/menu-conversation.ts';
import { handleHop, type HopDeps } from '../../src/sessions/hop.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import { testClock } from '../support/core.ts';
import { defaultWorld, fakeServices } from '../menus/fake-menu-services.ts';

const REDIS_URL = process.env.REDIS_URL;
const PHONE = '254700000001';
/** main menu → Bet → Football → first match → Match result → home → Enter stake → 100 → Confirm */
const BET = ['1', '1', '1', '1', '1', '2', '100', '1'];

describe.runIf(REDIS_URL !== undefined && REDIS_URL !== '')('two instances on one Redis', () => {
  const prefix = `test:two:${randomUUID()}:`;
  const clients: Redis[] = [];
  let admin: Redis;

  const instance = (services: ReturnType<typeof fakeServices>): HopDeps => {
    const client = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    clients.push(client);
    return {
      store: new RedisSessionStore(client, { prefix }),
      conversation: createMenuConversation(services, { maxChars: 160 }),
      ttlSeconds: 180,
      clock: testClock(Date.now()),
      logger: pino({ level: 'silent' }),
    };
  };

  /** the hop whose `text` carries these inputs, as Africa's Talking posts it */
  const hopRequest = (sessionId: string, inputs: string[]): UssdRequest => ({
    aggregator: 'africastalking',
    sessionId,
    serviceCode: '*290*290#',
    phone: PHONE,
    network: '63902',
    inputs,
    rawText: inputs.join('*'),
  });

  /** hop n goes to `route[n]`; the text is cumulative, as a handset sends it */
  async function dial(sessionId: string, route: HopDeps[], inputs: string[]): Promise<UssdReply[]> {
    const replies: UssdReply[] = [];
    for (let n = 0; n <= inputs.length; n++) {
      replies.push(await handleHop(route[n % route.length]!, hopRequest(sessionId, inputs.slice(0, n))));
    }
    return replies;
  }

  beforeAll(() => {
    admin = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('answer a session hop by hop in turn exactly as one instance does, placing the bet once', async () => {
    const alone = fakeServices(defaultWorld());
    const expected = await dial(`ATUid_one_${randomUUID()}`, [instance(alone)], BET);
    expect(expected.at(-1)?.screen).toMatch(/^Bet \S+ placed\./);

    const shared = fakeServices(defaultWorld());
    const x = instance(shared);
    const y = instance(shared);
    const sessionId = `ATUid_two_${randomUUID()}`;
    // x, y, y, x, x, x, y, x, y: every kind of hand-over, including back to an instance that kept an older record
    expect(await dial(sessionId, [x, y, y, x, x, x, y, x, y], BET)).toEqual(expected);
    expect(shared.world.calls.filter((c) => c.method === 'placeBet')).toHaveLength(1);

    // the aggregator retries the last hop on the other instance: the same reply, nothing placed again
    const retried = await handleHop(x, hopRequest(sessionId, BET));
    expect(retried).toEqual(expected.at(-1));
    expect(shared.world.calls.filter((c) => c.method === 'placeBet')).toHaveLength(1);
  });
});
