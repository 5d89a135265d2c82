-- USSD hop log: one row per hop we answered, moved here from the session store by the hop log drainer.
-- The drainer is at-least-once: UNIQUE (session_id, seq) makes a re-drain of the same record a no-op, and its index
-- serves "show me this session" lookups.
CREATE TABLE ussd_hops (
  id           bigserial PRIMARY KEY,
  session_id   text NOT NULL,
  seq          int NOT NULL CHECK (seq > 0),
  phone        text NOT NULL,
  network      text NOT NULL,
  service_code text NOT NULL,
  -- the raw `text` the aggregator sent (the whole history) and the input(s) new in this hop, '*'-joined
  text         text NOT NULL,
  input        text NOT NULL,
  -- the body we answered: "CON ..." / "END ..."
  reply        text NOT NULL,
  -- the menu state the reply was rendered from
  state        text NOT NULL,
  latency_ms   int NOT NULL CHECK (latency_ms >= 0),
  at           timestamptz NOT NULL,
  UNIQUE (session_id, seq)
);
-- "what did this customer see": support looks a phone number up, newest first
CREATE INDEX ussd_hops_phone_idx ON ussd_hops (phone, at DESC);

-- Africa's Talking's session-end notifications. AT re-posts a notification until it gets a 200, so one row per
-- session: a repeat is ignored.
CREATE TABLE ussd_session_ends (
  id                bigserial PRIMARY KEY,
  session_id        text NOT NULL UNIQUE,
  phone             text NOT NULL,
  service_code      text,
  network           text,
  status            text NOT NULL CHECK (status IN ('Incomplete', 'Success', 'Failed')),
  -- as sent, e.g. 'KES 0.10'
  cost              text,
  duration_ms       bigint,
  hops_count        int,
  input             text,
  last_app_response text,
  error_message     text,
  -- the aggregator's own `date` field, kept as sent (its format is not ours to trust)
  reported_date     text,
  received_at       timestamptz NOT NULL
);
CREATE INDEX ussd_session_ends_phone_idx ON ussd_session_ends (phone, received_at DESC);
