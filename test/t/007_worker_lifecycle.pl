# The background worker over the life of a cluster: a database that does not exist yet,
# DROP DATABASE and DROP EXTENSION never blocked by it, retention of the logs, the
# uniqueness sweep, and a clean exit on SIGTERM.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use WorkerNode;

my $node = WorkerNode->start('lifecycle', "usage_archive.database = 'archive'\n");

# The served database does not exist: the launcher says so once and waits.
ok($node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'usage_archive launcher'}),
    'the launcher runs');
sleep 2;
my $log = slurp_file($node->logfile);
my $said = () = $log =~ /database "archive" \(usage_archive.database\) does not exist/g;
is($said, 1, 'a missing database is reported once, not every round');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'usage_archive scheduler'}),
    '0', 'and no scheduler runs');
$node->safe_psql('postgres', 'CREATE DATABASE archive');
ok(WorkerNode::wait_for_workers($node, 'archive'), 'once it exists a scheduler serves it');
$node->safe_psql('archive', q{
    CREATE EXTENSION usage_archive;
    SELECT usage_archive.add_source('story', 'simple');
});

# DROP DATABASE while the scheduler is connected to it, without and with FORCE.
my $t0 = time;
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE archive');
is($ret, 0, 'DROP DATABASE succeeds while the worker is connected') or diag($err);
cmp_ok(time - $t0, '<', 5, '... without waiting out the 5 s PostgreSQL gives other sessions');
sleep 2;
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'usage_archive scheduler'}),
    '0', 'no scheduler comes back for the dropped database');
$node->safe_psql('postgres', 'CREATE DATABASE archive');
ok(WorkerNode::wait_for_workers($node, 'archive'), 'a new database of that name is served again');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE archive WITH (FORCE)');
is($ret, 0, 'DROP DATABASE WITH (FORCE) succeeds') or diag($err);
$node->safe_psql('postgres', 'CREATE DATABASE archive');
WorkerNode::wait_for_workers($node, 'archive');
$node->safe_psql('archive', q{CREATE EXTENSION usage_archive; SELECT usage_archive.add_source('story', 'simple')});

# DROP EXTENSION, then CREATE EXTENSION again: the worker lets go and picks it up again.
($ret, $out, $err) = $node->psql('archive', 'DROP EXTENSION usage_archive', timeout => 30);
is($ret, 0, 'DROP EXTENSION is not blocked by the worker') or diag($err);
$node->safe_psql('archive', q{CREATE EXTENSION usage_archive; SELECT usage_archive.add_source('story', 'simple')});
$node->safe_psql('archive',
    q{SELECT usage_archive.archive_payload('story', '{"L": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}}')});
my $run = WorkerNode::last_run_id($node, 'archive');
is(WorkerNode::final_run($node, $run, 'archive'), 'succeeded||', 'after CREATE EXTENSION the run log is served again');
$node->psql('archive', q{SELECT usage_archive.archive_payload('story', 'nope')});
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node, 'archive'), 'archive'), qr/^failed\|22P02/,
    'including failed runs');

# The worker's settings (settings.sql shows the defaults of the others): run_log_slots,
# defined only with the preload, read at server start; and each documented range enforced
# where these settings are set, by ALTER SYSTEM (reset at once, so nothing is reloaded).
is($node->safe_psql('postgres', q{SELECT boot_val || ' ' || context FROM pg_settings WHERE name = 'usage_archive.run_log_slots'}),
    '64 postmaster', 'run_log_slots: 64 by default, server start only');
sub alter_system {
    my ($setting, $value) = @_;
    my ($ret, $out, $err) = $node->psql('postgres', "ALTER SYSTEM SET usage_archive.$setting = '$value'");
    $node->safe_psql('postgres', "ALTER SYSTEM RESET usage_archive.$setting");
    return $ret == 0 ? 'accepted' : $err =~ /outside the valid range/ ? 'refused' : $err;
}
for my $range (
    [ 'worker_naptime', '100 ms .. 1 h', [ '99ms', '100ms', '1h', '3600001ms' ], 'refused accepted accepted refused' ],
    [ 'max_parallel_jobs', '0 holds the jobs', [ '-1', '0' ], 'refused accepted' ],
    [ 'run_log_retention', '0 keeps forever', [ '-1', '0' ], 'refused accepted' ],
    [ 'correction_log_retention', '0 keeps forever', [ '-1', '0' ], 'refused accepted' ],
    [ 'sweep_interval', '0 turns it off', [ '-1', '0' ], 'refused accepted' ]) {
    my ($setting, $doc, $values, $want) = @$range;
    is(join(' ', map { alter_system($setting, $_) } @$values), $want, "$setting: $doc (@$values)");
}

# Retention: runs and finished jobs past usage_archive.run_log_retention go, in batches;
# corrections are kept until usage_archive.correction_log_retention is set.
$node->safe_psql('archive', q{
    INSERT INTO usage_archive.archive_runs (source, entry_point, started_at, status)
    SELECT 'story', 'archive_payload', now() - interval '100 days' - i * interval '1 second', 'succeeded'
    FROM generate_series(1, 2500) i;
    INSERT INTO usage_archive.archive_runs (source, entry_point, started_at, status)
    VALUES ('story', 'archive_payload', now() - interval '100 days', 'running');
    INSERT INTO usage_archive.usage_corrections (run_id, service_line_id, usage_date, corrected_at)
    SELECT 1, 1, '2025-01-01', now() - interval '400 days' FROM generate_series(1, 1500);
});
ok($node->poll_query_until('archive',
        q{SELECT count(*) = 0 FROM usage_archive.archive_runs WHERE started_at < now() - interval '90 days' AND status <> 'running'}),
    'runs older than 90 days (the default) are deleted');
is($node->safe_psql('archive', q{SELECT count(*) FROM usage_archive.archive_runs WHERE started_at > now() - interval '1 day'}),
    '2', 'recent runs stay');
is($node->safe_psql('archive', q{SELECT count(*) FROM usage_archive.usage_corrections}), '1500',
    'corrections are kept forever by default');
$node->safe_psql('postgres', q{ALTER SYSTEM SET usage_archive.correction_log_retention = '365d'; SELECT pg_reload_conf()});
ok($node->poll_query_until('archive', q{SELECT count(*) = 0 FROM usage_archive.usage_corrections}),
    'with correction_log_retention set, old corrections go too');

# The uniqueness sweep: a registered table without a unique index, with duplicates.
$node->safe_psql('archive', q{
    CREATE TABLE legacy_usage (line text, day date, gb numeric);
    INSERT INTO legacy_usage VALUES ('L1', '2025-10-01', 1), ('L1', '2025-10-01', 1), ('L1', '2025-10-01', 2),
                                    ('L2', '2025-10-01', 5), ('L2', '2025-10-02', 5), ('L2', '2025-10-02', 5);
    INSERT INTO usage_archive_private.uniqueness_targets VALUES ('legacy_usage', '{line,day}');
});
$node->safe_psql('postgres', q{ALTER SYSTEM SET usage_archive.sweep_interval = '1s'; SELECT pg_reload_conf()});
ok($node->poll_query_until('archive', q{SELECT count(*) = 2 FROM usage_archive.duplicate_findings}),
    'the sweep records the duplicate keys');
is($node->safe_psql('archive', q{SELECT string_agg(table_name || ' ' || key::text || ' ' || copies, '; ' ORDER BY key::text)
                                  FROM usage_archive.duplicate_findings}),
    'public.legacy_usage {"day": "2025-10-01", "line": "L1"} 3; public.legacy_usage {"day": "2025-10-02", "line": "L2"} 2',
    'table, key and copies');
$node->safe_psql('archive', q{DELETE FROM legacy_usage WHERE ctid NOT IN (SELECT min(ctid) FROM legacy_usage GROUP BY line, day)});
ok($node->poll_query_until('archive', q{SELECT count(*) = 0 FROM usage_archive.duplicate_findings}),
    'a later sweep replaces the findings');

# SIGTERM: the launcher exits cleanly (no crash, no restart loop).
my $launcher = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'usage_archive launcher'});
kill 'TERM', $launcher;
ok($node->poll_query_until('postgres',
        qq{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'usage_archive launcher' AND pid = $launcher}),
    'the launcher exits on SIGTERM');
unlike(slurp_file($node->logfile), qr/usage_archive launcher" \(PID $launcher\) (was terminated by signal|exited with exit code [^0])/,
    'cleanly');
$node->stop('fast');
like(slurp_file($node->logfile), qr/database system is shut down/, 'and the server shuts down with the workers');

done_testing();
