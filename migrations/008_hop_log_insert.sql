-- The hop log drainer's batch insert, without the per-row routing trigger.
--
-- The BEFORE INSERT trigger of 007 runs to_regclass and plans a dynamic INSERT for every row: about 0.2 ms of server
-- CPU per hop, most of the drainer's cost. ussd_hops_insert_batch routes a whole batch at once: one dynamic INSERT per
-- distinct UTC month in the batch (normally one), straight into that month's child, so the dynamic SQL is planned once
-- per batch. Idempotency is unchanged: a re-drained record carries the same `at`, so it lands in the same child and its
-- UNIQUE (session_id, seq) ignores it. The trigger stays on the parent for any other writer.
--
-- A month with no child gets its child here rather than falling back to ussd_hops_default: lookups by time stay
-- pruned to one child (the default child has no CHECK and is scanned by every query), and a late record for a month
-- the retention job already dropped just recreates that month, which the next retention run drops again.

-- Creating a child is now on the drain path of every app instance, so two instances (or the retention job) may try to
-- create the same month at once. Checking for the child and creating it is not atomic, and the loser of that race
-- would fail with "relation already exists". Taking a lock on the parent first serialises the creators (SHARE UPDATE
-- EXCLUSIVE conflicts with itself but not with inserts or reads); acquiring a relation lock also processes pending
-- catalog invalidations, so the second look sees a child the other creator has just committed.
CREATE OR REPLACE FUNCTION ussd_hops_ensure_partition(p_at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_start timestamptz := date_trunc('month', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  v_end   timestamptz := (date_trunc('month', p_at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  v_name  text := ussd_hops_partition_name(p_at);
BEGIN
  IF to_regclass(v_name) IS NULL THEN
    LOCK TABLE ONLY ussd_hops IN SHARE UPDATE EXCLUSIVE MODE;
    IF to_regclass(v_name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I (CHECK (at >= %L::timestamptz AND at < %L::timestamptz)) INHERITS (ussd_hops)',
                     v_name, v_start, v_end);
      EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (id)', v_name);
      EXECUTE format('ALTER TABLE %I ADD UNIQUE (session_id, seq)', v_name);
      EXECUTE format('CREATE INDEX %I ON %I (phone, at DESC)', v_name || '_phone_idx', v_name);
    END IF;
  END IF;
  RETURN v_name;
END $$;

-- p_rows: a JSON array of objects with the ussd_hops columns except id; returns how many rows were new
CREATE FUNCTION ussd_hops_insert_batch(p_rows jsonb) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  v_month timestamp;
  v_name  text;
  v_count int;
  v_total int := 0;
BEGIN
  -- months are computed on UTC wall time, as the children are named and bounded: adding a month to a timestamptz
  -- would follow the session's time zone
  FOR v_month IN SELECT DISTINCT date_trunc('month', (r->>'at')::timestamptz AT TIME ZONE 'UTC')
                   FROM jsonb_array_elements(p_rows) r LOOP
    v_name := ussd_hops_ensure_partition(v_month AT TIME ZONE 'UTC');
    EXECUTE format(
      'INSERT INTO %I (session_id, seq, phone, network, service_code, text, input, reply, state, latency_ms, at)
       SELECT h.session_id, h.seq, h.phone, h.network, h.service_code, h.text, h.input, h.reply, h.state, h.latency_ms, h.at
         FROM jsonb_to_recordset($1) AS h(session_id text, seq int, phone text, network text, service_code text,
              text text, input text, reply text, state text, latency_ms int, at timestamptz)
        WHERE h.at >= $2 AND h.at < $3
       ON CONFLICT (session_id, seq) DO NOTHING', v_name)
      USING p_rows, v_month AT TIME ZONE 'UTC', (v_month + interval '1 month') AT TIME ZONE 'UTC';
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_total := v_total + v_count;
  END LOOP;
  RETURN v_total;
END $$;
