# Async archive jobs run by the background worker, and one request budget per account shared
# by every backend and job.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use JSON::PP;
use MockApi;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WorkerNode;

my $mock = MockApi->start('--lines', '20');
my $port = $mock->port;
my $node = WorkerNode->start('jobs', "usage_archive.max_parallel_jobs = 2\n");
WorkerNode::wait_for_workers($node);
WorkerNode::create_with_mock_source($node, $port);
$node->safe_psql('postgres', q{
    CREATE ROLE etl LOGIN;
    SELECT usage_archive.grant_role('etl', 'archiver');
});
sub as_etl {
    my ($sql) = @_;
    my ($ret, $out, $err) = $node->psql('postgres', "SET ROLE etl; $sql");
    return ($out, $err);
}
sub job_state {
    my ($job) = @_;
    return $node->safe_psql('postgres',
        qq{SELECT state || '|' || coalesce(sqlstate, '') || '|' || queued_by FROM usage_archive.jobs WHERE job_id = $job});
}

# Queued by a role, run by the worker as that role, waited for.
my ($job, $err) = as_etl(q{SELECT usage_archive.archive_usage_async('mock', 1)});
like($job, qr/^\d+$/, 'archive_usage_async returns a job id');
my ($stats) = as_etl(qq{SELECT inserted, updated, unchanged, run_id > 0 FROM usage_archive.wait_for_job($job)});
# The mock's 20 lines, this cycle and the one before (as http_archive.sql's second run).
is($stats, '861|0|0|t', 'wait_for_job returns what the run did');
is(job_state($job), 'succeeded||etl', 'the job succeeded, queued by etl');
is($node->safe_psql('postgres', qq{
    SELECT r.invoked_by || ' ' || r.entry_point || ' ' || r.status
    FROM usage_archive.jobs j JOIN usage_archive.archive_runs r USING (run_id) WHERE j.job_id = $job}),
    'etl archive_usage_async succeeded', 'its run ran as etl and is in the run log');

# previous_billing_cycles is checked when the job is queued: 0..120.
($job, $err) = as_etl(q{SELECT usage_archive.archive_usage_async('mock', 121)});
like($err, qr/previous_billing_cycles must be between 0 and 120/, 'a job for 121 previous cycles is refused');
($job) = as_etl(q{SELECT usage_archive.archive_usage_async('mock', 120)});
as_etl(qq{SELECT FROM usage_archive.wait_for_job($job)});
is($node->safe_psql('postgres', qq{
    SELECT j.previous_billing_cycles || ' ' || j.state || ' ' || (r.api_request ->> 'previousBillingCycles')
    FROM usage_archive.jobs j JOIN usage_archive.archive_runs r USING (run_id) WHERE j.job_id = $job}),
    '120 succeeded 120', 'a job for 120 previous cycles runs and asks for them');

# What a statement fails with, its SQLSTATE first (VERBOSITY verbose).
sub error_of {
    my ($dbname, $sql) = @_;
    my (undef, undef, $err) = $node->psql($dbname, $sql, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
    return $err;
}
# wait_for_job: an unknown job is 42704; a job queued in the calling transaction, still open,
# is 55000 at once (the worker starts it only after the commit: a wait could only time out).
like(error_of('postgres', q{SET ROLE etl; SELECT * FROM usage_archive.wait_for_job(999999)}),
    qr/ERROR:  42704: async job 999999 does not exist/, 'wait_for_job of an unknown job: 42704');
like(error_of('postgres', q{SET ROLE etl;
BEGIN;
SELECT usage_archive.archive_usage_async('mock') AS queued \gset
SELECT * FROM usage_archive.wait_for_job(:queued, '2 seconds');
ROLLBACK;}), qr/ERROR:  55000: async job \d+ was queued in this transaction/,
    'wait_for_job of a job queued in the still-open transaction: 55000');
# archive_usage_async in a database other than usage_archive.database: 55000, nothing queued.
$node->safe_psql('postgres', 'CREATE DATABASE elsewhere');
$node->safe_psql('elsewhere', q{CREATE EXTENSION usage_archive; SELECT usage_archive.add_source('s', 'simple', 'http://127.0.0.1:9/')});
like(error_of('elsewhere', q{SELECT usage_archive.archive_usage_async('s')}),
    qr/ERROR:  55000: async archive jobs run in database "postgres" \(usage_archive.database\), not in this one/,
    'archive_usage_async in another database: 55000');
is($node->safe_psql('elsewhere', 'SELECT count(*) FROM usage_archive.jobs'), '0', '... and nothing is queued there');
$node->safe_psql('postgres', 'DROP DATABASE elsewhere');

# A job fails like the call would: the role's privileges, the API's errors.
$node->safe_psql('postgres', q{REVOKE SELECT ON usage_archive.sources FROM etl});
($job) = as_etl(q{SELECT usage_archive.archive_usage_async('mock')}) ;
is($job, '', 'a role that cannot read the sources cannot queue');
$node->safe_psql('postgres', q{GRANT SELECT ON usage_archive.sources TO etl});
$mock->control(hang_ms => 2000);    # the privilege is revoked while the job fetches
($job) = as_etl(q{SELECT usage_archive.archive_usage_async('mock')});
$node->poll_query_until('postgres', qq{SELECT worker_pid IS NOT NULL FROM usage_archive.jobs WHERE job_id = $job});
$node->safe_psql('postgres', q{REVOKE SELECT ON usage_archive.daily_usage_history FROM etl});
my ($out);
($out, $err) = as_etl(qq{SELECT * FROM usage_archive.wait_for_job($job)});
like($err, qr/async job $job failed: permission denied for table daily_usage_history/,
    'the job runs with its role\'s privileges: a privilege revoked meanwhile fails it');
is(job_state($job), 'failed|42501|etl', 'and it is failed with the SQLSTATE');
$node->safe_psql('postgres', q{GRANT SELECT ON usage_archive.daily_usage_history TO etl});
$mock->reset;
$mock->control(status_sequence => [422]);
($job) = as_etl(q{SELECT usage_archive.archive_usage_async('mock')});
($out, $err) = as_etl(qq{SELECT * FROM usage_archive.wait_for_job($job)});
like($err, qr/ERROR:  async job $job failed: source "mock": HTTP 422/, 'wait_for_job raises the job\'s error');
$mock->reset;

# Timeout, then cancel of a running job.
$mock->control(hang_ms => 60000);
($job) = as_etl(q{SELECT usage_archive.archive_usage_async('mock')});
my $t0 = time;
($out, $err) = as_etl(qq{SELECT * FROM usage_archive.wait_for_job($job, '1 second')});
like($err, qr/async job $job did not finish within the timeout/, 'wait_for_job times out');
cmp_ok(time - $t0, '<', 10, '... after about its timeout');
$node->poll_query_until('postgres', qq{SELECT worker_pid IS NOT NULL FROM usage_archive.jobs WHERE job_id = $job});
($out) = as_etl(qq{SELECT usage_archive.cancel_job($job)});
is($out, 't', 'cancel_job of a running job');
($out, $err) = as_etl(qq{SELECT * FROM usage_archive.wait_for_job($job)});
like($err, qr/async job $job was cancelled/, 'its waiter learns it was cancelled');
is(job_state($job), 'cancelled|57014|etl', 'the job is cancelled');
($out) = as_etl(qq{SELECT usage_archive.cancel_job($job)});
is($out, 'f', 'cancelling it again does nothing');
$mock->reset;
# Only its role (or a member, or a superuser) may cancel a job.
$node->safe_psql('postgres', q{CREATE ROLE other LOGIN; SELECT usage_archive.grant_role('other', 'archiver')});
($job) = as_etl(q{SELECT usage_archive.archive_usage_async('mock')});
(undef, undef, $err) = $node->psql('postgres', qq{SET ROLE other; SELECT usage_archive.cancel_job($job)});
like($err, qr/permission denied to cancel async job $job/, 'another role may not cancel it');
as_etl(qq{SELECT * FROM usage_archive.wait_for_job($job)});

# Queued jobs survive a crash of the worker; max_parallel_jobs = 0 holds them, a reload
# (SIGHUP) lets them run.
$node->safe_psql('postgres', q{ALTER SYSTEM SET usage_archive.max_parallel_jobs = 0; SELECT pg_reload_conf()});
sleep 1;
my @queued;
push @queued, (as_etl(q{SELECT usage_archive.archive_usage_async('mock')}))[0] for 1 .. 2;
my $cancelled = (as_etl(q{SELECT usage_archive.archive_usage_async('mock')}))[0];
sleep 1;
is($node->safe_psql('postgres', qq{SELECT string_agg(state, ',') FROM usage_archive.jobs WHERE job_id IN ($queued[0], $queued[1])}),
    'queued,queued', 'with max_parallel_jobs = 0 jobs stay queued');
is((as_etl(qq{SELECT usage_archive.cancel_job($cancelled)}))[0], 't', 'cancel_job of a queued job');
is(job_state($cancelled), 'cancelled|57014|etl', 'it is cancelled before it started');
my $scheduler = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'usage_archive scheduler'});
kill 'KILL', $scheduler;
ok($node->poll_query_until('postgres', qq{
    SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'usage_archive scheduler' AND pid <> $scheduler}),
    'after kill -9 of the worker the postmaster restarted it');
is($node->safe_psql('postgres', qq{SELECT string_agg(state, ',') FROM usage_archive.jobs WHERE job_id IN ($queued[0], $queued[1])}),
    'queued,queued', 'the queued jobs are intact');
$node->safe_psql('postgres', q{ALTER SYSTEM SET usage_archive.max_parallel_jobs = 1; SELECT pg_reload_conf()});
for my $j (@queued) {
    ($out, $err) = as_etl(qq{SELECT run_id > 0 FROM usage_archive.wait_for_job($j)});
    is($out, 't', "after the reload job $j ran");
}

# A database's own search_path (ALTER DATABASE ... SET, which its owner may change) decides
# nothing a worker does with its superuser rights: a hostile "=" first on the path is never
# called by the worker processes.
$node->safe_psql('postgres', q{
    CREATE SCHEMA evil;
    CREATE TABLE evil.calls (backend_type text);
    GRANT USAGE ON SCHEMA evil TO PUBLIC;
    GRANT INSERT ON evil.calls TO PUBLIC;
    CREATE FUNCTION evil.text_eq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO evil.calls SELECT backend_type FROM pg_catalog.pg_stat_activity WHERE pid = pg_catalog.pg_backend_pid();
        RETURN a OPERATOR(pg_catalog.=) b;
    END $$;
    CREATE OPERATOR evil.= (leftarg = text, rightarg = text, function = evil.text_eq);
    ALTER DATABASE postgres SET search_path = evil, pg_catalog, public;
});
($job) = as_etl(q{SELECT usage_archive.archive_usage_async('mock')});
($stats) = as_etl(qq{SELECT run_id > 0 FROM usage_archive.wait_for_job($job)});
is($stats, 't', 'a job runs with a hostile search_path set on its database');
is($node->safe_psql('postgres', q{SELECT count(*) FROM evil.calls WHERE backend_type <> 'client backend'}), '0',
    'no worker process called the hostile operator');
$node->safe_psql('postgres', q{ALTER DATABASE postgres RESET search_path; DROP SCHEMA evil CASCADE});

# One request budget per account: two sessions archiving the same source at once stay
# within its rate_limit_per_minute together in every 60-second window. Each run needs two
# data-usage pages (20 lines, 10 a page); with a limit of 3 the fourth request waits.
$node->safe_psql('postgres', q{
    SELECT usage_archive.add_source(s.name, s.kind, s.base_url, s.token_url, s.client_id,
                                    options => '{"page_limit": 10, "rate_limit_per_minute": 3}')
    FROM usage_archive.sources s WHERE name = 'mock'});
sleep 61;    # whatever this source sent before is out of the window
$mock->reset;
my @runs;
for (1 .. 2) {
    my ($o, $e) = ('', '');
    push @runs, IPC::Run::start([ 'psql', '-XAt', '-d', $node->connstr('postgres'), '-c',
            q{SELECT usage_archive.archive_usage('mock')} ], '>', \$o, '2>', \$e, IPC::Run::timeout(300));
}
$_->finish for @runs;
my @times = sort { $a <=> $b } @{ $mock->stats->{data_usage_times} };
is(scalar @times, 4, 'the two runs made four data-usage requests');
my $most = 0;
for my $i (0 .. $#times) {
    my $in_window = grep { $_ >= $times[$i] && $_ < $times[$i] + 60 } @times;
    $most = $in_window if $in_window > $most;
}
cmp_ok($most, '<=', 3, "never more than 3 in any 60-second window (at most $most)");
cmp_ok($times[-1] - $times[0], '>=', 55, 'the fourth request waited for the window');

$node->stop;
$mock->stop;
done_testing();
