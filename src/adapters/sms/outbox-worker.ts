/**
 * Sends what the transactional outbox (sms_outbox) owes, so several instances can run side by side.
 *
 * One run:
 *  1. Claim: one statement picks due pending rows `FOR UPDATE SKIP LOCKED` (rows another worker is claiming are
 *     skipped, not waited for), pushes their next_attempt_at one lease ahead and counts the attempt, and commits.
 *     A claimed row is invisible to other workers until its lease runs out. No status column is needed for it.
 *  2. Send, outside any transaction, every claimed row concurrently, each bounded by a timeout shorter than the lease.
 *  3. Record each result as soon as it arrives: sent (provider id, cost, status code), failed (permanent, with the
 *     reason) or pending again with exponential backoff (transient), failed after the last attempt.
 *
 * Guarantees, and the one gap:
 *  - A crash after the claim and before the send leaves the row pending; it is due again when the lease ends and
 *    another (or the restarted) worker sends it: at-least-once, never lost.
 *  - A crash (or a database outage) between the provider's 201 and our update sends the message again after the
 *    lease: the provider has no idempotency key for SMS. The window is one UPDATE long because each result is
 *    recorded the moment it arrives, not at the end of the batch. The same applies to a send that times out on our
 *    side but was accepted. A duplicate receipt is the price of never losing one.
 *  - A late result from a worker whose lease ran out cannot undo newer work: a failure is recorded only while the
 *    row still carries the attempt count of that worker's claim; a success is recorded while the row is pending.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import { int, type Db } from '../../core/db.ts';
import { maskMsisdn } from '../telco/msisdn.ts';
import { PROMOTIONAL_KINDS, renderOutboxMessage } from './outbox-render.ts';
import { OUTBOX_DEFAULTS } from './sms-config.ts';
import { describeError, sendWithTimeout, type SendResult, type SmsSender } from './sms-sender.ts';

export interface OutboxWorkerOptions {
  db: Db;
  sender: SmsSender;
  clock: Clock;
  /** rows claimed per run */
  batch?: number;
  logger?: Logger;
  /** how long a claim hides a row from other workers; must exceed sendTimeoutMs */
  leaseMs?: number;
  sendTimeoutMs?: number;
  /** attempts before a transiently failing message is given up as failed */
  maxAttempts?: number;
  /** first retry delay; doubles per attempt up to backoffCapMs (defaults: OUTBOX_DEFAULTS in sms-config.ts) */
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

export interface ClaimedSms {
  id: number;
  playerId: number | null;
  msisdn: string;
  kind: string;
  params: unknown;
  /** the attempt this claim is, counting from 1 */
  attempts: number;
  language: string | null;
  promoOptOut: boolean;
}

export interface SendRunSummary {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

/** delay before the retry that follows attempt `attempts` (1-based): base, 2×base, 4×base… capped */
export function backoffMs(attempts: number, baseMs: number, capMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(attempts - 1, 0), capMs);
}

/** step 1: claims up to `batch` due rows for `leaseMs`, committed before anything is sent */
export async function claimDue(db: Db, now: Date, batch: number, leaseMs: number): Promise<ClaimedSms[]> {
  const { rows } = await db.query<{
    id: unknown;
    player_id: unknown;
    msisdn: string;
    kind: string;
    params: unknown;
    attempts: unknown;
    language: string | null;
    promo_opt_out: boolean | null;
  }>(
    `WITH due AS (
       SELECT id FROM sms_outbox
        WHERE status = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     )
     UPDATE sms_outbox o
        SET attempts = o.attempts + 1, next_attempt_at = $3
       FROM due
      WHERE o.id = due.id AND o.status = 'pending'
     RETURNING o.id, o.player_id, o.msisdn, o.kind, o.params, o.attempts,
               (SELECT p.language FROM players p WHERE p.id = o.player_id) AS language,
               (SELECT p.promo_opt_out FROM players p WHERE p.id = o.player_id) AS promo_opt_out`,
    [now, batch, new Date(now.getTime() + leaseMs)],
  );
  return rows
    .map((r) => ({
      id: int(r.id),
      playerId: r.player_id === null ? null : int(r.player_id),
      msisdn: r.msisdn,
      kind: r.kind,
      params: r.params,
      attempts: int(r.attempts),
      language: r.language,
      promoOptOut: r.promo_opt_out === true,
    }))
    .sort((a, b) => a.id - b.id);
}

/** one UPDATE (one commit) for every message of the run that the provider took */
async function recordSent(db: Db, sent: { row: ClaimedSms; result: Extract<SendResult, { kind: 'sent' }>; at: Date }[]): Promise<void> {
  if (sent.length === 0) return;
  const rows = sent.map(({ row, result, at }) => ({
    id: row.id,
    at: at.toISOString(),
    message_id: result.messageId,
    cost: result.cost,
    code: result.statusCode,
    delivery: result.status || null,
  }));
  await db.query(
    `UPDATE sms_outbox o
        SET status = 'sent', sent_at = s.at, provider_message_id = s.message_id, cost = s.cost,
            provider_status_code = s.code, delivery_status = s.delivery, failure_reason = NULL
       FROM jsonb_to_recordset($1::jsonb) AS s(id bigint, at timestamptz, message_id text, cost text, code int, delivery text)
      WHERE o.id = s.id AND o.status = 'pending'`,
    [JSON.stringify(rows)],
  );
}

async function recordFailed(db: Db, row: ClaimedSms, reason: string, statusCode: number | null): Promise<void> {
  await db.query(
    `UPDATE sms_outbox SET status = 'failed', failure_reason = $3, provider_status_code = $4
      WHERE id = $1 AND status = 'pending' AND attempts = $2`,
    [row.id, row.attempts, reason.slice(0, 500), statusCode],
  );
}

/** pending again after the backoff, or failed when this was the last attempt; returns which */
async function recordRetry(
  db: Db,
  row: ClaimedSms,
  result: Extract<SendResult, { kind: 'transient' }>,
  nextAt: Date,
  maxAttempts: number,
): Promise<'retried' | 'failed'> {
  const last = row.attempts >= maxAttempts;
  await db.query(
    `UPDATE sms_outbox SET status = $3, next_attempt_at = $4, failure_reason = $5, provider_status_code = $6
      WHERE id = $1 AND status = 'pending' AND attempts = $2`,
    [row.id, row.attempts, last ? 'failed' : 'pending', nextAt, result.reason.slice(0, 500), result.statusCode],
  );
  return last ? 'failed' : 'retried';
}

/** one run: claim, send, record. Safe to call from several processes at once. */
export async function sendDueOnce(opts: OutboxWorkerOptions): Promise<SendRunSummary> {
  const o = { ...OUTBOX_DEFAULTS, ...definedOnly(opts) };
  const { db, sender, clock, logger } = opts;
  const claimed = await claimDue(db, clock(), o.batch, o.leaseMs);
  const summary: SendRunSummary = { claimed: claimed.length, sent: 0, retried: 0, failed: 0 };
  const sent: Parameters<typeof recordSent>[1] = [];

  await Promise.all(
    claimed.map(async (row) => {
      const log = { smsId: row.id, kind: row.kind, to: maskMsisdn(row.msisdn), attempt: row.attempts };
      try {
        if (PROMOTIONAL_KINDS.has(row.kind) && row.promoOptOut) {
          await recordFailed(db, row, 'promo_opt_out', null);
          summary.failed += 1;
          return;
        }
        let message: string;
        try {
          message = renderOutboxMessage(row.kind, row.params, row.language);
        } catch (err) {
          logger?.error({ ...log, err }, 'sms could not be rendered; not sent');
          await recordFailed(db, row, `render: ${describeError(err)}`, null);
          summary.failed += 1;
          return;
        }
        const result = await sendWithTimeout(sender, row.msisdn, message, o.sendTimeoutMs);
        const now = clock();
        if (result.kind === 'sent') {
          sent.push({ row, result, at: now });
        } else if (result.kind === 'permanent') {
          await recordFailed(db, row, result.reason, result.statusCode);
          summary.failed += 1;
          const level = result.statusCode === 401 || result.statusCode === 402 ? 'error' : 'warn';
          logger?.[level]({ ...log, code: result.statusCode, reason: result.reason }, 'sms failed permanently');
        } else {
          const nextAt = new Date(now.getTime() + backoffMs(row.attempts, o.backoffBaseMs, o.backoffCapMs));
          const outcome = await recordRetry(db, row, result, nextAt, o.maxAttempts);
          summary[outcome] += 1;
          logger?.warn(
            { ...log, code: result.statusCode, reason: result.reason, next: outcome === 'retried' ? nextAt : null },
            outcome === 'retried' ? 'sms send failed; will retry' : 'sms send failed; out of attempts',
          );
        }
      } catch (err) {
        // the database failed while recording: the claim runs out and the row is sent again (see the header)
        logger?.error({ ...log, err }, 'sms result could not be recorded');
      }
    }),
  );
  try {
    await recordSent(db, sent);
    summary.sent = sent.length;
  } catch (err) {
    // as above: the claims run out and these messages are sent again
    logger?.error({ err, sms: sent.map((s) => s.row.id) }, 'sent sms could not be recorded');
  }
  return summary;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface RunningOutboxWorker {
  stop(): Promise<void>;
}

/**
 * Runs `sendDueOnce` every `intervalMs`, and again at once while runs come back full (a backlog drains at full
 * speed). `stop()` lets the run in progress finish.
 */
export function startOutboxWorker(opts: OutboxWorkerOptions & { intervalMs: number; onError?: (err: unknown) => void }): RunningOutboxWorker {
  const batch = opts.batch ?? OUTBOX_DEFAULTS.batch;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = () => {
    timer = undefined;
    running = (async () => {
      let again = false;
      try {
        const summary = await sendDueOnce(opts);
        again = summary.claimed >= batch;
      } catch (err) {
        (opts.onError ?? ((e: unknown) => opts.logger?.error({ err: e }, 'sms outbox run failed')))(err);
      }
      if (!stopped) timer = setTimeout(tick, again ? 0 : opts.intervalMs);
    })();
  };
  timer = setTimeout(tick, 0);

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
