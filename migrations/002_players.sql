CREATE TABLE players (
  id                  bigserial PRIMARY KEY,
  msisdn              text NOT NULL UNIQUE CHECK (msisdn ~ '^254(7|1)[0-9]{8}$'),
  language            text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'sw')),
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
  -- self-exclusion is a date, not a status: it ends by itself
  excluded_until      timestamptz,
  daily_deposit_limit bigint CHECK (daily_deposit_limit > 0),
  daily_stake_limit   bigint CHECK (daily_stake_limit > 0),
  wallet_account_id   bigint NOT NULL UNIQUE REFERENCES accounts (id),
  accepted_terms_at   timestamptz NOT NULL,
  created_at          timestamptz NOT NULL
);

-- per Nairobi calendar day; rows are only written under the player's wallet lock
CREATE TABLE player_daily_totals (
  player_id bigint NOT NULL,
  day       date NOT NULL,
  staked    bigint NOT NULL DEFAULT 0,
  deposited bigint NOT NULL DEFAULT 0,
  withdrawn bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (player_id, day)
);

CREATE TABLE withdrawals (
  id                  bigserial PRIMARY KEY,
  idempotency_key     text NOT NULL UNIQUE,
  player_id           bigint NOT NULL REFERENCES players (id),
  amount              bigint NOT NULL CHECK (amount > 0),
  wht                 bigint NOT NULL CHECK (wht >= 0),
  net                 bigint NOT NULL CHECK (net > 0),
  state               text NOT NULL CHECK (state IN ('reserved', 'completed', 'failed')),
  receipt             text,
  failure_reason      text,
  created_at          timestamptz NOT NULL,
  finished_at         timestamptz
);
CREATE INDEX withdrawals_player_idx ON withdrawals (player_id, id DESC);

-- Transactional outbox: a message owed to a player is written in the same transaction as the event it reports, so
-- no receipt is lost and none is sent for money that did not move. The sender renders `kind` + `params` in the
-- player's language when it sends.
CREATE TABLE sms_outbox (
  id                  bigserial PRIMARY KEY,
  player_id           bigint,
  msisdn              text NOT NULL,
  kind                text NOT NULL,
  params              jsonb NOT NULL DEFAULT '{}',
  -- one message per event however often the event is replayed ("deposit:<receipt>"); events that are idempotent
  -- by construction (a placed bet) leave it null and skip the index
  dedupe_key          text,
  status              text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sent', 'failed', 'delivered', 'undelivered')),
  attempts            int NOT NULL DEFAULT 0,
  next_attempt_at     timestamptz NOT NULL,
  created_at          timestamptz NOT NULL,
  sent_at             timestamptz,
  provider_message_id text,
  cost                text,
  delivery_status     text,
  failure_reason      text
);
CREATE UNIQUE INDEX sms_outbox_dedupe_idx ON sms_outbox (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX sms_outbox_due_idx ON sms_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX sms_outbox_provider_idx ON sms_outbox (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX sms_outbox_player_idx ON sms_outbox (player_id, id DESC);
