-- M-Pesa through Safaricom Daraja: deposits (STK push), payouts (B2C), paybill payments (C2B), every raw callback,
-- money parked in suspense for support, and the shared OAuth token.

-- Every callback Daraja (or the simulator) posted to us, stored as received BEFORE it is applied, so a callback that
-- cannot be applied (unknown id, bad shape, our own outage) is still on record. `ref` is what the callback is about
-- (CheckoutRequestID, OriginatorConversationID, TransID) when it could be read.
CREATE TABLE payment_callbacks (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('stk', 'b2c_result', 'b2c_timeout', 'status_result', 'status_timeout',
                                              'c2b_validation', 'c2b_confirmation')),
  ref          text,
  source_ip    text,
  body         text NOT NULL,
  -- received → applied | duplicate | unmatched | malformed | ignored | suspense | failed
  outcome      text NOT NULL DEFAULT 'received',
  detail       text,
  received_at  timestamptz NOT NULL,
  processed_at timestamptz
);
CREATE INDEX payment_callbacks_ref_idx ON payment_callbacks (kind, ref);
CREATE INDEX payment_callbacks_unmatched_idx ON payment_callbacks (received_at) WHERE outcome = 'unmatched';

-- One row per STK push we started. The row, not the receipt string, is the unit of idempotency: whatever path
-- resolves it first (callback, STK query, C2B echo) credits it, and every later path finds it final.
CREATE TABLE deposits (
  id                  bigserial PRIMARY KEY,
  player_id           bigint NOT NULL REFERENCES players (id),
  msisdn              text NOT NULL,
  amount              bigint NOT NULL CHECK (amount > 0),
  state               text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'credited', 'failed', 'unresolved')),
  -- null until Daraja accepted the push (or when the request timed out and we never learned it)
  checkout_request_id text UNIQUE,
  merchant_request_id text,
  -- the M-Pesa receipt when known (a credit from an STK query has none until a late callback brings it)
  receipt             text,
  -- the receipt key the ledger credit was made under: the M-Pesa receipt, or stkq:<CheckoutRequestID>
  credit_key          text,
  result_code         text,
  result_desc         text,
  -- why support should look: amount_mismatch, phone_mismatch, paid_after_failure, receipt_conflict, no_answer
  flag                text,
  -- what M-Pesa said was paid, when it differed from what we asked
  paid_amount         bigint,
  paid_msisdn         text,
  attempts            int NOT NULL DEFAULT 0,
  next_check_at       timestamptz,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  resolved_at         timestamptz
);
CREATE INDEX deposits_pending_idx ON deposits (created_at) WHERE state = 'pending';
CREATE INDEX deposits_player_idx ON deposits (player_id, id DESC);
CREATE INDEX deposits_orphan_idx ON deposits (msisdn, amount) WHERE checkout_request_id IS NULL;

-- One row per reserved withdrawal sent to B2C. OriginatorConversationID is derived from the withdrawal id, so a
-- resent request is recognised by Daraja (500.002.1001) and can never pay twice.
CREATE TABLE payouts (
  id                         bigserial PRIMARY KEY,
  withdrawal_id              bigint NOT NULL UNIQUE REFERENCES withdrawals (id),
  msisdn                     text NOT NULL,
  -- the withdrawal's net in cents, and what B2C was asked to pay (whole shillings, in cents)
  amount                     bigint NOT NULL CHECK (amount > 0),
  sent_amount                bigint NOT NULL CHECK (sent_amount >= 0),
  originator_conversation_id text NOT NULL UNIQUE,
  conversation_id            text,
  -- pending: not known to be accepted (not sent, or the request's answer was lost): resent with the same id
  -- accepted: Daraja took it; timed_out: its queue timed out: neither is a failure, Transaction Status decides
  state                      text NOT NULL CHECK (state IN ('pending', 'accepted', 'timed_out', 'paid', 'failed', 'unresolved')),
  receipt                    text,
  result_code                text,
  result_desc                text,
  flag                       text,
  -- the last Transaction Status query's ids, to match its result
  status_conversation_id     text,
  status_originator_id       text,
  attempts                   int NOT NULL DEFAULT 0,
  next_check_at              timestamptz,
  created_at                 timestamptz NOT NULL,
  updated_at                 timestamptz NOT NULL,
  resolved_at                timestamptz
);
CREATE INDEX payouts_open_idx ON payouts (next_check_at) WHERE state IN ('pending', 'accepted', 'timed_out');
CREATE INDEX payouts_status_conv_idx ON payouts (status_conversation_id);
CREATE INDEX payouts_status_orig_idx ON payouts (status_originator_id);

-- Every C2B confirmation (a customer paid our paybill from the M-Pesa menu), once per TransID.
CREATE TABLE c2b_payments (
  id          bigserial PRIMARY KEY,
  trans_id    text NOT NULL UNIQUE,
  trans_type  text,
  trans_time  text,
  bill_ref    text NOT NULL,
  -- as sent: often masked or hashed
  msisdn      text,
  first_name  text,
  amount      bigint NOT NULL CHECK (amount > 0),
  player_id   bigint REFERENCES players (id),
  deposit_id  bigint REFERENCES deposits (id),
  -- credited: to a player's wallet; stk_echo: the C2B copy of an STK deposit; suspense: unknown account;
  -- receipt_conflict: the receipt was already credited with another amount (nothing moved, support looks)
  state       text NOT NULL CHECK (state IN ('credited', 'stk_echo', 'suspense', 'receipt_conflict')),
  received_at timestamptz NOT NULL
);

-- Money that arrived but could not be credited to anyone: held in the `suspense` ledger account until support
-- credits the right player or refunds it.
CREATE TABLE payment_suspense (
  id          bigserial PRIMARY KEY,
  source      text NOT NULL CHECK (source IN ('c2b_unknown_account', 'stk_mismatch', 'stk_unmatched')),
  ref         text NOT NULL,
  amount      bigint NOT NULL CHECK (amount > 0),
  msisdn      text,
  account     text,
  receipt     text,
  player_id   bigint REFERENCES players (id),
  deposit_id  bigint REFERENCES deposits (id),
  reason      text NOT NULL,
  state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
  created_at  timestamptz NOT NULL,
  resolved_at timestamptz,
  resolution  text,
  UNIQUE (source, ref)
);
CREATE INDEX payment_suspense_open_idx ON payment_suspense (created_at) WHERE state = 'open';

-- The Daraja OAuth token, shared by every instance: a new token may invalidate the previous one, so instances that
-- each kept their own would keep knocking each other's token out.
CREATE TABLE payment_oauth_tokens (
  name         text PRIMARY KEY,
  access_token text NOT NULL,
  expires_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
