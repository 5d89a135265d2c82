/**
 * An SMS test rig: a fresh database (PGlite, or a schema of its own on PostgreSQL), the core on a test clock, the
 * real MenuServices binding over the instant payment simulator, the SMS module, and a Koa app built with createApp
 * listening on port 0 — so callbacks go over real HTTP.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { createApp } from '../../src/adapters/http/app.ts';
import { createMenuServices } from '../../src/adapters/menu-services.ts';
import { createInstantSimulator, type InstantSimulator } from '../support/instant-payments.ts';
import { createSmsModule, SmsConfigSchema, type SmsModule } from '../../src/adapters/sms/sms-module.ts';
import type { SendResult, SmsSender } from '../../src/adapters/sms/sms-sender.ts';
import type { Core } from '../../src/core/core.ts';
import type { MenuServices } from '../../src/menus/services.ts';
import { testClock, testCore, type TestClock } from '../support/core.ts';
import type { Backend, TestDb } from '../support/databases.ts';

export const TOKEN = 'test-callback-token-0123456789';
export const silent = pino({ level: 'silent' });

export interface HttpReply {
  status: number;
  body: string;
}

export interface OutboxRow {
  id: number;
  player_id: number | null;
  msisdn: string;
  kind: string;
  params: Record<string, unknown>;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  provider_message_id: string | null;
  cost: string | null;
  provider_status_code: number | null;
  delivery_status: string | null;
  failure_reason: string | null;
  dedupe_key: string | null;
}

export interface SmsHarness {
  t: TestDb;
  core: Core;
  clock: TestClock;
  services: MenuServices;
  payments: InstantSimulator;
  sms: SmsModule;
  url: string;
  post(path: string, form: Record<string, string>): Promise<HttpReply>;
  /** posts an inbound message (fresh id unless given) and returns the reply text queued for it, if any */
  ask(from: string, text: string, id?: string): Promise<{ status: number; id: string; reply: string | null }>;
  inboundForm(from: string, text: string, id?: string): Record<string, string>;
  outbox(where?: string, params?: unknown[]): Promise<OutboxRow[]>;
  close(): Promise<void>;
}

let phoneSeq = 0;
/** a number no test player has (test/support/core.ts numbers start 2547) */
export function freshPhone(): string {
  phoneSeq += 1;
  return `2541${String(process.pid % 100).padStart(2, '0')}${String(phoneSeq).padStart(6, '0')}`;
}

export function inboundId(): string {
  return `ATXid_in_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

function parseParams(p: unknown): Record<string, unknown> {
  return (typeof p === 'string' ? JSON.parse(p) : p) as Record<string, unknown>;
}

export async function startSmsHarness(
  backend: Backend,
  opts: { env?: Record<string, string>; sender?: SmsSender; clock?: TestClock } = {},
): Promise<SmsHarness> {
  const t = await backend.open();
  const { core, clock } = await testCore(t.db, {}, opts.clock ?? testClock());
  const payments = createInstantSimulator({ core, logger: silent, delayMs: 5 });
  const services = createMenuServices(core, payments, {
    limits: { minDeposit: 10_00, maxDeposit: 250_000_00, minWithdrawal: 10_00, maxWithdrawal: 70_000_00, dailyWithdrawalLimit: 150_000_00 },
    logger: silent,
  });
  const config = SmsConfigSchema.parse({ CALLBACK_TOKEN: TOKEN, SMS_MAX_PER_MINUTE: '600', ...opts.env });
  const sms = createSmsModule({ core, services, logger: silent, config, sender: opts.sender });
  const app = createApp({ logger: silent, probes: [], routers: [sms.router] });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const post = async (path: string, form: Record<string, string>): Promise<HttpReply> => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: await res.text() };
  };
  const inboundForm = (from: string, text: string, id = inboundId()) => ({
    date: '2026-11-25 15:00:00',
    from: from.startsWith('254') ? `+${from}` : from,
    to: '29290',
    text,
    id,
    linkId: `link-${id}`,
    networkCode: '63902',
  });
  const outbox = async (where = 'true', params: unknown[] = []) =>
    (await t.db.query<OutboxRow>(`SELECT * FROM sms_outbox WHERE ${where} ORDER BY id`, params)).rows.map((r) => ({
      ...r,
      id: Number(r.id),
      player_id: r.player_id === null ? null : Number(r.player_id),
      params: parseParams(r.params),
    }));

  return {
    t,
    core,
    clock,
    services,
    payments,
    sms,
    url,
    post,
    inboundForm,
    outbox,
    async ask(from, text, id = inboundId()) {
      const res = await post(`/sms/africastalking/inbound/${TOKEN}`, inboundForm(from, text, id));
      const rows = await outbox('dedupe_key = $1', [`sms_reply:${id}`]);
      return { status: res.status, id, reply: rows[0] ? String(rows[0].params.text) : null };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await payments.close();
      await t.cleanup();
    },
  };
}

/** a sender that records what it was asked and answers from a script (default: sent) */
export function scriptedSender(script: (to: string, message: string, n: number) => SendResult | Promise<SendResult> = () => sentResult()) {
  const sends: { to: string; message: string }[] = [];
  const sender: SmsSender & { sends: typeof sends } = {
    name: 'scripted',
    sends,
    async send(to, message) {
      sends.push({ to, message });
      return script(to, message, sends.length);
    },
  };
  return sender;
}

let messageSeq = 0;
export function sentResult(): SendResult {
  messageSeq += 1;
  return { kind: 'sent', messageId: `ATXid_test_${messageSeq}`, cost: 'KES 0.8000', statusCode: 101, status: 'Success' };
}
