/**
 * The outbox worker against real databases: at-least-once across a crash, each message once with workers racing,
 * backoff and its limits, and results that arrive after a lease ran out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDue, sendDueOnce, startOutboxWorker, type OutboxWorkerOptions } from '../../src/adapters/sms/outbox-worker.ts';
import type { SendResult } from '../../src/adapters/sms/sms-sender.ts';
import type { Core } from '../../src/core/core.ts';
import type { Db } from '../../src/core/db.ts';
import { queueSms } from '../../src/core/outbox.ts';
import { deposit } from '../../src/core/wallet.ts';
import { newPlayer, testClock, testCore, type TestClock } from '../support/core.ts';
import { backends, type TestDb } from '../support/databases.ts';
import { scriptedSender, sentResult, silent } from './sms-harness.ts';

const LEASE = 60_000;

describe.each(backends)('sms outbox worker on $name', (backend) => {
  let t: TestDb;
  let core: Core;
  let clock: TestClock;
  beforeAll(async () => {
    t = await backend.open();
    clock = testClock();
    ({ core } = await testCore(t.db, {}, clock));
  });
  afterAll(() => t.cleanup());

  const options = (over: Partial<OutboxWorkerOptions> & Pick<OutboxWorkerOptions, 'sender'>): OutboxWorkerOptions => ({
    db: core.db,
    clock,
    logger: silent,
    leaseMs: LEASE,
    sendTimeoutMs: 2_000,
    ...over,
  });

  /** nothing pending from earlier tests */
  const settleBacklog = () => t.db.query(`UPDATE sms_outbox SET status = 'failed', failure_reason = 'test backlog' WHERE status = 'pending'`);

  const row = async (id: number) =>
    (await t.db.query<{ status: string; attempts: number; failure_reason: string | null; next_attempt_at: Date; provider_message_id: string | null }>(
      'SELECT status, attempts, failure_reason, next_attempt_at, provider_message_id FROM sms_outbox WHERE id = $1',
      [id],
    )).rows[0]!;

  async function queueReplies(n: number, tag: string, playerId: number | null = null): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      await core.db.tx((q) =>
        queueSms(q, { playerId, msisdn: '254711000001', kind: 'reply', params: { text: `${tag} ${i}` }, dedupeKey: `${tag}:${i}`, now: clock() }),
      );
      const { rows } = await t.db.query<{ id: unknown }>('SELECT id FROM sms_outbox WHERE dedupe_key = $1', [`${tag}:${i}`]);
      ids.push(Number(rows[0]!.id));
    }
    return ids;
  }

  it('a worker that dies after claiming and before sending: after the lease a new worker sends it, exactly once', async () => {
    await settleBacklog();
    const player = await newPlayer(core);
    // the event's transaction commits with its receipt
    await deposit(core, { playerId: player.id, amount: 500_00, receipt: 'CRASH1', now: clock() });
    const [receipt] = (await t.db.query<{ id: unknown }>(`SELECT id FROM sms_outbox WHERE dedupe_key = 'deposit:CRASH1'`)).rows;
    const id = Number(receipt!.id);

    // worker A claims (and commits the claim), then the process dies: it never sends
    const claimed = await claimDue(core.db, clock(), 10, LEASE);
    expect(claimed.map((c) => c.id)).toEqual([id]);

    const restarted = scriptedSender();
    // within the lease nobody else takes it
    clock.advance(LEASE - 1);
    expect(await sendDueOnce(options({ sender: restarted }))).toMatchObject({ claimed: 0 });
    // after it, the restarted worker sends it
    clock.advance(1);
    expect(await sendDueOnce(options({ sender: restarted }))).toMatchObject({ claimed: 1, sent: 1 });
    clock.advance(24 * 3600_000);
    expect(await sendDueOnce(options({ sender: restarted }))).toMatchObject({ claimed: 0 });

    expect(restarted.sends).toHaveLength(1);
    expect(restarted.sends[0]).toEqual({
      to: player.msisdn,
      message: 'Deposit of KES 500.00 received (M-Pesa CRASH1). Excise duty KES 25.00, to your wallet KES 475.00. Balance KES 475.00.',
    });
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('two workers racing over the same rows send each message once', async () => {
    await settleBacklog();
    const ids = await queueReplies(40, 'race');
    // on PostgreSQL the second worker has its own pool: real concurrency, SKIP LOCKED decides
    const otherDb: Db = backend.name === 'postgres' ? t.connect(5) : t.db;
    const slow = () =>
      scriptedSender(async () => {
        await new Promise((r) => setTimeout(r, 5));
        return sentResult();
      });
    const a = slow();
    const b = slow();
    const drain = async (db: Db, sender: ReturnType<typeof slow>) => {
      let total = 0;
      for (;;) {
        const s = await sendDueOnce({ ...options({ sender }), db, batch: 7 });
        total += s.claimed;
        if (s.claimed === 0) return total;
      }
    };
    const [ca, cb] = await Promise.all([drain(core.db, a), drain(otherDb, b)]);
    expect(ca + cb).toBe(40);
    const texts = [...a.sends, ...b.sends].map((s) => s.message).sort();
    expect(texts).toEqual(Array.from({ length: 40 }, (_, i) => `race ${i}`).sort());
    if (backend.name === 'postgres') expect(Math.min(a.sends.length, b.sends.length)).toBeGreaterThan(0);
    for (const id of ids) expect((await row(id)).status).toBe('sent');
    // a run records all its sent messages in one statement: each row must still get its own provider fields
    const recorded = await core.db.query<{ provider_message_id: string; cost: string; provider_status_code: number; delivery_status: string }>(
      'SELECT provider_message_id, cost, provider_status_code, delivery_status FROM sms_outbox WHERE id = ANY($1::bigint[])',
      [ids],
    );
    expect(new Set(recorded.rows.map((r) => r.provider_message_id)).size).toBe(40);
    for (const r of recorded.rows) expect(r).toMatchObject({ cost: 'KES 0.8000', provider_status_code: 101, delivery_status: 'Success' });
  });

  it('backs off exponentially and gives up after the last attempt', async () => {
    await settleBacklog();
    const [id] = await queueReplies(1, 'backoff');
    const failing = scriptedSender(() => ({ kind: 'transient', statusCode: 407, reason: 'CouldNotRoute' }));
    const opts = options({ sender: failing, maxAttempts: 3, backoffBaseMs: 1_000, backoffCapMs: 1_500 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const before = clock().getTime();
      expect(await sendDueOnce(opts)).toMatchObject({ claimed: 1, [attempt < 3 ? 'retried' : 'failed']: 1 });
      const r = await row(id!);
      delays.push(new Date(r.next_attempt_at).getTime() - before);
      clock.set(r.next_attempt_at);
    }
    // 1 s, then 2 s capped at 1.5 s; the third attempt was the last
    expect(delays.slice(0, 2)).toEqual([1_000, 1_500]);
    expect(await row(id!)).toMatchObject({ status: 'failed', attempts: 3, failure_reason: 'CouldNotRoute' });
    clock.advance(3600_000);
    expect(await sendDueOnce(opts)).toMatchObject({ claimed: 0 });
    expect(failing.sends).toHaveLength(3);
  });

  it('a send that hangs is given up after the timeout and retried', async () => {
    await settleBacklog();
    const [id] = await queueReplies(1, 'hang');
    const hanging = scriptedSender(() => new Promise<SendResult>(() => undefined));
    expect(await sendDueOnce(options({ sender: hanging, sendTimeoutMs: 50 }))).toMatchObject({ claimed: 1, retried: 1 });
    expect(await row(id!)).toMatchObject({ status: 'pending', attempts: 1, failure_reason: 'timeout after 50 ms' });
  });

  it('a result that arrives after the lease ran out cannot undo the newer attempt', async () => {
    await settleBacklog();
    const [id] = await queueReplies(1, 'late');
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const stuck = scriptedSender(async () => {
      await gate;
      return { kind: 'transient', statusCode: 500, reason: 'late failure' };
    });
    const first = sendDueOnce(options({ sender: stuck, sendTimeoutMs: 10_000 }));
    // wait until the first worker has claimed
    for (let i = 0; i < 100 && (await row(id!)).attempts === 0; i++) await new Promise((r) => setTimeout(r, 5));
    clock.advance(LEASE);
    const healthy = scriptedSender();
    expect(await sendDueOnce(options({ sender: healthy }))).toMatchObject({ claimed: 1, sent: 1 });
    release();
    await first;
    expect(await row(id!)).toMatchObject({ status: 'sent', attempts: 2, failure_reason: null });
  });

  it('promotional messages skip players who sent STOP; receipts still go to them', async () => {
    await settleBacklog();
    const out = await newPlayer(core);
    const inn = await newPlayer(core);
    await t.db.query('UPDATE players SET promo_opt_out = true WHERE id = $1', [out.id]);
    for (const p of [out, inn]) {
      await core.db.tx((q) =>
        q.query(
          `INSERT INTO sms_outbox (player_id, msisdn, kind, params, next_attempt_at, created_at) VALUES ($1, $2, 'promo', $3, $4, $4)`,
          [p.id, p.msisdn, JSON.stringify({ text: 'Double odds tonight!' }), clock()],
        ),
      );
    }
    await deposit(core, { playerId: out.id, amount: 100_00, receipt: 'STOPPED1', now: clock() });
    const sender = scriptedSender();
    expect(await sendDueOnce(options({ sender }))).toMatchObject({ claimed: 3, sent: 2, failed: 1 });
    expect(sender.sends.map((s) => [s.to, s.message.slice(0, 20)]).sort()).toEqual(
      [
        [inn.msisdn, 'Double odds tonight!'],
        [out.msisdn, 'Deposit of KES 100.0'],
      ].sort(),
    );
    const { rows } = await t.db.query<{ status: string; failure_reason: string }>(
      `SELECT status, failure_reason FROM sms_outbox WHERE kind = 'promo' AND player_id = $1`,
      [out.id],
    );
    expect(rows[0]).toEqual({ status: 'failed', failure_reason: 'promo_opt_out' });
  });

  it('a message that cannot be rendered fails at once instead of going out garbled', async () => {
    await settleBacklog();
    await core.db.tx((q) =>
      q.query(
        `INSERT INTO sms_outbox (msisdn, kind, params, next_attempt_at, created_at) VALUES ('254711000002', 'mystery', '{}', $1, $1)`,
        [clock()],
      ),
    );
    const sender = scriptedSender();
    expect(await sendDueOnce(options({ sender }))).toMatchObject({ claimed: 1, failed: 1 });
    expect(sender.sends).toHaveLength(0);
  });

  it('the running worker sends what is due and stops cleanly', async () => {
    await settleBacklog();
    const ids = await queueReplies(3, 'loop');
    const sender = scriptedSender();
    const worker = startOutboxWorker({ ...options({ sender }), intervalMs: 10, batch: 2 });
    for (let i = 0; i < 200 && sender.sends.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await worker.stop();
    expect(sender.sends).toHaveLength(3);
    for (const id of ids) expect((await row(id)).status).toBe('sent');
  });
});
