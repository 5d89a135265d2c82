/**
 * One USSD hop: open the session (take its lock and read its record, one round trip) → work out the new input(s) → run
 * the conversation → commit (record, hop log entry, resume offer and unlock in one atomic round trip) → answer.
 *
 * Reading `text`. The aggregator sends the whole history of the session joined by '*'. We keep the `text` of the last
 * hop we handled (`lastText`) and compare input arrays:
 * - same text as last time              → an aggregator retry: resend `lastReply`, run nothing;
 * - ours is a prefix of theirs           → the inputs after it are new; several (a batch) are fed one by one;
 * - theirs is a strict prefix of ours    → a late/stale hop (an older retry, or a second "first hop" with text ''):
 *                                          nothing is read, the current screen is answered again;
 * - neither is a prefix of the other     → the aggregator's history diverged from ours (it rewrote an input). Nothing is
 *                                          read (guessing could confirm something the player never meant), the current
 *                                          screen is answered again, and their text becomes our baseline so the next
 *                                          hop's input is read relative to what the aggregator will send next —
 *                                          otherwise every later hop of the session would diverge too.
 * No record (a new session, or one that expired): the conversation starts (with the phone's resume offer, which the
 * open took, if any) and any inputs already present are fed to it — a shortcut dial like *290*290*1# arrives with
 * text '1' on its first hop. A session we ended (we sent END) answers that END again, whatever arrives.
 *
 * Money and failures. Only the conversation's actors move money, and only inside `start`/`advance`.
 * - Open fails (Redis down) → the conversation never runs: polite END, nothing moved.
 * - The conversation throws → polite END. (The menu conversation catches its own service failures and answers them
 *   with its "Service busy" END screen, which is saved like any END; this path is for anything that still escapes.)
 *   Nothing is saved, so a retry replays the same inputs from the same snapshot, and the release puts back a resume
 *   offer the open took; a bet that did commit before the throw is found again by its idempotency key (chosen by the
 *   menu and kept in the snapshot before the confirm screen) and re-shown rather than placed twice.
 * - Commit fails AFTER the conversation ran (e.g. a bet was placed, then Redis fell over) → we still answer with the
 *   conversation's reply: the player must see the result of what already happened. The record was not saved, so the
 *   next hop (or a retry) replays the confirm from the old snapshot, and the bet's key makes it a duplicate that shows
 *   the same reference. The hop record could not reach the store, so it is written to the application log instead.
 * - The lock was lost before the commit (the hop outlived the lock's TTL and another hop of the session may have taken
 *   it) → the store refuses the commit and writes nothing: the newer holder has read and may have saved a later state,
 *   which an older view must not overwrite. It is answered like a failed commit — the conversation's reply, since what
 *   it did has happened, with the hop record in the application log. By then the aggregator (which waits ~10 s, as
 *   long as the lock lives) has usually stopped listening, and the session's next hop is read against the newer
 *   holder's record; a confirm replayed there finds its bet by key, as above.
 * The record and its hop log entry are written in ONE commit before the reply leaves, so a hop whose reply was sent is
 * in the hop log (the drainer moves it to PostgreSQL and acks only after commit).
 *
 * Round trips per hop: open and commit (the commit releases the lock). A hop that saves nothing (a retry, a stale or
 * ended session, another phone, a failure) releases the lock instead: open and release.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { UssdReply, UssdRequest } from '../adapters/telco/ussd.ts';
import type { Clock } from '../core/clock.ts';
import type { Conversation, HopContext, HopOutcome } from '../menus/conversation.ts';
import type { HopRecord, OpenSession, ResumeChange, SessionRecord, SessionStore } from './session-store.ts';

export const BUSY_REPLY: UssdReply = { kind: 'END', screen: 'Service busy, please try again shortly.' };
/** the session's previous hop still holds the lock after the bounded wait */
export const STILL_WORKING_REPLY: UssdReply = {
  kind: 'END',
  screen: 'Your last request is still being processed. Please dial again shortly.',
};

export const DEFAULT_RESUME_WINDOW_SECONDS = 120;

export interface HopDeps {
  store: SessionStore;
  conversation: Conversation;
  /** idle TTL of the session record */
  ttlSeconds: number;
  clock: Clock;
  logger: Logger;
  /** how long a half-finished slip/deposit stays resumable after the last hop (default 120) */
  resumeWindowSeconds?: number;
  lockWaitMs?: number;
  lockTtlMs?: number;
}

/**
 * What this module keeps in the store: the store's record plus two fields of ours (the store keeps any JSON). Records
 * written before these fields existed read as `state: ''`, `resumeKept: false`.
 */
export interface HopSessionRecord extends SessionRecord {
  /** the conversation state the last reply was rendered from (for the hop log of a re-shown screen) */
  state?: string;
  /**
   * true while this session has a resume offer stored under its phone: the offer is rewritten (its window restarted)
   * on every hop that has one, and deleted once the conversation says there is nothing to resume. Knowing that
   * nothing is stored saves a DEL on every ordinary hop.
   */
  resumeKept?: boolean;
}

export type InputStep =
  | { kind: 'retry' }
  | { kind: 'inputs'; inputs: string[] }
  | { kind: 'stale' }
  | { kind: 'diverged' };

/** Splits AT's `text` into inputs the way the adapter does: '' is no input at all. */
export function splitText(text: string): string[] {
  return text === '' ? [] : text.split('*');
}

/** How the hop's text relates to the last handled one (see the module comment). */
export function readInputs(lastText: string, rawText: string, inputs: readonly string[]): InputStep {
  if (rawText === lastText) return { kind: 'retry' };
  const handled = splitText(lastText);
  let common = 0;
  while (common < handled.length && common < inputs.length && handled[common] === inputs[common]) common += 1;
  if (common === handled.length) {
    // equal arrays with a different raw text cannot happen with '*'-joined text, but would be a retry
    return inputs.length > handled.length ? { kind: 'inputs', inputs: inputs.slice(handled.length) } : { kind: 'retry' };
  }
  if (common === inputs.length) return { kind: 'stale' };
  return { kind: 'diverged' };
}

/** The reply as kept in the record: "CON <screen>" / "END <screen>". */
export function encodeReply(reply: UssdReply): string {
  return `${reply.kind} ${reply.screen}`;
}

export function decodeReply(body: string): UssdReply {
  const kind = body.slice(0, 3);
  if ((kind !== 'CON' && kind !== 'END') || (body.length > 3 && body[3] !== ' ')) {
    throw new Error('stored reply is not CON/END');
  }
  return { kind, screen: body.slice(4) };
}

/**
 * Handles one hop and always answers: every failure becomes a polite END (logged once here), never an exception.
 */
export async function handleHop(deps: HopDeps, req: UssdRequest): Promise<UssdReply> {
  const started = performance.now();
  const at = deps.clock().getTime();
  const where = { sessionId: req.sessionId, phone: req.phone, text: req.rawText };

  let session;
  try {
    // the store's defaults (session-store.ts) unless these deps say otherwise
    session = await deps.store.open(req.sessionId, req.phone, { ttlMs: deps.lockTtlMs, waitMs: deps.lockWaitMs });
  } catch (err) {
    deps.logger.error({ err, ...where }, 'ussd hop failed: session store unavailable');
    return BUSY_REPLY;
  }
  if (session === null) {
    deps.logger.warn(where, 'ussd hop gave up waiting for its session lock');
    return STILL_WORKING_REPLY;
  }

  try {
    return await runOpened(deps, req, session, started, at);
  } catch (err) {
    deps.logger.error({ err, ...where }, 'ussd hop failed');
    return BUSY_REPLY;
  } finally {
    // a no-op after a commit; a lock we cannot release expires by itself (lockTtlMs); the hop has its answer either way
    await session.release().catch((err: unknown) => deps.logger.debug({ err, ...where }, 'session lock release failed'));
  }
}

async function runOpened(deps: HopDeps, req: UssdRequest, session: OpenSession, started: number, at: number): Promise<UssdReply> {
  const { conversation } = deps;
  const ctx: HopContext = { sessionId: req.sessionId, phone: req.phone, network: req.network };
  const record = session.record as HopSessionRecord | null;

  let outcome: HopOutcome;
  let newInputs: string[];

  if (record !== null) {
    if (record.phone !== req.phone) {
      // AT session ids are unique per dial: another phone on a known id is forged or corrupt, so touch nothing
      deps.logger.warn({ sessionId: req.sessionId, phone: req.phone }, 'ussd hop phone does not match its session');
      return BUSY_REPLY;
    }
    if (record.ended) return decodeReply(record.lastReply);
    const step = readInputs(record.lastText, req.rawText, req.inputs);
    if (step.kind === 'retry' || step.kind === 'stale') return decodeReply(record.lastReply);
    if (step.kind === 'diverged') {
      deps.logger.warn(
        { sessionId: req.sessionId, text: req.rawText, lastText: record.lastText },
        'ussd text diverged from the handled history: screen shown again, text taken as the new baseline',
      );
      const reply = decodeReply(record.lastReply);
      await commit(deps, req, session, record, { snapshot: record.snapshot, reply, state: record.state ?? '', resumable: undefined }, [], started, at);
      return reply;
    }
    newInputs = step.inputs;
    outcome = await conversation.advance(record.snapshot, newInputs, ctx);
  } else {
    newInputs = req.inputs;
    outcome = await conversation.start(ctx, session.resume);
    if (newInputs.length > 0 && outcome.reply.kind === 'CON') {
      outcome = await conversation.advance(outcome.snapshot, newInputs, ctx);
    }
  }

  await commit(deps, req, session, record, outcome, newInputs, started, at);
  return outcome.reply;
}

/**
 * Commits record + hop log entry + resume offer (one store call). A failure or a lost lock is logged with the hop
 * record and swallowed: the conversation has already run, so its reply is what the player must see.
 * `outcome.resumable === undefined` means "leave the resume offer as it is".
 */
async function commit(
  deps: HopDeps,
  req: UssdRequest,
  session: OpenSession,
  previous: HopSessionRecord | null,
  outcome: Pick<HopOutcome, 'snapshot' | 'reply' | 'state'> & { resumable: unknown },
  newInputs: string[],
  started: number,
  at: number,
): Promise<void> {
  const body = encodeReply(outcome.reply);
  const seq = (previous?.seq ?? 0) + 1;
  const keepOffer = outcome.resumable === undefined ? (previous?.resumeKept ?? false) : outcome.resumable !== null;
  const record: HopSessionRecord = {
    snapshot: outcome.snapshot,
    lastText: req.rawText,
    lastReply: body,
    seq,
    ended: outcome.reply.kind === 'END',
    phone: req.phone,
    updatedAt: at,
    state: outcome.state,
    resumeKept: keepOffer,
  };
  const hop: HopRecord = {
    sessionId: req.sessionId,
    seq,
    phone: req.phone,
    network: req.network,
    serviceCode: req.serviceCode,
    text: req.rawText,
    input: newInputs.join('*'),
    reply: body,
    state: outcome.state,
    latencyMs: Math.round(performance.now() - started),
    at,
  };
  let resume: ResumeChange | undefined;
  if (outcome.resumable !== undefined && outcome.resumable !== null) {
    resume = { kind: 'set', value: outcome.resumable, ttlSeconds: deps.resumeWindowSeconds ?? DEFAULT_RESUME_WINDOW_SECONDS };
  } else if (outcome.resumable === null && previous?.resumeKept === true) {
    resume = { kind: 'delete' };
  }
  try {
    const result = await session.commit(record, hop, deps.ttlSeconds, resume);
    if (result === 'lock-lost') {
      deps.logger.error(
        { hop },
        'ussd session lock expired before the commit: nothing saved, answered with its reply, hop record logged here',
      );
    }
  } catch (err) {
    deps.logger.error({ err, hop }, 'ussd session save failed after the conversation ran: answered with its reply, hop record logged here');
  }
}
