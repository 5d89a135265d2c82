-- Double-entry ledger. Amounts are integer cents (KES). Positive balances are what we owe (a player's wallet, taxes
-- payable); negative balances are what we hold (M-Pesa clearing). Every transfer's entries sum to zero.

CREATE TABLE accounts (
  id             bigserial PRIMARY KEY,
  code           text NOT NULL UNIQUE,
  kind           text NOT NULL CHECK (kind IN ('wallet', 'system')),
  allow_negative boolean NOT NULL,
  -- wallets: updated with every entry. System accounts: rolled up from system_balance_deltas in batches, because
  -- every bet touches them and one hot row would serialise all bets behind its lock.
  balance        bigint NOT NULL DEFAULT 0,
  version        bigint NOT NULL DEFAULT 0,
  currency       text NOT NULL DEFAULT 'KES',
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT no_overdraft CHECK (allow_negative OR balance >= 0)
);

INSERT INTO accounts (code, kind, allow_negative) VALUES
  ('mpesa_clearing', 'system', true),
  ('stakes_held', 'system', true),
  ('house_revenue', 'system', true),
  ('excise_payable', 'system', true),
  ('wht_payable', 'system', true),
  ('pending_withdrawals', 'system', true),
  ('suspense', 'system', true);

CREATE TABLE transfers (
  id              bigserial PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  kind            text NOT NULL,
  -- a repeat with the same key must carry the same input; a different input under a used key is refused
  input_hash      text NOT NULL,
  reference       text,
  created_at      timestamptz NOT NULL
);

-- The high-volume, append-only tables (entries, deltas, bets and their selections, the SMS outbox) carry no foreign
-- keys: only ledger_transfer, place_bet and settlement write them, each from rows it has just read or written, and the
-- checks cost about a third of a bet's server time. The conservation check (src/core/ledger-check.ts) looks for
-- orphans instead.
CREATE TABLE entries (
  id              bigserial NOT NULL,
  transfer_id     bigint NOT NULL,
  account_id      bigint NOT NULL,
  amount          bigint NOT NULL CHECK (amount <> 0),
  -- wallet entries audit themselves (pgledger style); system entries leave these null (balances rolled up later)
  balance_before  bigint,
  balance_after   bigint,
  account_version bigint,
  created_at      timestamptz NOT NULL
);
-- keyed by account first: statements read an account's entries newest first, and a bet writes one index entry less
ALTER TABLE entries ADD PRIMARY KEY (account_id, id);
CREATE INDEX entries_transfer_idx ON entries (transfer_id);

-- a queue with no index: rows are only ever appended, and deleted all at once by the rollup
CREATE TABLE system_balance_deltas (
  account_id bigint NOT NULL,
  amount     bigint NOT NULL
);

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

-- The transfer primitive: one round trip per money movement. Outcomes:
--   created | duplicate (same key, same input: nothing moved) | conflict (same key, other input: refused)
--   | insufficient_funds (a wallet would go negative: nothing written; account_id names it)
CREATE FUNCTION ledger_transfer(
  p_key text, p_kind text, p_hash text, p_reference text,
  p_accounts bigint[], p_amounts bigint[], p_now timestamptz
) RETURNS TABLE (transfer_id bigint, outcome text, account_id bigint, balance_after bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_id      bigint;
  v_hash    text;
  r         record;
  v_kind    text;
  v_balance bigint;
  v_allow   boolean;
  v_after   bigint;
  v_version bigint;
  v_wallet  bigint;
  v_wallet_after bigint;
BEGIN
  IF coalesce(array_length(p_accounts, 1), 0) < 2 OR array_length(p_accounts, 1) <> array_length(p_amounts, 1) THEN
    RAISE EXCEPTION 'transfer % needs two or more legs', p_key;
  END IF;
  IF (SELECT sum(a) FROM unnest(p_amounts) a) <> 0 THEN
    RAISE EXCEPTION 'legs of transfer % do not sum to zero', p_key;
  END IF;

  -- Wallets are locked first and in id order: transfers sharing wallets queue instead of deadlocking, and a repeat
  -- of the same key waits here until the first has committed, so the lookup below sees it.
  PERFORM 1 FROM accounts a WHERE a.id = ANY (p_accounts) AND a.kind = 'wallet' ORDER BY a.id FOR UPDATE;

  SELECT t.id, t.input_hash INTO v_id, v_hash FROM transfers t WHERE t.idempotency_key = p_key;
  IF FOUND THEN
    SELECT e.account_id, e.balance_after INTO v_wallet, v_wallet_after
      FROM entries e WHERE e.transfer_id = v_id AND e.balance_after IS NOT NULL ORDER BY e.id LIMIT 1;
    RETURN QUERY SELECT v_id, CASE WHEN v_hash = p_hash THEN 'duplicate' ELSE 'conflict' END, v_wallet, v_wallet_after;
    RETURN;
  END IF;

  FOR r IN SELECT l.acc, sum(l.amt)::bigint AS amt FROM unnest(p_accounts, p_amounts) AS l(acc, amt) GROUP BY l.acc LOOP
    SELECT a.kind, a.balance, a.allow_negative INTO v_kind, v_balance, v_allow FROM accounts a WHERE a.id = r.acc;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'transfer % names unknown account %', p_key, r.acc;
    END IF;
    IF v_kind = 'wallet' AND NOT v_allow AND v_balance + r.amt < 0 THEN
      RETURN QUERY SELECT NULL::bigint, 'insufficient_funds'::text, r.acc, v_balance;
      RETURN;
    END IF;
  END LOOP;

  INSERT INTO transfers (idempotency_key, kind, input_hash, reference, created_at)
    VALUES (p_key, p_kind, p_hash, p_reference, p_now)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    -- only transfers without a wallet get here: a concurrent twin committed between our lookup and insert
    SELECT t.id, t.input_hash INTO v_id, v_hash FROM transfers t WHERE t.idempotency_key = p_key;
    RETURN QUERY SELECT v_id, CASE WHEN v_hash = p_hash THEN 'duplicate' ELSE 'conflict' END, NULL::bigint, NULL::bigint;
    RETURN;
  END IF;

  FOR r IN SELECT l.acc, l.amt FROM unnest(p_accounts, p_amounts) WITH ORDINALITY AS l(acc, amt, n)
           WHERE l.amt <> 0 ORDER BY l.n LOOP
    UPDATE accounts a SET balance = a.balance + r.amt, version = a.version + 1
      WHERE a.id = r.acc AND a.kind = 'wallet'
      RETURNING a.balance, a.version INTO v_after, v_version;
    IF FOUND THEN
      INSERT INTO entries (transfer_id, account_id, amount, balance_before, balance_after, account_version, created_at)
        VALUES (v_id, r.acc, r.amt, v_after - r.amt, v_after, v_version, p_now);
      IF v_wallet IS NULL THEN
        v_wallet := r.acc;
        v_wallet_after := v_after;
      END IF;
    ELSE
      INSERT INTO entries (transfer_id, account_id, amount, created_at) VALUES (v_id, r.acc, r.amt, p_now);
      INSERT INTO system_balance_deltas (account_id, amount) VALUES (r.acc, r.amt);
    END IF;
  END LOOP;

  RETURN QUERY SELECT v_id, 'created'::text, v_wallet, v_wallet_after;
END $$;

-- Folds pending deltas into system account balances. Safe to run concurrently: each delta row is deleted once.
CREATE FUNCTION rollup_system_balances() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  WITH gone AS (DELETE FROM system_balance_deltas RETURNING account_id, amount),
       sums AS (SELECT g.account_id, sum(g.amount) AS total, count(*) AS c FROM gone g GROUP BY g.account_id)
  UPDATE accounts a SET balance = a.balance + sums.total, version = a.version + sums.c
    FROM sums WHERE a.id = sums.account_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
