import type { UssdReply } from '../adapters/telco/ussd.ts';

/**
 * The seam between the session layer and the menus: the session layer owns locking, storage, retries and the hop
 * log; the conversation owns what the player sees. A conversation is pure with respect to storage: it takes the
 * persisted snapshot (or none) and the new inputs, and hands back the next snapshot and the reply.
 */
export interface HopContext {
  sessionId: string;
  phone: string;
  network: string;
}

export interface HopOutcome {
  /** persisted XState snapshot to save (JSON-serialisable); never saved with work in flight */
  snapshot: unknown;
  reply: UssdReply;
  /** the machine state the reply was rendered from, e.g. "bet.stake", for the hop log */
  state: string;
  /**
   * A half-finished bet slip or deposit that a dropped session can resume: the session layer keeps it for
   * RESUME_WINDOW_SECONDS under the phone number. null means "nothing to resume" (clear any kept value).
   */
  resumable: unknown | null;
}

export interface Conversation {
  /** first hop of a new session; `resume` is what an earlier dropped session left, if anything */
  start(ctx: HopContext, resume: unknown | null): Promise<HopOutcome>;
  /** feeds inputs one at a time (a batched `text` or a shortcut dial brings several) */
  advance(snapshot: unknown, inputs: string[], ctx: HopContext): Promise<HopOutcome>;
}
