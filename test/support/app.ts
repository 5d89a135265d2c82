/**
 * A listening gateway for integration tests: the real composition root (`startGateway`) on port 0, a fresh database
 * (PGlite, or a schema of its own on real PostgreSQL), a fresh session store (memory, or Redis under a unique key
 * prefix), a test clock, the scheduler off (tests open rounds themselves) and a tiny payment simulator delay.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import type { Core } from '../../src/core/core.ts';
import { startGateway, type Gateway } from '../../src/main.ts';
import type { Conversation } from '../../src/menus/conversation.ts';
import { MemorySessionStore } from '../../src/sessions/memory-session-store.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import type { SessionStore } from '../../src/sessions/session-store.ts';
import { testClock, type TestClock } from './core.ts';
import { backends, type Backend, type TestDb } from './databases.ts';

const REDIS_URL = process.env.REDIS_URL;

export type StoreKind = 'memory' | 'redis';

export interface AppVariant {
  name: string;
  backend: Backend;
  store: StoreKind;
}

/** every database backend with the memory store, plus Redis on each when REDIS_URL is set */
export const appVariants: AppVariant[] = backends.flatMap((backend) =>
  (REDIS_URL ? (['memory', 'redis'] as const) : (['memory'] as const)).map((store) => ({
    name: `${backend.name}+${store}`,
    backend,
    store,
  })),
);

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

export interface Dial {
  sessionId: string;
  phone: string;
  /** the cumulative AT text sent so far */
  text: string;
  /** the first hop (text '' unless `shortcut` was given) */
  start(shortcut?: string): Promise<HttpReply>;
  /** the next input(s), appended to the text like a handset: send('1') → text 'a*b*1' */
  send(...inputs: string[]): Promise<HttpReply>;
}

export interface TestApp {
  url: string;
  core: Core;
  clock: TestClock;
  store: SessionStore;
  gateway: Gateway;
  db: TestDb;
  /** POST form fields to /ussd/africastalking */
  post(form: Record<string, string>): Promise<HttpReply>;
  /** POST form fields to /ussd/africastalking/events */
  postEnd(form: Record<string, string>): Promise<HttpReply>;
  /** a new session for a phone, keeping the cumulative text like a real handset */
  dial(phone: string, sessionId?: string): Dial;
  drain(): Promise<number>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** a store to use instead of a fresh one (e.g. one pointed at a dead Redis) */
  store?: SessionStore;
  /** more configuration, as environment strings */
  env?: Record<string, string>;
  /** what answers in place of the menus (the bench's stand-ins) */
  conversation?: Conversation;
}

async function freshStore(kind: StoreKind, clock: TestClock): Promise<{ store: SessionStore; cleanup(): Promise<void> }> {
  if (kind === 'memory') {
    const store = new MemorySessionStore({ now: () => clock().getTime() });
    return { store, cleanup: () => store.close() };
  }
  const prefix = `test:app:${randomUUID()}:`;
  const client = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  client.on('error', () => undefined);
  const admin = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
  const store = new RedisSessionStore(client, { prefix });
  return {
    store,
    async cleanup() {
      await store.close();
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
      await admin.quit();
    },
  };
}

async function postForm(url: string, form: Record<string, string>): Promise<HttpReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

export async function startTestApp(variant: AppVariant, opts: TestAppOptions = {}): Promise<TestApp> {
  const db = await variant.backend.open();
  const clock = testClock(Date.now());
  const fresh = opts.store ? null : await freshStore(variant.store, clock);
  const store = opts.store ?? fresh!.store;
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    SCHEDULER: 'off',
    SIMULATOR_DELAY_MS: '20',
    ...opts.env,
  });
  const gateway = await startGateway(config, {
    db: db.db,
    store,
    clock,
    logger: pino({ level: 'silent' }),
    ...(opts.conversation ? { conversation: opts.conversation } : {}),
  });
  const url = `http://127.0.0.1:${gateway.port}`;
  let sessionSeq = 0;

  const post = (form: Record<string, string>) => postForm(`${url}/ussd/africastalking`, form);
  return {
    url,
    core: gateway.core,
    clock,
    store,
    gateway,
    db,
    post,
    postEnd: (form) => postForm(`${url}/ussd/africastalking/events`, form),
    dial(phone, sessionId = `ATUid_${randomUUID().replace(/-/g, '').slice(0, 16)}_${++sessionSeq}`) {
      const d: Dial = {
        sessionId,
        phone,
        text: '',
        start: (shortcut = '') => {
          d.text = shortcut;
          return post({ sessionId, serviceCode: '*290*290#', phoneNumber: phone, networkCode: '63902', text: d.text });
        },
        send: (...inputs) => {
          d.text = [...(d.text === '' ? [] : [d.text]), ...inputs].join('*');
          return post({ sessionId, serviceCode: '*290*290#', phoneNumber: phone, networkCode: '63902', text: d.text });
        },
      };
      return d;
    },
    drain: () => gateway.drainHops(),
    async close() {
      await gateway.stop();
      await fresh?.cleanup();
      await db.cleanup();
    },
  };
}
