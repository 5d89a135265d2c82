-- Support tools: the admin audit log, and the USSD hop log split into monthly partitions so retention is a DROP.
--
-- Every admin read is recorded: who (the token's name and role), what (method, path, the resource asked for), when.
CREATE TABLE admin_audit (
  id         bigserial PRIMARY KEY,
  actor      text NOT NULL,
  role       text NOT NULL,
  method     text NOT NULL,
  path       text NOT NULL,
  resource   text,
  status     int NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX admin_audit_actor_idx ON admin_audit (actor, at DESC);
CREATE INDEX admin_audit_at_idx ON admin_audit (at);

-- Monthly partitions of ussd_hops (UTC months), as inheritance children named ussd_hops_YYYY_MM.
--
-- Why inheritance and not declarative partitioning: the hop log drainer inserts with
-- `ON CONFLICT (session_id, seq) DO NOTHING`, and a declaratively partitioned table cannot have a unique index that
-- leaves out the partition key (`at`), so that statement would stop working. With inheritance the parent keeps its
-- UNIQUE (session_id, seq) (and stays empty: it only lets the drainer's ON CONFLICT target resolve), and a BEFORE INSERT
-- trigger routes each row to its month's child with ON CONFLICT DO NOTHING against the child's own
-- UNIQUE (session_id, seq). A hop record carries its `at` from the moment it was answered and a re-drain of the same
-- record carries the same `at`, so a repeat always lands in the same child and is ignored there: the drainer stays
-- idempotent. Reads of `ussd_hops` see every child; each child has the session and phone indexes; purge = DROP TABLE.
-- Rows whose month has no child yet (the retention job creates them months ahead) go to ussd_hops_default.
CREATE FUNCTION ussd_hops_partition_name(p_at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'ussd_hops_' || to_char(p_at AT TIME ZONE 'UTC', 'YYYY_MM')
$$;

CREATE FUNCTION ussd_hops_ensure_partition(p_at timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_start timestamptz := date_trunc('month', p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  v_end   timestamptz := (date_trunc('month', p_at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  v_name  text := ussd_hops_partition_name(p_at);
BEGIN
  IF to_regclass(v_name) IS NULL THEN
    EXECUTE format('CREATE TABLE %I (CHECK (at >= %L::timestamptz AND at < %L::timestamptz)) INHERITS (ussd_hops)',
                   v_name, v_start, v_end);
    EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (id)', v_name);
    EXECUTE format('ALTER TABLE %I ADD UNIQUE (session_id, seq)', v_name);
    EXECUTE format('CREATE INDEX %I ON %I (phone, at DESC)', v_name || '_phone_idx', v_name);
  END IF;
  RETURN v_name;
END $$;

CREATE TABLE ussd_hops_default () INHERITS (ussd_hops);
ALTER TABLE ussd_hops_default ADD PRIMARY KEY (id);
ALTER TABLE ussd_hops_default ADD UNIQUE (session_id, seq);
CREATE INDEX ussd_hops_default_phone_idx ON ussd_hops_default (phone, at DESC);

CREATE FUNCTION ussd_hops_route() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_name text := ussd_hops_partition_name(NEW.at);
BEGIN
  IF to_regclass(v_name) IS NULL THEN
    v_name := 'ussd_hops_default';
  END IF;
  EXECUTE format('INSERT INTO %I SELECT ($1).* ON CONFLICT DO NOTHING', v_name) USING NEW;
  RETURN NULL;
END $$;

-- existing rows move to their months; this month and the next two exist from the start
DO $$
DECLARE
  m timestamptz;
  v_name text;
BEGIN
  FOR m IN SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM ONLY ussd_hops
           UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + k * interval '1 month'
                   FROM generate_series(0, 2) k LOOP
    v_name := ussd_hops_ensure_partition(m);
    EXECUTE format('INSERT INTO %I SELECT * FROM ONLY ussd_hops WHERE ussd_hops_partition_name(at) = %L', v_name, v_name);
  END LOOP;
  DELETE FROM ONLY ussd_hops;
END $$;

CREATE TRIGGER ussd_hops_route BEFORE INSERT ON ussd_hops FOR EACH ROW EXECUTE FUNCTION ussd_hops_route();

-- "how did this session end" and the session list read the aggregator's end notification by session id
CREATE INDEX IF NOT EXISTS ussd_session_ends_session_idx ON ussd_session_ends (session_id);
