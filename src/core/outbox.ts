import type { Queryable } from './db.ts';

/**
 * What a player is told, by kind. The core only records that a message is owed (in the transaction of the event it
 * reports); the SMS adapter renders it in the player's language and sends it.
 */
export type SmsKind =
  | 'bet_placed'
  | 'bet_won'
  | 'bet_void'
  | 'deposit_credited'
  | 'deposit_failed'
  | 'withdrawal_paid'
  | 'withdrawal_failed'
  | 'self_excluded'
  | 'reply';

export interface QueuedSms {
  playerId: number | null;
  /** defaults to the player's number; required for someone who is not a player yet */
  msisdn?: string;
  kind: SmsKind;
  params: Record<string, unknown>;
  /** the event's identity: queuing the same key twice queues one message */
  dedupeKey?: string;
  now: Date;
}

/** call inside the transaction of the event the message reports */
export async function queueSms(q: Queryable, sms: QueuedSms): Promise<void> {
  await q.query(
    `INSERT INTO sms_outbox (player_id, msisdn, kind, params, dedupe_key, next_attempt_at, created_at)
     SELECT $1, coalesce($2, (SELECT msisdn FROM players WHERE id = $1)), $3, $4::jsonb, $5, $6, $6
     ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
    [sms.playerId, sms.msisdn ?? null, sms.kind, JSON.stringify(sms.params), sms.dedupeKey ?? null, sms.now],
  );
}
