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
  player_id bigint NOT NULL REFERENCES players (id),
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
