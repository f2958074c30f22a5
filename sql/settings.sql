-- The settings as docs/sql-reference.md documents them: every default, who may change each
-- (context: user, superuser, or sighup for the worker's, read on reload), and each documented
-- range enforced at both ends, just inside accepted, just outside refused. The library
-- defines them when it is loaded; the worker's are defined here too, but only
-- postgresql.conf or ALTER SYSTEM sets them, so t/007 checks their ranges (and run_log_slots,
-- which exists only with the preload).
LOAD 'usage_archive';
SELECT name, boot_val AS default, unit, context FROM pg_settings WHERE name LIKE 'usage_archive.%' ORDER BY name;

-- Each documented range, at both ends: what a SET of the value does (22023 when refused).
CREATE FUNCTION pg_temp.try_set(setting text, value text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'accepted: ' || set_config(setting, value, true);
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN 'refused: ' || SQLERRM;
END $$;
SELECT setting, value, pg_temp.try_set('usage_archive.' || setting, value) AS outcome
FROM (VALUES ('max_concurrent_requests', '0'), ('max_concurrent_requests', '1'),     -- 1..64
             ('max_concurrent_requests', '64'), ('max_concurrent_requests', '65'),
             ('spike_factor', '0.999'), ('spike_factor', '1'),                         -- 1..1000
             ('spike_factor', '1000'), ('spike_factor', '1000.5'),
             ('write_method', 'auto'), ('write_method', 'sql'), ('write_method', 'copy') -- auto or sql
     ) v(setting, value);
