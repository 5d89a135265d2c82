/**
 * Handles one incoming SMS (Africa's Talking's inbound callback): at most once per message id, rate limited per
 * phone, always answered by SMS through the outbox.
 *
 * Order of work, and why:
 *  1. Already recorded (same `id`)? Then nothing: AT re-posts a callback until it gets a 200.
 *  2. Over this phone's limit for the current minute? The first message over it is recorded with a "slow down" reply
 *     (both in one transaction); later ones in the same minute are recorded and not answered.
 *  3. Run the command (sms-command-runner.ts). It calls MenuServices, which commit their own transactions (a bet, a
 *     withdrawal reservation): they cannot share ours, and PGlite has a single connection, so a transaction of ours
 *     cannot stay open around them. Money commands are keyed by the message id instead.
 *  4. Record the message and queue its reply in ONE transaction (INSERT … ON CONFLICT (provider_id) DO NOTHING: if a
 *     twin got there first, no second reply). The message counts as handled only once its reply is queued.
 *
 * A crash between 3 and 4 records nothing, so AT's next re-post runs the command again: the bet or withdrawal keyed by
 * the message id is found, not repeated (one bet, one reply). Messages from one phone are handled one after another in
 * this process (a per-phone queue), so a re-post racing its original waits and then finds it recorded; across
 * instances such a race is possible but needs AT to re-post within the few milliseconds of the first handling.
 *
 * The work is done before the HTTP answer: it is a handful of queries (well under AT's ~10 s timeout), and answering
 * after recording means a 200 always stands for a handled message.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import { int, type Db, type Queryable } from '../../core/db.ts';
import { queueSms } from '../../core/outbox.ts';
import type { Lang, MenuServices } from '../../menus/services.ts';
import { maskMsisdn, normaliseMsisdn } from '../telco/msisdn.ts';
import { runCommand, type CommandOutcome } from './sms-command-runner.ts';
import { commandName, parseCommand } from './sms-commands.ts';
import { textsFor } from './sms-texts.ts';

/** optional text fields we only store: blank is unset, NUL (which PostgreSQL text cannot hold) is dropped */
const optional = (max: number) =>
  z.preprocess(
    (v) => (typeof v !== 'string' ? v : v.replace(/\u0000/g, '').trim() === '' ? undefined : v.replace(/\u0000/g, '')),
    z.string().trim().max(max).optional(),
  );

const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

export const AtInboundSmsSchema = z.object({
  id: z.string().trim().min(1).max(100).regex(PRINTABLE, 'control characters'),
  from: z.string().trim().min(1).max(32).regex(PRINTABLE, 'control characters'),
  to: optional(32),
  // long concatenated texts are cut, not refused: the answer is a syntax hint either way. NUL cannot be stored in a
  // PostgreSQL text column and means nothing in an SMS.
  text: z
    .string()
    .default('')
    .transform((s) => s.replace(/\u0000/g, '').slice(0, 1000)),
  date: optional(64),
  linkId: optional(100),
  networkCode: optional(16),
});
export type InboundSms = z.infer<typeof AtInboundSmsSchema>;

export type InboundOutcome = 'answered' | 'duplicate' | 'throttled' | 'silenced' | 'ignored';

export interface InboundDeps {
  db: Db;
  clock: Clock;
  services: MenuServices;
  logger: Logger;
  /** messages a phone may send per minute before it is told to slow down */
  maxPerMinute: number;
  termsUrl: string;
}

interface InboundRecord {
  sms: InboundSms;
  msisdn: string;
  playerId: number | null;
  status: 'answered' | 'throttled' | 'silenced' | 'ignored';
  command: string | null;
  reply: string | null;
  now: Date;
}

/** true when this call recorded the message; false when it was there already */
async function recordInbound(q: Queryable, r: InboundRecord): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO sms_inbound (provider_id, msisdn, short_code, text, link_id, network_code, provider_date, player_id,
                              status, command, reply, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (provider_id) DO NOTHING
     RETURNING id`,
    [
      r.sms.id,
      r.msisdn,
      r.sms.to ?? null,
      r.sms.text,
      r.sms.linkId ?? null,
      r.sms.networkCode ?? null,
      r.sms.date ?? null,
      r.playerId,
      r.status,
      r.command,
      r.reply,
      r.now,
    ],
  );
  return rows.length > 0;
}

async function alreadyRecorded(q: Queryable, providerId: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM sms_inbound WHERE provider_id = $1', [providerId]);
  return rows.length > 0;
}

/** messages from this phone in the current clock minute (the limit's window) */
async function countThisMinute(q: Queryable, msisdn: string, now: Date): Promise<number> {
  const start = Math.floor(now.getTime() / 60_000) * 60_000;
  const { rows } = await q.query<{ n: unknown }>(
    'SELECT count(*) AS n FROM sms_inbound WHERE msisdn = $1 AND received_at >= $2 AND received_at < $3',
    [msisdn, new Date(start), new Date(start + 60_000)],
  );
  return int(rows[0]?.n ?? 0);
}

/** runs jobs one after another per key, in arrival order */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job, job);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

export function createInboundSmsHandler(deps: InboundDeps): (sms: InboundSms) => Promise<InboundOutcome> {
  const queue = new KeyedQueue();
  return (sms) => queue.run(normaliseMsisdn(sms.from) ?? sms.from, () => handleInbound(deps, sms));
}

async function handleInbound(deps: InboundDeps, sms: InboundSms): Promise<InboundOutcome> {
  const { db, services, logger } = deps;
  const now = deps.clock();
  if (await alreadyRecorded(db, sms.id)) return 'duplicate';

  const msisdn = normaliseMsisdn(sms.from);
  if (msisdn === null) {
    // players are Kenyan mobile numbers; anything else is recorded for support and not answered
    logger.warn({ from: maskMsisdn(sms.from), smsId: sms.id }, 'inbound sms from a number that is not a Kenyan mobile; ignored');
    await recordInbound(db, { sms, msisdn: sms.from, playerId: null, status: 'ignored', command: null, reply: null, now });
    return 'ignored';
  }

  const recent = await countThisMinute(db, msisdn, now);
  if (recent >= deps.maxPerMinute) {
    const player = await services.findPlayer(msisdn);
    const first = recent === deps.maxPerMinute;
    const reply = first ? textsFor(player?.language).slowDown : null;
    await db.tx(async (q) => {
      const recorded = await recordInbound(q, {
        sms,
        msisdn,
        playerId: player?.id ?? null,
        status: first ? 'throttled' : 'silenced',
        command: null,
        reply,
        now,
      });
      if (recorded && reply !== null) {
        await queueSms(q, { playerId: player?.id ?? null, msisdn, kind: 'reply', params: { text: reply }, dedupeKey: `sms_reply:${sms.id}`, now });
      }
    });
    if (first) logger.warn({ from: maskMsisdn(msisdn), perMinute: deps.maxPerMinute }, 'sms rate limit reached');
    return first ? 'throttled' : 'silenced';
  }

  const player = await services.findPlayer(msisdn);
  const cmd = parseCommand(sms.text);
  let outcome: CommandOutcome;
  try {
    outcome = await runCommand(deps, { msisdn, inboundId: sms.id, player }, cmd);
  } catch (err) {
    // a bug or an outage inside a command: the player is told to try again rather than left without an answer
    logger.error({ err, smsId: sms.id, command: commandName(cmd) }, 'sms command failed');
    const language: Lang = player?.language ?? 'en';
    outcome = { reply: textsFor(language).busy, playerId: player?.id ?? null, language };
  }

  await db.tx(async (q) => {
    const recorded = await recordInbound(q, {
      sms,
      msisdn,
      playerId: outcome.playerId,
      status: 'answered',
      command: commandName(cmd),
      reply: outcome.reply ?? `[answered by ${outcome.answeredBy ?? 'receipt'}]`,
      now,
    });
    if (recorded && outcome.reply !== null) {
      await queueSms(q, {
        playerId: outcome.playerId,
        msisdn,
        kind: 'reply',
        params: { text: outcome.reply },
        dedupeKey: `sms_reply:${sms.id}`,
        now,
      });
    }
  });
  return 'answered';
}
