-- usage_archive 0.8.0 -> 0.9.0: what the first trial on a real Citus 13.2 cluster (a coordinator
-- and two workers) found in the distribution plan of 0.8.0 (docs/scaling.md).
\echo Use "ALTER EXTENSION usage_archive UPDATE TO '0.9.0'" to load this file. \quit

-- What this node is to Citus, for distribute() and prepare_drop_on_citus(): 'none' without the
-- citus extension, 'before 11' for a Citus without citus_is_coordinator(), else 'coordinator' or
-- 'worker'; and whether the history is distributed. Citus is called by name, never referenced.
CREATE FUNCTION usage_archive_private.citus_node(OUT node text, OUT history_distributed boolean)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    is_coordinator boolean;
BEGIN
    history_distributed := false;
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        node := 'none';
        RETURN;
    END IF;
    IF to_regprocedure('pg_catalog.citus_is_coordinator()') IS NULL THEN
        node := 'before 11';
        RETURN;
    END IF;
    EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO is_coordinator;
    node := CASE WHEN is_coordinator THEN 'coordinator' ELSE 'worker' END;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                            WHERE logicalrelid OPERATOR(pg_catalog.=) ''usage_archive.daily_usage_history''::pg_catalog.regclass)'
        INTO history_distributed;
END
$fn$;
REVOKE ALL ON FUNCTION usage_archive_private.citus_node() FROM PUBLIC;

-- distribute(): create_reference_table('usage_archive.service_lines') failed ("cannot drop view
-- usage_archive.billing_cycle_usage because extension usage_archive requires it"): the local
-- tables with a foreign key to service_lines (the history and billing_cycles) were first turned
-- into Citus local tables, which rebuilds them and the views over them, and the extension's
-- views cannot be dropped. Those foreign keys are now dropped first and made again, with the
-- same names and definitions, once the tables are distributed (a distributed table may reference
-- a reference table). On the workers the extension's own copies of the tables (the shells Citus
-- uses there) still have the keys: DROP CONSTRAINT IF EXISTS on the distributed tables removes
-- them there before ADD CONSTRAINT makes them everywhere. All of it over one connection per
-- worker (sequential mode): Citus refuses a foreign key to a reference table after a parallel
-- operation in the same transaction. And on a loaded install the rows Citus copied into the
-- shards are removed from the coordinator's tables, where Citus leaves them on disk.
CREATE OR REPLACE PROCEDURE usage_archive.distribute(shard_count integer DEFAULT NULL)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    citus record := usage_archive_private.citus_node();
    fk record;
    fks text[][] := '{}';
    i integer;
    t text;
    messages text := pg_catalog.current_setting('client_min_messages');
BEGIN
    IF citus.node = 'none' THEN
        RAISE EXCEPTION 'the citus extension is not installed in this database'
            USING ERRCODE = '55000',
                  HINT = 'usage_archive.distribute() distributes the archive over a Citus cluster (docs/scaling.md).';
    ELSIF citus.node = 'before 11' THEN
        RAISE EXCEPTION 'this Citus has no citus_is_coordinator(): usage_archive.distribute() needs Citus 11 or later'
            USING ERRCODE = '55000';
    ELSIF citus.node = 'worker' THEN
        RAISE EXCEPTION 'usage_archive.distribute() runs on the Citus coordinator, and this node is a worker'
            USING ERRCODE = '55000';
    END IF;
    IF distribute.shard_count IS NOT NULL AND distribute.shard_count NOT BETWEEN 1 AND 64000 THEN
        RAISE EXCEPTION 'shard_count must be between 1 and 64000' USING ERRCODE = '22023';
    END IF;
    IF citus.history_distributed THEN
        RAISE NOTICE 'usage_archive is distributed already';
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    -- The foreign keys to service_lines (not those of partitions: they follow their parent's).
    FOR fk IN SELECT c.conrelid::regclass AS tab, c.conname, pg_get_constraintdef(c.oid) AS def
              FROM pg_constraint c
              WHERE c.contype = 'f' AND c.confrelid = 'usage_archive.service_lines'::regclass
                AND c.conparentid = 0
              ORDER BY c.conrelid::regclass::text, c.conname
    LOOP
        fks := fks || ARRAY[[fk.tab::text, fk.conname::text, fk.def]];
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tab, fk.conname);
    END LOOP;
    EXECUTE 'SELECT pg_catalog.create_reference_table(''usage_archive.service_lines'')';
    EXECUTE 'SELECT pg_catalog.create_distributed_table(''usage_archive.daily_usage_history'', ''service_line_id'', shard_count => $1)'
        USING distribute.shard_count;
    EXECUTE 'SELECT pg_catalog.create_distributed_table(''usage_archive.billing_cycles'', ''service_line_id'',
                                                        colocate_with => ''usage_archive.daily_usage_history'')';
    EXECUTE 'SELECT pg_catalog.create_distributed_table(''usage_archive.usage_corrections'', ''service_line_id'',
                                                        colocate_with => ''usage_archive.daily_usage_history'')';
    -- Quietly: the keys are not on the coordinator any more ("does not exist, skipping"), and
    -- the truncation names every table it cascades to.
    PERFORM pg_catalog.set_config('client_min_messages', 'warning', true);
    FOR i IN 1 .. coalesce(array_length(fks, 1), 0) LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fks[i][1], fks[i][2]);
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fks[i][1], fks[i][2], fks[i][3]);
    END LOOP;
    -- Citus copies the rows of a loaded install into the shards and leaves them, no longer
    -- visible, in the coordinator's own tables: removed, or the coordinator's disk would keep a
    -- dead copy of the whole archive.
    FOREACH t IN ARRAY ARRAY['usage_archive.service_lines', 'usage_archive.daily_usage_history',
                             'usage_archive.billing_cycles', 'usage_archive.usage_corrections'] LOOP
        EXECUTE 'SELECT pg_catalog.truncate_local_data_after_distributing_table($1::pg_catalog.regclass)' USING t;
    END LOOP;
    PERFORM pg_catalog.set_config('client_min_messages', messages, true);
END
$fn$;

-- partition_history() after distribute() failed ("cannot modify table daily_usage_history
-- because there was a parallel operation on a distributed table in the transaction"): it moves
-- rows with multi-shard statements, then attaches partitions, which Citus allows only over one
-- connection per worker when the table has a foreign key to a reference table. So did the
-- background worker's premake from its second partition on (distributing the first one attached
-- is such an operation), and so would the partitions drop_history_before() detaches between
-- counts. Without Citus the setting is an unused placeholder.
ALTER FUNCTION usage_archive.partition_history(interval, integer) SET citus.multi_shard_modify_mode = 'sequential';
ALTER FUNCTION usage_archive.drop_history_before(date) SET citus.multi_shard_modify_mode = 'sequential';
ALTER FUNCTION usage_archive_private.ensure_history_partitions(date[]) SET citus.multi_shard_modify_mode = 'sequential';
ALTER FUNCTION usage_archive_private.premake_history_partitions() SET citus.multi_shard_modify_mode = 'sequential';
-- grant_role() after distribute() failed the same way: "cannot execute DDL on table
-- service_lines because there was a parallel DDL access to distributed table
-- daily_usage_history_p..." (its GRANT on the partitioned history reaches every partition's
-- shards in parallel, then it grants on the reference table).
ALTER FUNCTION usage_archive.grant_role(regrole, text) SET citus.multi_shard_modify_mode = 'sequential';

-- DROP EXTENSION usage_archive on a distributed install failed ("relation
-- daily_usage_history_default is not distributed", from a worker), and once past that it left
-- every shard behind, with its rows, on the workers (and the reference table's copy on the
-- coordinator): Citus's drop trigger takes a table dropped with its extension for a partition
-- dropped with its parent (neither is the object the statement names) and removes only its
-- metadata; and it drops a distributed partitioned table's partitions on the workers with their
-- parent, but not one an extension owns, and then fails on that one. So before the extension is
-- dropped on a Citus coordinator, its DEFAULT partition is detached and the shards of each of
-- its distributed tables are dropped (citus_drop_all_shards, as Citus's trigger does for a DROP
-- TABLE); the drop then removes the tables and the metadata. All of it in the DROP's
-- transaction: if the drop fails, nothing is lost. On a worker, without Citus, or when the
-- history is not distributed, nothing is done.
CREATE FUNCTION usage_archive_private.prepare_drop_on_citus() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    citus record := usage_archive_private.citus_node();
    t record;
BEGIN
    IF citus.node <> 'coordinator' OR NOT citus.history_distributed THEN
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    -- The background worker's premake reads history_partitioning, then creates partitions LIKE
    -- the history: the same order here, or a round making partitions meanwhile deadlocks with
    -- this drop.
    LOCK TABLE usage_archive_private.history_partitioning IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (SELECT FROM pg_inherits
               WHERE inhrelid = 'usage_archive.daily_usage_history_default'::regclass
                 AND inhparent = 'usage_archive.daily_usage_history'::regclass) THEN
        ALTER TABLE usage_archive.daily_usage_history DETACH PARTITION usage_archive.daily_usage_history_default;
    END IF;
    -- Partitions first, the partitioned history last.
    FOR t IN EXECUTE 'SELECT c.oid::pg_catalog.regclass AS rel, c.relname::text AS name
                      FROM pg_catalog.pg_dist_partition p
                      JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.logicalrelid
                      WHERE c.relnamespace OPERATOR(pg_catalog.=) ''usage_archive''::pg_catalog.regnamespace
                      ORDER BY c.relispartition DESC, c.relkind OPERATOR(pg_catalog.=) ''p'', c.relname'
    LOOP
        EXECUTE 'SELECT pg_catalog.citus_drop_all_shards($1, ''usage_archive'', $2)' USING t.rel, t.name;
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION usage_archive_private.prepare_drop_on_citus() FROM PUBLIC;

-- Called before every DROP EXTENSION in the database; it reads the statement (C: a PL/pgSQL
-- event trigger cannot see which extensions are dropped) and calls prepare_drop_on_citus() when
-- the statement drops usage_archive.
CREATE FUNCTION usage_archive_private.before_drop_extension() RETURNS event_trigger
AS 'MODULE_PATHNAME', 'usage_archive_before_drop_extension'
LANGUAGE C SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION usage_archive_private.before_drop_extension() FROM PUBLIC;
CREATE EVENT TRIGGER usage_archive_before_drop ON ddl_command_start WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION usage_archive_private.before_drop_extension();
