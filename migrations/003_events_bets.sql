CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  sport       text NOT NULL CHECK (sport IN ('football', 'basketball', 'tennis')),
  round_no    bigint NOT NULL,
  match_no    int NOT NULL,
  home        text NOT NULL,
  away        text NOT NULL,
  kickoff_at  timestamptz NOT NULL,
  -- the model parameters the odds and the result come from; published so anyone can recompute both
  params      jsonb NOT NULL,
  margin      numeric NOT NULL,
  seed_hash   text NOT NULL,
  -- revealed only once the event has a result
  server_seed text NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resulted', 'settled')),
  result      jsonb,
  score       text,
  resulted_at timestamptz,
  settled_at  timestamptz,
  created_at  timestamptz NOT NULL,
  UNIQUE (sport, round_no, match_no)
);
CREATE INDEX events_open_idx ON events (kickoff_at) WHERE status = 'open';
CREATE INDEX events_resulted_idx ON events (kickoff_at) WHERE status = 'resulted';

CREATE TABLE outcomes (
  id       bigserial PRIMARY KEY,
  event_id bigint NOT NULL REFERENCES events (id),
  market   text NOT NULL,
  pick     text NOT NULL,
  line     numeric,
  -- decimal odds in hundredths: 185 = 1.85
  odds     int NOT NULL CHECK (odds >= 101),
  result   text CHECK (result IN ('won', 'lost', 'void')),
  UNIQUE (event_id, market, pick)
);

-- Room on each page lets settlement update a bet in place (a HOT update: no new index entries); nothing indexes
-- the columns settlement changes.
CREATE TABLE bets (
  id               bigserial PRIMARY KEY,
  -- no index: bet_id_from_reference() turns a reference back into its id
  reference        text NOT NULL,
  idempotency_key  text NOT NULL UNIQUE,
  input_hash       text NOT NULL,
  player_id        bigint NOT NULL,
  stake            bigint NOT NULL CHECK (stake > 0),
  excise           bigint NOT NULL CHECK (excise >= 0),
  net_stake        bigint NOT NULL CHECK (net_stake > 0),
  potential_payout bigint NOT NULL,
  legs             int NOT NULL CHECK (legs BETWEEN 1 AND 10),
  state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'won', 'lost', 'void', 'rejected')),
  payout           bigint,
  wht              bigint,
  placed_at        timestamptz NOT NULL,
  settled_at       timestamptz
) WITH (fillfactor = 85);
CREATE INDEX bets_player_idx ON bets (player_id, id DESC);

CREATE TABLE bet_selections (
  bet_id     bigint NOT NULL,
  leg        int NOT NULL,
  event_id   bigint NOT NULL,
  outcome_id bigint NOT NULL,
  odds       int NOT NULL,
  PRIMARY KEY (bet_id, leg)
);
CREATE INDEX bet_selections_event_idx ON bet_selections (event_id, bet_id);

-- Short human bet references ("B7K2QX") from the bet id: an odd multiplier is a bijection modulo 2^25, so
-- references never collide and do not reveal how many bets came before. Crockford base32 avoids I, L, O, U.
CREATE FUNCTION bet_reference(p_id bigint) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  bits int := CASE WHEN p_id < 33554432 THEN 25 ELSE 40 END;
  -- numeric: the product overflows bigint for large ids
  x bigint := ((p_id::numeric * 1103515245 + 12345) % (1::bigint << bits))::bigint;
  out text := '';
BEGIN
  FOR i IN 1 .. bits / 5 LOOP
    out := substr(alphabet, (x & 31)::int + 1, 1) || out;
    x := x >> 5;
  END LOOP;
  RETURN 'B' || out;
END $$;

-- The inverse of bet_reference(): the multiplier's inverse modulo 2^25 (2^40 for 8-character references) undoes it.
-- Returns NULL for text that is not a reference; callers still compare the reference itself.
CREATE FUNCTION bet_id_from_reference(p_ref text) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  body text := substr(p_ref, 2);
  bits int;
  x bigint := 0;
  d int;
BEGIN
  IF left(p_ref, 1) <> 'B' OR length(body) NOT IN (5, 8) THEN
    RETURN NULL;
  END IF;
  bits := length(body) * 5;
  FOR i IN 1 .. length(body) LOOP
    d := strpos(alphabet, substr(body, i, 1)) - 1;
    IF d < 0 THEN
      RETURN NULL;
    END IF;
    x := (x << 5) | d;
  END LOOP;
  RETURN (((x - 12345)::numeric * CASE WHEN bits = 25 THEN 12184421 ELSE 420616989541 END)
          % (1::bigint << bits) + (1::bigint << bits)) % (1::bigint << bits);
END $$;

-- Places a bet in one round trip. Every check that depends on state other callers can change (odds, kickoff,
-- balance, exclusion, daily stake) is made here, under the player's wallet lock, so no race slips between check
-- and debit. Stake rules that depend only on the input are checked in TypeScript before the call.
CREATE FUNCTION place_bet(
  p_key text, p_hash text, p_player bigint, p_stake bigint, p_excise bigint, p_potential bigint,
  p_outcomes bigint[], p_odds int[], p_events bigint[], p_now timestamptz, p_day date,
  p_stakes_account bigint, p_excise_account bigint
) RETURNS TABLE (outcome text, bet_id bigint, reference text, detail jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_wallet   bigint;
  v_balance  bigint;
  v_status   text;
  v_excluded timestamptz;
  v_limit    bigint;
  v_msisdn   text;
  v_staked   bigint;
  v_bet      bigint;
  v_ref      text;
  v_hash     text;
  v_missing  jsonb;
  v_closed   jsonb;
  v_changed  jsonb;
  v_transfer bigint;
  v_after    bigint;
  v_version  bigint;
BEGIN
  SELECT a.id, a.balance, p.status, p.excluded_until, p.daily_stake_limit, p.msisdn
    INTO v_wallet, v_balance, v_status, v_excluded, v_limit, v_msisdn
    FROM players p JOIN accounts a ON a.id = p.wallet_account_id
    WHERE p.id = p_player
    FOR UPDATE OF a;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'player_not_found'::text, NULL::bigint, NULL::text, NULL::jsonb;
    RETURN;
  END IF;

  SELECT b.id, b.reference, b.input_hash INTO v_bet, v_ref, v_hash FROM bets b WHERE b.idempotency_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT CASE WHEN v_hash = p_hash THEN 'duplicate' ELSE 'conflict' END, v_bet, v_ref, NULL::jsonb;
    RETURN;
  END IF;

  IF v_status <> 'active' THEN
    RETURN QUERY SELECT 'player_blocked'::text, NULL::bigint, NULL::text, NULL::jsonb;
    RETURN;
  END IF;
  IF v_excluded IS NOT NULL AND v_excluded > p_now THEN
    RETURN QUERY SELECT 'self_excluded'::text, NULL::bigint, NULL::text, jsonb_build_object('until', v_excluded);
    RETURN;
  END IF;

  -- the three selection checks in one pass
  SELECT jsonb_agg(s.oid) FILTER (WHERE o.id IS NULL),
         jsonb_agg(DISTINCT e.id) FILTER (WHERE e.status <> 'open' OR e.kickoff_at <= p_now),
         jsonb_agg(jsonb_build_object('outcomeId', o.id, 'odds', o.odds)) FILTER (WHERE o.odds <> s.odds)
    INTO v_missing, v_closed, v_changed
    FROM unnest(p_outcomes, p_events, p_odds) AS s(oid, eid, odds)
    LEFT JOIN outcomes o ON o.id = s.oid AND o.event_id = s.eid
    LEFT JOIN events e ON e.id = o.event_id;
  IF v_missing IS NOT NULL THEN
    RETURN QUERY SELECT 'selection_not_found'::text, NULL::bigint, NULL::text, v_missing;
    RETURN;
  END IF;
  IF v_closed IS NOT NULL THEN
    RETURN QUERY SELECT 'event_closed'::text, NULL::bigint, NULL::text, v_closed;
    RETURN;
  END IF;
  IF v_changed IS NOT NULL THEN
    RETURN QUERY SELECT 'odds_changed'::text, NULL::bigint, NULL::text, v_changed;
    RETURN;
  END IF;

  SELECT t.staked INTO v_staked FROM player_daily_totals t WHERE t.player_id = p_player AND t.day = p_day;
  v_staked := coalesce(v_staked, 0);
  IF v_limit IS NOT NULL AND v_staked + p_stake > v_limit THEN
    RETURN QUERY SELECT 'daily_stake_limit'::text, NULL::bigint, NULL::text,
      jsonb_build_object('remaining', greatest(v_limit - v_staked, 0));
    RETURN;
  END IF;

  IF v_balance < p_stake THEN
    RETURN QUERY SELECT 'insufficient_funds'::text, NULL::bigint, NULL::text, jsonb_build_object('balance', v_balance);
    RETURN;
  END IF;

  v_bet := nextval('bets_id_seq');
  v_ref := bet_reference(v_bet);
  INSERT INTO bets (id, reference, idempotency_key, input_hash, player_id, stake, excise, net_stake, potential_payout,
                    legs, placed_at)
    VALUES (v_bet, v_ref, p_key, p_hash, p_player, p_stake, p_excise, p_stake - p_excise, p_potential,
            array_length(p_outcomes, 1), p_now);

  INSERT INTO bet_selections (bet_id, leg, event_id, outcome_id, odds)
    SELECT v_bet, s.n, s.eid, s.oid, s.odds
    FROM unnest(p_outcomes, p_odds, p_events) WITH ORDINALITY AS s(oid, odds, eid, n);

  -- the stake's transfer, inline: the wallet is already locked and checked; same rows ledger_transfer writes
  v_transfer := nextval('transfers_id_seq');
  INSERT INTO transfers (id, idempotency_key, kind, input_hash, reference, created_at)
    VALUES (v_transfer, 'bet:' || p_key, 'bet_place', p_hash, v_ref, p_now);
  UPDATE accounts a SET balance = a.balance - p_stake, version = a.version + 1 WHERE a.id = v_wallet
    RETURNING a.balance, a.version INTO v_after, v_version;
  INSERT INTO entries (transfer_id, account_id, amount, balance_before, balance_after, account_version, created_at)
    SELECT v_transfer, l.acc, l.amt, l.bb, l.ba, l.ver, p_now
      FROM (VALUES (1, v_wallet, -p_stake, v_after + p_stake, v_after, v_version),
                   (2, p_stakes_account, p_stake - p_excise, NULL, NULL, NULL),
                   (3, p_excise_account, p_excise, NULL, NULL, NULL)) AS l(n, acc, amt, bb, ba, ver)
     WHERE l.amt <> 0 ORDER BY l.n;
  INSERT INTO system_balance_deltas (account_id, amount)
    SELECT l.acc, l.amt FROM (VALUES (1, p_stakes_account, p_stake - p_excise), (2, p_excise_account, p_excise)) AS l(n, acc, amt)
     WHERE l.amt <> 0 ORDER BY l.n;

  INSERT INTO player_daily_totals (player_id, day, staked) VALUES (p_player, p_day, p_stake)
    ON CONFLICT (player_id, day) DO UPDATE SET staked = player_daily_totals.staked + EXCLUDED.staked;

  INSERT INTO sms_outbox (player_id, msisdn, kind, params, dedupe_key, next_attempt_at, created_at)
    VALUES (p_player, v_msisdn, 'bet_placed',
            jsonb_build_object('reference', v_ref, 'stake', p_stake, 'potentialPayout', p_potential,
                               'legs', array_length(p_outcomes, 1)),
            NULL, p_now, p_now);

  RETURN QUERY SELECT 'placed'::text, v_bet, v_ref, jsonb_build_object('balance', v_balance - p_stake);
END $$;

-- Many bets in one transaction: one commit (one WAL flush) for all of them. Wallets are locked in id order, as
-- ledger_transfer and settlement lock them, so concurrent batches queue instead of deadlocking. Each bet gets its own
-- answer; a refusal of one does not touch the others. p_bets: [{n, key, hash, player, stake, excise, potential,
-- outcomes, odds, events, now, day}].
CREATE FUNCTION place_bets(p_bets jsonb, p_stakes_account bigint, p_excise_account bigint)
RETURNS TABLE (n int, outcome text, bet_id bigint, reference text, detail jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  b record;
BEGIN
  FOR b IN
    SELECT x.value AS v
      FROM jsonb_array_elements(p_bets) x
      LEFT JOIN players p ON p.id = (x.value ->> 'player')::bigint
     ORDER BY p.wallet_account_id, (x.value ->> 'n')::int
  LOOP
    RETURN QUERY
      SELECT (b.v ->> 'n')::int, r.*
        FROM place_bet(
          b.v ->> 'key', b.v ->> 'hash', (b.v ->> 'player')::bigint, (b.v ->> 'stake')::bigint,
          (b.v ->> 'excise')::bigint, (b.v ->> 'potential')::bigint,
          ARRAY(SELECT jsonb_array_elements_text(b.v -> 'outcomes')::bigint),
          ARRAY(SELECT jsonb_array_elements_text(b.v -> 'odds')::int),
          ARRAY(SELECT jsonb_array_elements_text(b.v -> 'events')::bigint),
          (b.v ->> 'now')::timestamptz, (b.v ->> 'day')::date, p_stakes_account, p_excise_account) r;
  END LOOP;
END $$;

CREATE AGGREGATE product (numeric) (SFUNC = numeric_mul, STYPE = numeric, INITCOND = '1');
