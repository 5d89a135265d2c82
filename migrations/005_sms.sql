-- SMS channel: promotional opt-out, what the provider said about each outbound message, and inbound messages.

-- STOP by SMS: no promotional messages. Transactional receipts (bets, payments, self-exclusion) are still sent.
ALTER TABLE players ADD COLUMN promo_opt_out boolean NOT NULL DEFAULT false;

-- The per-recipient status code of the send (101 Sent, 406 UserInBlacklist, ...), and when the last delivery report
-- arrived. Claiming needs no column: a worker claims a due row by pushing next_attempt_at one lease ahead.
ALTER TABLE sms_outbox ADD COLUMN provider_status_code int;
ALTER TABLE sms_outbox ADD COLUMN delivery_reported_at timestamptz;

-- Every message a phone sent us, once: Africa's Talking re-posts a callback until it gets a 200, so its `id` is
-- UNIQUE and a repeat does nothing. The reply (if any) is queued in sms_outbox in the transaction that inserts the row.
CREATE TABLE sms_inbound (
  id            bigserial PRIMARY KEY,
  provider_id   text NOT NULL UNIQUE,
  -- normalised 2547.../2541... when it is a Kenyan mobile number, otherwise as sent
  msisdn        text NOT NULL,
  short_code    text,
  text          text NOT NULL,
  link_id       text,
  network_code  text,
  -- the aggregator's own `date` field, kept as sent
  provider_date text,
  player_id     bigint REFERENCES players (id),
  -- answered: handled (a reply queued, or a core receipt such as bet_placed answers it)
  -- throttled: over the per-minute limit, told to slow down; silenced: over it again in the same minute
  -- ignored: not a Kenyan mobile number
  status        text NOT NULL CHECK (status IN ('answered', 'throttled', 'silenced', 'ignored')),
  command       text,
  reply         text,
  received_at   timestamptz NOT NULL
);
-- the per-phone rate limit counts a phone's messages in the current minute; support looks a phone up newest first
CREATE INDEX sms_inbound_phone_idx ON sms_inbound (msisdn, received_at DESC);
