# The background worker's durable run log: every archive call leaves one row in archive_runs
# whatever happens to the caller's transaction -- running while it runs, succeeded, failed
# with the error, rolled_back -- and runs cut short by a killed backend or a crash are marked
# failed after recovery, with nothing of their rows visible.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use MockApi;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WorkerNode;

my $mock = MockApi->start('--lines', '20');
my $port = $mock->port;
my $node = WorkerNode->start('run_log');

# Started before the extension exists: the workers wait quietly.
ok(WorkerNode::wait_for_workers($node), 'launcher and scheduler run (backend_type usage_archive ...)');
sleep 2;    # ten rounds of the worker
my $log_before_create = slurp_file($node->logfile);
unlike($log_before_create, qr/usage_archive.*(ERROR|FATAL)|(ERROR|FATAL).*usage_archive/,
    'no errors while the extension does not exist');

WorkerNode::create_with_mock_source($node, $port);
$node->safe_psql('postgres', q{SELECT usage_archive.add_source('story', 'simple')});
my $day = q{'{"L": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}}'};

sub start_psql {
    my ($sql) = @_;
    my ($out, $err) = ('', '');
    my $h = IPC::Run::start([ 'psql', '-XAt', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-c', $sql ],
        '>', \$out, '2>', \$err, IPC::Run::timeout(180));
    return ($h, \$out, \$err);
}

# A run in progress is visible as 'running' to other sessions.
$mock->control(hang_ms => 3000);
my ($h, $out, $err) = start_psql(q{SELECT run_id FROM usage_archive.archive_usage('mock')});
ok($node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM usage_archive.archive_runs WHERE status = 'running' AND source = 'mock'}),
    'another session sees the run as running');
$h->finish;
my $run = $$out;
chomp $run;
is(WorkerNode::final_run($node, $run), 'succeeded||', 'then succeeded');
$mock->reset;

# Succeeded, failed for a bad payload, for an unknown source, for the API: each has its row.
$node->safe_psql('postgres', qq{SELECT usage_archive.archive_payload('story', $day)});
is(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), 'succeeded||', 'a successful call');
# REPEATABLE READ and SERIALIZABLE: the worker commits the 'running' row after the caller's
# transaction took its snapshot, and the run's own write of its row must still succeed (with the
# transaction's snapshot it was 40001, every time).
for my $level ('REPEATABLE READ', 'SERIALIZABLE') {
    my ($rc, $stdout, $stderr) = $node->psql('postgres',
        "BEGIN ISOLATION LEVEL $level; SELECT unchanged FROM usage_archive.archive_payload('story', $day); COMMIT;");
    is($rc . ':' . $stdout, '0:1', "a run in $level succeeds") or diag($stderr);
    is(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), 'succeeded||', "its row says so ($level)");
}
$node->psql('postgres', q{SELECT usage_archive.archive_payload('story', 'not json')});
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|22P02\|22P02: source "story": invalid JSON/,
    'a bad payload: failed with its SQLSTATE and message');
$node->psql('postgres', q{SELECT usage_archive.archive_payload('nonesuch', '{}')});
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|42704\|42704: source "nonesuch" does not exist/,
    'an unknown source: failed');
# A client secret file that has gone away by run time: failed with 58P01.
my $secret_file = PostgreSQL::Test::Utils::tempdir() . '/filed.secret';
PostgreSQL::Test::Utils::append_to_file($secret_file, "test-secret\n");
$node->safe_psql('postgres', qq{
    SELECT usage_archive.add_source('filed', 'starlink', base_url => 'http://127.0.0.1:$port/api',
        token_url => 'http://127.0.0.1:$port/api/auth/connect/token', client_id => 'test-client');
    SELECT usage_archive.set_client_secret_file('filed', '$secret_file');
});
unlink($secret_file) or die;
$node->psql('postgres', q{SELECT usage_archive.archive_usage('filed')});
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)),
    qr/^failed\|58P01\|58P01: .*client secret file ".*filed\.secret" cannot be used: No such file/,
    'a client secret file gone at run time: failed with 58P01');
$mock->control(status_sequence => [422]);
$node->psql('postgres', q{SELECT usage_archive.archive_usage('mock')});
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|38000\|.*HTTP 422 .*Failed to query data usage/,
    'an HTTP failure: failed');
is($node->safe_psql('postgres', q{SELECT http_requests > 0 FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1}),
    't', 'with the HTTP counters it reached');
$mock->reset;

# Cancelled and timed out while fetching.
$mock->control(hang_ms => 60000);
($h, $out, $err) = start_psql(q{SELECT usage_archive.archive_usage('mock')});
$node->poll_query_until('postgres',
    q{SELECT count(*) = 1 FROM usage_archive.archive_runs WHERE status = 'running' AND source = 'mock'});
$node->safe_psql('postgres',
    q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%archive_usage(%' AND pid <> pg_backend_pid()});
eval { $h->finish };
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|57014\|57014: canceling statement due to user request/,
    'cancelled: failed with 57014');
$node->psql('postgres', q{SET statement_timeout = '500ms'; SELECT usage_archive.archive_usage('mock')});
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|57014\|57014: canceling statement due to statement timeout/,
    'statement_timeout: failed with 57014');
# A terminated session.
($h, $out, $err) = start_psql(q{SELECT usage_archive.archive_usage('mock')});
$node->poll_query_until('postgres',
    q{SELECT count(*) = 1 FROM usage_archive.archive_runs WHERE status = 'running' AND source = 'mock'});
$node->safe_psql('postgres',
    q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%archive_usage(%' AND pid <> pg_backend_pid()});
eval { $h->finish };
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|57P01\|57P01: backend terminated during the run/,
    'pg_terminate_backend: failed, backend terminated');
$mock->reset;

# Succeeded calls whose transaction (or savepoint) rolled back: rolled_back, rows not kept.
$node->safe_psql('postgres', q{
    BEGIN;
    SELECT usage_archive.archive_payload('story', '{"L": {"daily_usage": [{"date": "2025-10-02", "usage_gb": 2}]}}');
    ROLLBACK;
});
is(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), 'rolled_back||', 'a rolled-back transaction: rolled_back');
$node->safe_psql('postgres', q{
    BEGIN;
    SAVEPOINT s;
    SELECT usage_archive.archive_payload('story', '{"L": {"daily_usage": [{"date": "2025-10-03", "usage_gb": 3}]}}');
    ROLLBACK TO s;
    COMMIT;
});
is(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), 'rolled_back||', 'a rolled-back savepoint: rolled_back');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
    WHERE l.source = 'story' AND h.usage_date > '2025-10-01'}), '0', 'their rows were not kept');
# A failure caught by the caller's exception block is still failed.
$node->safe_psql('postgres', q{
    DO $$ BEGIN PERFORM usage_archive.archive_payload('story', 'nope'); EXCEPTION WHEN OTHERS THEN NULL; END $$;
});
like(WorkerNode::final_run($node, WorkerNode::last_run_id($node)), qr/^failed\|22P02/, 'a failure the caller caught: failed');

# The log can only be written by the extension, not by an archiving role.
$node->safe_psql('postgres', q{CREATE ROLE etl LOGIN; SELECT usage_archive.grant_role('etl', 'archiver');});
my ($ret, $stdout, $stderr) = $node->psql('postgres',
    q{SET ROLE etl; UPDATE usage_archive.archive_runs SET status = 'succeeded'});
like($stderr, qr/permission denied for table archive_runs/, 'an archiver cannot alter run rows');
($ret, $stdout, $stderr) = $node->psql('postgres',
    q{SET ROLE etl; INSERT INTO usage_archive.archive_runs (source, entry_point) VALUES ('x', 'forged')});
like($stderr, qr/permission denied for table archive_runs/, 'nor forge them');
$node->safe_psql('postgres', qq{SET ROLE etl; SELECT usage_archive.archive_payload('story', $day)});
is($node->safe_psql('postgres', q{SELECT invoked_by || ' ' || status FROM usage_archive.archive_runs ORDER BY run_id DESC LIMIT 1}),
    'etl succeeded', 'but its calls are logged, under its name');

# kill -9 of a backend in the middle of archiving 1,000,000 records: the server restarts,
# the run is marked failed "server restarted", and nothing of it is visible.
my $payload = PostgreSQL::Test::Utils::tempdir() . '/payload.json';
system('python3', "$FindBin::RealBin/../mock_api/starlink_data.py", 'payload', '--lines', '5000', '--days', '200',
    '--out', $payload) == 0 or die 'could not generate the payload';
$node->safe_psql('postgres', qq{
    SELECT usage_archive.add_source('big', 'starlink');
    CREATE TABLE big_payload AS SELECT pg_read_file('$payload') AS body;
});
($h, $out, $err) = start_psql(q{SELECT usage_archive.archive_payload('big', (SELECT body FROM big_payload))});
ok($node->poll_query_until('postgres',
        q{SELECT count(*) = 1 FROM usage_archive.archive_runs WHERE status = 'running' AND source = 'big'}),
    'the big run is running');
my $big = $node->safe_psql('postgres', q{SELECT run_id FROM usage_archive.archive_runs WHERE source = 'big'});
my $pid = $node->safe_psql('postgres', q{SELECT backend_pid FROM usage_archive.archive_runs WHERE source = 'big'});
# Into the writing if we can catch it there (COPY reports its progress), else wherever it is.
$node->poll_query_until('postgres', qq{
    SELECT (SELECT count(*) FROM pg_stat_progress_copy WHERE pid = $pid AND tuples_processed > 0) > 0
        OR now() - (SELECT started_at FROM usage_archive.archive_runs WHERE run_id = $big) > interval '3 s'});
my $killed = kill 'KILL', $pid;
is($killed, 1, 'killed the backend with SIGKILL');
eval { $h->finish };
ok($node->poll_query_until('postgres', q{SELECT true}), 'the server is back after crash recovery');
is(WorkerNode::final_run($node, $big), 'failed|57P02|57P02: server restarted during the run',
    'the run is marked failed: server restarted');
is($node->safe_psql('postgres', q{
    SELECT count(*) FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
    WHERE l.source = 'big'}), '0', 'none of its rows is visible');
like(slurp_file($node->logfile), qr/usage_archive: settled 1 archive runs left running/, 'the worker says it settled it');

# Every slot taken: the next call warns and logs itself in its own transaction.
$node->append_conf('postgresql.conf', "usage_archive.run_log_slots = 1\n");
$node->restart;
WorkerNode::wait_for_workers($node);
$mock->control(hang_ms => 4000);
($h, $out, $err) = start_psql(q{SELECT usage_archive.archive_usage('mock')});
$node->poll_query_until('postgres',
    q{SELECT count(*) = 1 FROM usage_archive.archive_runs WHERE status = 'running' AND source = 'mock'});
($ret, $stdout, $stderr) = $node->psql('postgres', qq{SELECT usage_archive.archive_payload('story', $day)});
like($stderr, qr/WARNING:  usage_archive: all 1 run log slots are in use/, 'a full slot array warns');
is($node->safe_psql('postgres', q{SELECT status FROM usage_archive.archive_runs WHERE source = 'story' ORDER BY run_id DESC LIMIT 1}),
    'succeeded', 'and the call still succeeds, logged in its transaction');
$h->finish;
$mock->reset;

$node->stop;
$mock->stop;
done_testing();
