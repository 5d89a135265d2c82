/**
 * A payments test rig: a fresh database (PGlite, or a schema of its own on PostgreSQL), the core on a test clock, the
 * payments module (Daraja mode against nock at the sandbox URL, or the HTTP simulator), and a Koa app built with
 * createApp listening on port 0 — so callbacks arrive over real HTTP.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import nock from 'nock';
import { pino } from 'pino';
import { expect } from 'vitest';
import { createApp } from '../../src/adapters/http/app.ts';
import { createPaymentsModule, PaymentsConfigSchema, SANDBOX, type PaymentsModule } from '../../src/adapters/payments/payments-module.ts';
import type { Core } from '../../src/core/core.ts';
import { int } from '../../src/core/db.ts';
import { checkLedger } from '../../src/core/ledger-check.ts';
import { rollupSystemBalances } from '../../src/core/ledger.ts';
import { systemBalance } from '../../src/core/accounts.ts';
import { balance } from '../../src/core/wallet.ts';
import { testClock, testCore, type TestClock } from '../support/core.ts';
import type { Backend, TestDb } from '../support/databases.ts';
import { DARAJA } from './daraja-fixtures.ts';

export const TOKEN = 'test-payments-token-0123456789';
export const silent = pino({ level: 'silent' });

export const DARAJA_ENV = {
  PAYMENTS: 'daraja',
  MPESA_BASE_URL: DARAJA,
  MPESA_CONSUMER_KEY: 'test-consumer-key',
  MPESA_CONSUMER_SECRET: 'test-consumer-secret',
  MPESA_SHORTCODE: SANDBOX.shortcode,
  MPESA_PASSKEY: SANDBOX.passkey,
  MPESA_B2C_SHORTCODE: '600000',
  MPESA_INITIATOR_NAME: 'testapi',
  MPESA_SECURITY_CREDENTIAL: 'test-security-credential',
  PUBLIC_BASE_URL: 'https://bet.example.co.ke',
  CALLBACK_TOKEN: TOKEN,
  RECONCILER: 'off',
  MPESA_TIMEOUT_MS: '2000',
} as const;

export interface Reply {
  status: number;
  body: any;
}

export interface PaymentsHarness {
  t: TestDb;
  core: Core;
  clock: TestClock;
  module: PaymentsModule;
  url: string;
  /** the fake "now" for token expiry and the circuit breaker */
  ms: { now: number };
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** POST a callback to /payments/<kind>/<TOKEN> */
  callback(kind: 'stk/callback' | 'b2c/result' | 'b2c/timeout' | 'status/result' | 'status/timeout' | 'c2b/validation' | 'c2b/confirmation', body: unknown): Promise<Reply>;
  wallet(playerId: number): Promise<number>;
  system(code: 'mpesa_clearing' | 'suspense' | 'excise_payable' | 'wht_payable' | 'pending_withdrawals'): Promise<number>;
  /** the ledger adds up */
  ledgerOk(): Promise<void>;
  deposit(id: number): Promise<Record<string, any>>;
  depositByCheckout(checkout: string): Promise<Record<string, any>>;
  outbox(playerId: number, kind: string): Promise<Record<string, any>[]>;
  callbacks(where?: string, params?: unknown[]): Promise<Record<string, any>[]>;
  /**
   * Settles everything earlier tests left open (pending deposits and payouts, unapplied callbacks, reserved
   * withdrawals), so a reconciliation pass sees only the current test's work. Moves no money.
   */
  quiesce(): Promise<void>;
  close(): Promise<void>;
}

export async function startPaymentsHarness(
  backend: Backend,
  opts: { env?: Record<string, string>; simulator?: boolean } = {},
): Promise<PaymentsHarness> {
  const t = await backend.open();
  const { core, clock } = await testCore(t.db, {}, testClock());
  const ms = { now: Date.UTC(2026, 10, 25, 12, 0, 0) };
  const config = PaymentsConfigSchema.parse(
    opts.simulator
      ? { PAYMENTS: 'simulator', CALLBACK_TOKEN: TOKEN, RECONCILER: 'off', SIMULATOR_DELAY_MS: '20', ...opts.env }
      : { ...DARAJA_ENV, ...opts.env },
  );
  let url = '';
  const module = createPaymentsModule({
    core,
    logger: silent,
    config,
    selfBaseUrl: () => url,
    // the simulator's tokens and breaker run on real time; nock'd Daraja on a clock the test moves
    ...(opts.simulator ? {} : { now: () => ms.now }),
  });
  const app = createApp({ logger: silent, probes: [], routers: [module.router] });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed };
  };

  const one = async (sql: string, params: unknown[]) => {
    const { rows } = await t.db.query<Record<string, any>>(sql, params);
    if (!rows[0]) throw new Error(`no row for ${sql} ${JSON.stringify(params)}`);
    return rows[0];
  };

  return {
    t,
    core,
    clock,
    module,
    url,
    ms,
    post,
    callback: (kind, body) => post(`/payments/${kind}/${TOKEN}`, body),
    wallet: async (playerId) => (await balance(core.db, playerId)).balance,
    system: async (code) => {
      await rollupSystemBalances(core.db);
      return systemBalance(core.db, core.accounts[code]);
    },
    async ledgerOk() {
      await rollupSystemBalances(core.db);
      expect(await checkLedger(core.db)).toEqual([]);
    },
    deposit: (id) => one('SELECT * FROM deposits WHERE id = $1', [id]),
    depositByCheckout: (checkout) => one('SELECT * FROM deposits WHERE checkout_request_id = $1', [checkout]),
    async outbox(playerId, kind) {
      const { rows } = await t.db.query<Record<string, any>>('SELECT * FROM sms_outbox WHERE player_id = $1 AND kind = $2 ORDER BY id', [
        playerId,
        kind,
      ]);
      return rows.map((r) => ({ ...r, params: typeof r.params === 'string' ? JSON.parse(r.params) : r.params }));
    },
    async callbacks(where = 'true', params = []) {
      const { rows } = await t.db.query<Record<string, any>>(`SELECT * FROM payment_callbacks WHERE ${where} ORDER BY id`, params);
      return rows.map((r) => ({ ...r, id: int(r.id) }));
    },
    async quiesce() {
      await module.idle();
      await t.db.exec(`
        UPDATE deposits SET state = 'failed', result_code = 'test_reset' WHERE state IN ('pending', 'unresolved');
        UPDATE payouts SET state = 'unresolved', flag = 'test_reset' WHERE state IN ('pending', 'accepted', 'timed_out');
        UPDATE payment_callbacks SET outcome = 'ignored' WHERE outcome IN ('received', 'unmatched');
        INSERT INTO payouts (withdrawal_id, msisdn, amount, sent_amount, originator_conversation_id, state, flag, created_at, updated_at)
          SELECT w.id, '254700000000', w.net, 0, 'test-reset-' || w.id, 'unresolved', 'test_reset', w.created_at, w.created_at
            FROM withdrawals w WHERE w.state = 'reserved' AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.withdrawal_id = w.id);
      `);
    },
    async close() {
      await module.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.cleanup();
    },
  };
}

/** nock: Daraja hands out tokens for the whole test */
export function darajaTokens(token = 'test-access-token') {
  return nock(DARAJA).persist().get('/oauth/v1/generate').query({ grant_type: 'client_credentials' }).reply(200, { access_token: token, expires_in: '3599' });
}

/** nock: intercepts the next POST to `path`, captures its body, answers `status` + `body` */
export function interceptPost(path: string, status: number, body: unknown | ((req: any) => unknown)) {
  const seen: { body: any; headers: Record<string, unknown> }[] = [];
  nock(DARAJA)
    .post(path)
    .reply(function (_uri, requestBody) {
      const req = typeof requestBody === 'string' ? JSON.parse(requestBody) : requestBody;
      seen.push({ body: req, headers: this.req.headers as Record<string, unknown> });
      const reply = typeof body === 'function' ? (body as (r: any) => unknown)(req) : body;
      return [status, JSON.stringify(reply), { 'content-type': 'application/json' }];
    });
  return seen;
}

/** polls until `check` passes (simulated callbacks arrive on their own) */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
