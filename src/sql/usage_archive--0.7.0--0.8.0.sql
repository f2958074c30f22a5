-- usage_archive 0.7.0 -> 0.8.0: scale (issue 14): the history partitioned by usage_date with
-- retention by whole partitions, and a schema that distributes on Citus.
\echo Use "ALTER EXTENSION usage_archive UPDATE TO '0.8.0'" to load this file. \quit

-- daily_usage_history becomes a table range-partitioned on usage_date. The table as it was, with
-- its rows, becomes its DEFAULT partition, daily_usage_history_default: nothing is copied, and
-- it stays the extension's configuration table, so pg_dump keeps its rows. Until
-- partition_history() is called every row lives there; afterwards the partitions of each period
-- (ordinary tables, created by usage_archive, not extension members) hold them, and pg_dump
-- dumps them, with their rows, like any partition. A restore creates the extension (the parent
-- and its default partition) and then attaches them again.
ALTER TABLE usage_archive.daily_usage_history RENAME TO daily_usage_history_default;
ALTER INDEX usage_archive.daily_usage_history_pkey RENAME TO daily_usage_history_default_pkey;
-- The constraints are named as before: ATTACH merges the partition's own ones with them.
CREATE TABLE usage_archive.daily_usage_history (
    service_line_id    bigint NOT NULL,
    usage_date         date NOT NULL,
    consumed_gb        numeric(14,3) NOT NULL,
    priority_gb        numeric(14,3),
    opt_in_priority_gb numeric(14,3),
    standard_gb        numeric(14,3),
    non_billable_gb    numeric(14,3),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    last_run_id        bigint,
    CONSTRAINT daily_usage_history_pkey PRIMARY KEY (service_line_id, usage_date),
    CONSTRAINT daily_usage_history_service_line_id_fkey FOREIGN KEY (service_line_id)
        REFERENCES usage_archive.service_lines (service_line_id),
    CONSTRAINT daily_usage_history_consumed_gb_check CHECK (consumed_gb >= 0 AND consumed_gb <> 'NaN'),
    CONSTRAINT daily_usage_history_priority_gb_check CHECK (priority_gb >= 0 AND priority_gb <> 'NaN'),
    CONSTRAINT daily_usage_history_opt_in_priority_gb_check CHECK (opt_in_priority_gb >= 0 AND opt_in_priority_gb <> 'NaN'),
    CONSTRAINT daily_usage_history_standard_gb_check CHECK (standard_gb >= 0 AND standard_gb <> 'NaN'),
    CONSTRAINT daily_usage_history_non_billable_gb_check CHECK (non_billable_gb >= 0 AND non_billable_gb <> 'NaN')
) PARTITION BY RANGE (usage_date);
COMMENT ON COLUMN usage_archive.daily_usage_history.consumed_gb IS
    'Billable total: priority + standard (opt-in priority is part of priority; non-billable is kept apart).';
COMMENT ON TABLE usage_archive.daily_usage_history IS
    'One row per (service line, day), range-partitioned on usage_date; see usage_archive.partition_history().';
ALTER TABLE usage_archive.daily_usage_history
    ATTACH PARTITION usage_archive.daily_usage_history_default DEFAULT;

-- Whoever could read or write the table can read or write it as before: its grants move to
-- the partitioned table (the partition keeps its own; it is reached through the parent).
DO $do$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT a.privilege_type AS privilege,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee,
               a.is_grantable
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = 'usage_archive.daily_usage_history_default'::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('GRANT %s ON usage_archive.daily_usage_history TO %s%s', g.privilege, g.grantee,
                       CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    FOR g IN
        SELECT a.privilege_type AS privilege, quote_ident(t.attname) AS col,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee
        FROM pg_attribute t, aclexplode(t.attacl) a
        WHERE t.attrelid = 'usage_archive.daily_usage_history_default'::regclass AND t.attacl IS NOT NULL
    LOOP
        EXECUTE format('GRANT %s (%s) ON usage_archive.daily_usage_history TO %s', g.privilege, g.col, g.grantee);
    END LOOP;
END
$do$;

-- What named the table by its oid follows the name.
UPDATE usage_archive_private.uniqueness_targets SET table_name = 'usage_archive.daily_usage_history'::regclass
WHERE table_name = 'usage_archive.daily_usage_history_default'::regclass;
CREATE OR REPLACE VIEW usage_archive.monthly_usage WITH (security_invoker = true) AS
SELECT l.source, l.client_name, l.service_line_number,
       date_trunc('month', h.usage_date::timestamp)::date AS month,
       sum(h.consumed_gb) AS total_gb,
       count(*) AS days_reported
FROM usage_archive.daily_usage_history h
JOIN usage_archive.service_lines l USING (service_line_id)
GROUP BY l.source, l.client_name, l.service_line_number, date_trunc('month', h.usage_date::timestamp);
CREATE OR REPLACE VIEW usage_archive.billing_cycle_usage WITH (security_invoker = true) AS
SELECT l.source, l.service_line_number, b.cycle_start, b.cycle_end,
       coalesce(u.total_gb, 0) AS total_gb,
       coalesce(b.usage_limit_gb, l.usage_limit_gb) AS usage_limit_gb,
       round(100 * coalesce(u.total_gb, 0) / nullif(coalesce(b.usage_limit_gb, l.usage_limit_gb), 0), 1) AS pct_of_plan,
       coalesce(u.total_gb, 0) > coalesce(b.usage_limit_gb, l.usage_limit_gb) AS over_plan
FROM usage_archive.billing_cycles b
JOIN usage_archive.service_lines l USING (service_line_id)
LEFT JOIN LATERAL (
    SELECT sum(h.consumed_gb) AS total_gb FROM usage_archive.daily_usage_history h
    WHERE h.service_line_id = b.service_line_id AND h.usage_date BETWEEN b.cycle_start AND b.cycle_end) u ON true;

-- How the history is partitioned: no row, only the default partition; one row, the period
-- partition_history() chose and how many periods ahead partitions are kept ready.
CREATE TABLE usage_archive_private.history_partitioning (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    period         interval NOT NULL,
    premake        integer NOT NULL CHECK (premake BETWEEN 0 AND 120),
    partitioned_at timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('usage_archive_private.history_partitioning', '');

-- The first day of the period holding `day`: periods of whole months count from 2000-01-01,
-- periods of whole days from Monday 2000-01-03 (so '1 week' partitions start on Mondays).
CREATE FUNCTION usage_archive_private.history_period_start(day date, period interval) RETURNS date
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT CASE WHEN extract(month FROM period) + 12 * extract(year FROM period) > 0
        THEN (date '2000-01-01' + make_interval(months => (floor(((extract(year FROM day) - 2000) * 12
                  + extract(month FROM day) - 1) / (extract(month FROM period) + 12 * extract(year FROM period)))
                  * (extract(month FROM period) + 12 * extract(year FROM period)))::int))::date
        ELSE date '2000-01-03' + (floor((day - date '2000-01-03') / extract(day FROM period))
                                  * extract(day FROM period))::int
    END
$fn$;

-- The partitions of the history and their ranges (NULL: MINVALUE/MAXVALUE); the default
-- partition is not listed. DateStyle pinned: the bounds are read from their text form.
CREATE FUNCTION usage_archive_private.history_partitions()
RETURNS TABLE (partition regclass, range_start date, range_end date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp SET datestyle = 'ISO, YMD' AS $fn$
    SELECT c.oid::regclass, nullif(m[1], 'MINVALUE')::date, nullif(m[2], 'MAXVALUE')::date
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                    $re$^FOR VALUES FROM \('?([^')]*)'?\) TO \('?([^')]*)'?\)$$re$) m
    WHERE i.inhparent = 'usage_archive.daily_usage_history'::regclass AND m IS NOT NULL
$fn$;

-- Creates the partitions missing for the periods holding `days` (whole periods; a gap between
-- partitions someone made with other bounds is filled exactly). Does nothing while the history
-- is not partitioned by period. Returns the partitions created. Run by archive runs, with the
-- history owner's rights, for the days of their payload, and by the background worker
-- (premake_history_partitions).
CREATE FUNCTION usage_archive_private.ensure_history_partitions(days date[]) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET datestyle = 'ISO, YMD' AS $fn$
DECLARE
    cfg usage_archive_private.history_partitioning;
    s date;
    e date;
    cursor_day date;
    p record;
    created integer := 0;
BEGIN
    SELECT * INTO cfg FROM usage_archive_private.history_partitioning;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    FOR s IN SELECT DISTINCT usage_archive_private.history_period_start(d, cfg.period)
             FROM unnest(days) d WHERE d IS NOT NULL ORDER BY 1
    LOOP
        e := (s + cfg.period)::date;
        cursor_day := s;
        FOR p IN SELECT * FROM usage_archive_private.history_partitions() h
                 WHERE coalesce(h.range_start, '-infinity') < e AND coalesce(h.range_end, 'infinity') > s
                 ORDER BY h.range_start NULLS FIRST
        LOOP
            IF coalesce(p.range_start, '-infinity') > cursor_day THEN
                created := created + usage_archive_private.add_history_partition(cursor_day, p.range_start);
            END IF;
            cursor_day := greatest(cursor_day, coalesce(p.range_end, 'infinity'));
        END LOOP;
        IF cursor_day < e THEN
            created := created + usage_archive_private.add_history_partition(cursor_day, e);
        END IF;
    END LOOP;
    RETURN created;
END
$fn$;

-- One partition for [range_start, range_end), created alone and then attached: ATTACH takes
-- SHARE UPDATE EXCLUSIVE on the history, so runs writing it go on (CREATE TABLE ... PARTITION
-- OF would lock them out). 1 when created, 0 when another session attached one for these days
-- first (its commit came between our look and our ATTACH).
CREATE FUNCTION usage_archive_private.add_history_partition(range_start date, range_end date) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET datestyle = 'ISO, YMD' AS $fn$
DECLARE
    name text := 'daily_usage_history_p' || to_char(range_start, 'YYYYMMDD');
    n integer := 1;
BEGIN
    WHILE to_regclass(format('usage_archive.%I', name)) IS NOT NULL LOOP
        n := n + 1;
        name := 'daily_usage_history_p' || to_char(range_start, 'YYYYMMDD') || '_' || n;
    END LOOP;
    -- The parent's NOT NULL and CHECK constraints (ATTACH wants them); ATTACH adds the key
    -- index and the foreign key, as a partition of the parent's (so pg_dump recreates them so).
    EXECUTE format('CREATE TABLE usage_archive.%I (LIKE usage_archive.daily_usage_history '
                   'INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', name);
    BEGIN
        EXECUTE format('ALTER TABLE usage_archive.daily_usage_history ATTACH PARTITION usage_archive.%I '
                       'FOR VALUES FROM (%L) TO (%L)', name, range_start, range_end);
    EXCEPTION WHEN invalid_object_definition THEN
        -- "would overlap": a partition committed meanwhile covers these days.
        EXECUTE format('DROP TABLE usage_archive.%I', name);
        RETURN 0;
    END;
    RETURN 1;
END
$fn$;

-- The current period and `premake` periods ahead (the background worker calls this each round).
CREATE FUNCTION usage_archive_private.premake_history_partitions() RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT usage_archive_private.ensure_history_partitions(
               ARRAY(SELECT (current_date + p.period * i)::date FROM generate_series(0, p.premake) i))
    FROM usage_archive_private.history_partitioning p
$fn$;

CREATE FUNCTION usage_archive.partition_history(period interval DEFAULT '1 month', premake integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET datestyle = 'ISO, YMD' AS $fn$
DECLARE
    cfg usage_archive_private.history_partitioning;
    created integer := 0;
    d record;
    moved bigint;
BEGIN
    IF period IS NULL OR premake IS NULL THEN
        RAISE EXCEPTION 'period and premake must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT ((extract(month FROM period) + 12 * extract(year FROM period) > 0 AND extract(day FROM period) = 0)
            OR (extract(month FROM period) + 12 * extract(year FROM period) = 0 AND extract(day FROM period) > 0))
       OR date_trunc('day', period) <> period THEN
        RAISE EXCEPTION 'period must be a positive number of whole months or of whole days, not %', period
            USING ERRCODE = '22023', HINT = 'For example ''1 month'', ''3 months'', ''1 year'', ''7 days''.';
    END IF;
    IF premake NOT BETWEEN 0 AND 120 THEN
        RAISE EXCEPTION 'premake must be between 0 and 120, not %', premake USING ERRCODE = '22023';
    END IF;
    SELECT * INTO cfg FROM usage_archive_private.history_partitioning FOR UPDATE;
    IF FOUND AND cfg.period <> partition_history.period THEN
        RAISE EXCEPTION 'daily_usage_history is already partitioned by %', cfg.period
            USING ERRCODE = '55000', HINT = 'Call partition_history with that period to change premake only.';
    END IF;
    -- Writers wait until the rows are in their partitions; readers until they are moved.
    LOCK TABLE usage_archive.daily_usage_history IN ACCESS EXCLUSIVE MODE;
    INSERT INTO usage_archive_private.history_partitioning (period, premake)
    VALUES (partition_history.period, partition_history.premake)
    ON CONFLICT (singleton) DO UPDATE SET premake = EXCLUDED.premake;
    -- Every period the default partition holds rows of gets its partition: the rows are moved
    -- out of the default partition first (ATTACH refuses a range the default holds rows of).
    CREATE TEMP TABLE usage_archive_moving (LIKE usage_archive.daily_usage_history) ON COMMIT DROP;
    FOR d IN SELECT DISTINCT usage_archive_private.history_period_start(h.usage_date, partition_history.period) AS s
             FROM usage_archive.daily_usage_history_default h ORDER BY 1
    LOOP
        WITH m AS (DELETE FROM usage_archive.daily_usage_history_default h
                   WHERE h.usage_date >= d.s AND h.usage_date < (d.s + partition_history.period)::date RETURNING h.*)
        INSERT INTO pg_temp.usage_archive_moving SELECT * FROM m;
        created := created + usage_archive_private.ensure_history_partitions(ARRAY[d.s]);
        -- The rows were checked when they were first written: moved, not inserted again (no
        -- trigger of yours fires, the foreign key is not checked row by row).
        SET LOCAL session_replication_role = replica;
        INSERT INTO usage_archive.daily_usage_history SELECT * FROM pg_temp.usage_archive_moving;
        SET LOCAL session_replication_role = origin;
        TRUNCATE pg_temp.usage_archive_moving;
    END LOOP;
    DROP TABLE pg_temp.usage_archive_moving;
    RETURN created + usage_archive_private.premake_history_partitions();
END
$fn$;
COMMENT ON FUNCTION usage_archive.partition_history(interval, integer) IS
    'Partitions daily_usage_history by usage_date (periods of whole months or days), moving every row; returns the partitions created.';

CREATE FUNCTION usage_archive.drop_history_before(before date) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET datestyle = 'ISO, YMD' AS $fn$
DECLARE
    p record;
    rows bigint;
    removed bigint := 0;
BEGIN
    IF before IS NULL THEN
        RAISE EXCEPTION 'before must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM usage_archive_private.history_partitioning) THEN
        RAISE EXCEPTION 'daily_usage_history is not partitioned by period'
            USING ERRCODE = '55000', HINT = 'Run usage_archive.partition_history() first.';
    END IF;
    SELECT * INTO p FROM usage_archive_private.history_partitions() h
    WHERE coalesce(h.range_start, '-infinity') < before AND coalesce(h.range_end, 'infinity') > before;
    IF FOUND THEN
        RAISE EXCEPTION '% is inside partition % (% .. %)', before, p.partition,
            coalesce(p.range_start::text, 'MINVALUE'), coalesce((p.range_end - 1)::text, 'MAXVALUE')
            USING ERRCODE = '22023',
                  HINT = format('Partitions are dropped whole: use %s or %s.', coalesce(p.range_start::text, '-'),
                                coalesce(p.range_end::text, '-'));
    END IF;
    FOR p IN SELECT * FROM usage_archive_private.history_partitions() h
             WHERE h.range_end <= before ORDER BY h.range_start NULLS FIRST
    LOOP
        EXECUTE format('ALTER TABLE usage_archive.daily_usage_history DETACH PARTITION %s', p.partition);
        EXECUTE format('SELECT count(*) FROM %s', p.partition) INTO rows;
        EXECUTE format('DROP TABLE %s', p.partition);
        removed := removed + rows;
    END LOOP;
    RETURN removed;
END
$fn$;
COMMENT ON FUNCTION usage_archive.drop_history_before(date) IS
    'Drops the history partitions that end on or before `before` (detach, then drop); returns the rows removed.';

REVOKE ALL ON FUNCTION usage_archive.partition_history(interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive.drop_history_before(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive_private.ensure_history_partitions(date[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive_private.add_history_partition(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive_private.premake_history_partitions() FROM PUBLIC;
REVOKE ALL ON FUNCTION usage_archive_private.history_partitions() FROM PUBLIC;

-- Ready for Citus (docs/scaling.md). A distributed table's constraints must contain its
-- distribution column: usage_corrections is distributed by service_line_id like the history.
ALTER TABLE usage_archive.usage_corrections DROP CONSTRAINT usage_corrections_pkey;
ALTER TABLE usage_archive.usage_corrections ADD CONSTRAINT usage_corrections_pkey PRIMARY KEY (service_line_id, correction_id);

-- Ids come from sequences the extension owns, not from identity columns: distributing a table
-- must not drop or re-create the sequence behind its column, which an extension's sequence
-- refuses (2BP01). The sequences keep their names, positions and grants.
DO $do$
DECLARE
    t record;
    last bigint;
    acl aclitem[];
    g record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('service_lines', 'service_line_id'), ('usage_corrections', 'correction_id')) v(tab, col)
    LOOP
        EXECUTE format('SELECT last_value + CASE WHEN is_called THEN 1 ELSE 0 END FROM usage_archive.%I',
                       t.tab || '_' || t.col || '_seq') INTO last;
        SELECT relacl INTO acl FROM pg_class WHERE oid = format('usage_archive.%I', t.tab || '_' || t.col || '_seq')::regclass;
        -- Out of the configuration list first (a dropped sequence would stay listed).
        EXECUTE format('ALTER EXTENSION usage_archive DROP SEQUENCE usage_archive.%I', t.tab || '_' || t.col || '_seq');
        EXECUTE format('ALTER TABLE usage_archive.%I ALTER COLUMN %I DROP IDENTITY', t.tab, t.col);
        EXECUTE format('CREATE SEQUENCE usage_archive.%I AS bigint START %s', t.tab || '_' || t.col || '_seq', last);
        EXECUTE format('ALTER TABLE usage_archive.%I ALTER COLUMN %I SET DEFAULT pg_catalog.nextval(%L::pg_catalog.regclass)',
                       t.tab, t.col, 'usage_archive.' || t.tab || '_' || t.col || '_seq');
        PERFORM pg_catalog.pg_extension_config_dump(format('usage_archive.%I', t.tab || '_' || t.col || '_seq'), '');
        FOR g IN SELECT a.privilege_type AS privilege, a.grantee::regrole::text AS grantee
                 FROM aclexplode(acl) a WHERE a.grantee <> 0 AND a.grantee <> a.grantor
        LOOP
            EXECUTE format('GRANT %s ON SEQUENCE usage_archive.%I TO %s', g.privilege,
                           t.tab || '_' || t.col || '_seq', g.grantee);
        END LOOP;
    END LOOP;
END
$do$;

-- A reference table with triggers runs them on its shards, on the workers, so sources (whose
-- trigger guards the credentials) stays a local table on the coordinator, and service_lines
-- (a reference table) cannot have a foreign key to it. What the key did is done from sources:
-- a source with service lines cannot be deleted, and renaming a source renames it in its lines.
ALTER TABLE usage_archive.service_lines DROP CONSTRAINT service_lines_source_fkey;
CREATE FUNCTION usage_archive_private.keep_service_line_sources() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT FROM usage_archive.service_lines l WHERE l.source OPERATOR(pg_catalog.=) OLD.name) THEN
            RAISE EXCEPTION 'update or delete on table "sources" violates foreign key constraint "service_lines_source_fkey" on table "service_lines"'
                USING ERRCODE = '23503', DETAIL = format('Key (name)=(%s) is still referenced from table "service_lines".', OLD.name);
        END IF;
        RETURN OLD;
    END IF;
    UPDATE usage_archive.service_lines l SET source = NEW.name WHERE l.source OPERATOR(pg_catalog.=) OLD.name;
    RETURN NEW;
END
$fn$;
REVOKE ALL ON FUNCTION usage_archive_private.keep_service_line_sources() FROM PUBLIC;
CREATE TRIGGER sources_keep_service_lines_delete BEFORE DELETE ON usage_archive.sources
    FOR EACH ROW EXECUTE FUNCTION usage_archive_private.keep_service_line_sources();
CREATE TRIGGER sources_keep_service_lines_rename AFTER UPDATE OF name ON usage_archive.sources
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION usage_archive_private.keep_service_line_sources();

-- The distribution plan of docs/scaling.md, on a Citus coordinator. Citus is called by name
-- when this runs, never referenced when it is created: usage_archive does not depend on it.
-- service_lines becomes a reference table (a copy on every node); the history, the billing
-- cycles and the corrections are distributed by service_line_id, co-located, so each line's
-- rows of all three live on one shard. Everything else stays local on the coordinator.
CREATE PROCEDURE usage_archive.distribute(shard_count integer DEFAULT NULL)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    is_coordinator boolean;
    done boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'the citus extension is not installed in this database'
            USING ERRCODE = '55000',
                  HINT = 'usage_archive.distribute() distributes the archive over a Citus cluster (docs/scaling.md).';
    END IF;
    IF to_regprocedure('pg_catalog.citus_is_coordinator()') IS NULL THEN
        RAISE EXCEPTION 'this Citus has no citus_is_coordinator(): usage_archive.distribute() needs Citus 11 or later'
            USING ERRCODE = '55000';
    END IF;
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO is_coordinator;
    IF NOT is_coordinator THEN
        RAISE EXCEPTION 'usage_archive.distribute() runs on the Citus coordinator, and this node is a worker'
            USING ERRCODE = '55000';
    END IF;
    IF distribute.shard_count IS NOT NULL AND distribute.shard_count NOT BETWEEN 1 AND 64000 THEN
        RAISE EXCEPTION 'shard_count must be between 1 and 64000' USING ERRCODE = '22023';
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                            WHERE logicalrelid OPERATOR(pg_catalog.=) ''usage_archive.daily_usage_history''::pg_catalog.regclass)'
        INTO done;
    IF done THEN
        RAISE NOTICE 'usage_archive is distributed already';
        RETURN;
    END IF;
    EXECUTE 'SELECT pg_catalog.create_reference_table(''usage_archive.service_lines'')';
    EXECUTE 'SELECT pg_catalog.create_distributed_table(''usage_archive.daily_usage_history'', ''service_line_id'', shard_count => $1)'
        USING distribute.shard_count;
    EXECUTE 'SELECT pg_catalog.create_distributed_table(''usage_archive.billing_cycles'', ''service_line_id'',
                                                        colocate_with => ''usage_archive.daily_usage_history'')';
    EXECUTE 'SELECT pg_catalog.create_distributed_table(''usage_archive.usage_corrections'', ''service_line_id'',
                                                        colocate_with => ''usage_archive.daily_usage_history'')';
END
$fn$;
COMMENT ON PROCEDURE usage_archive.distribute(integer) IS
    'On a Citus coordinator: service_lines a reference table; history, billing_cycles, usage_corrections distributed by service_line_id.';
REVOKE ALL ON PROCEDURE usage_archive.distribute(integer) FROM PUBLIC;
