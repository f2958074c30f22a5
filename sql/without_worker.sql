-- Without the preload (pg_regress's server has none), what needs the background worker says
-- so: the async job functions raise 55000 with how to get it, before anything else, and
-- queue nothing.
SELECT usage_archive.add_source('nw', 'simple', base_url => 'http://127.0.0.1:9/usage');
SELECT usage_archive.archive_usage_async('nw');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM usage_archive.wait_for_job(1);
\echo :LAST_ERROR_SQLSTATE
SELECT usage_archive.cancel_job(1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS jobs FROM usage_archive.jobs;
DELETE FROM usage_archive.sources WHERE name = 'nw';
