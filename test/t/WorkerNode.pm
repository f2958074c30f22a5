# A PostgreSQL test cluster with usage_archive preloaded (the background worker running), for
# the worker's TAP tests.
package WorkerNode;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# A started node with the worker; `conf` adds postgresql.conf lines.
sub start {
    my ($class, $name, $conf) = @_;
    my $node = PostgreSQL::Test::Cluster->new($name);
    $node->init;
    $node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'usage_archive'
usage_archive.worker_naptime = '200ms'
max_worker_processes = 16
restart_after_crash = on
} . ($conf // ''));
    $node->start;
    return $node;
}

# Waits until the launcher and a scheduler for `dbname` show in pg_stat_activity.
sub wait_for_workers {
    my ($node, $dbname) = @_;
    $dbname //= 'postgres';
    return $node->poll_query_until('postgres', qq{
        SELECT count(*) = 2 FROM pg_stat_activity
        WHERE backend_type = 'usage_archive launcher'
           OR (backend_type = 'usage_archive scheduler' AND datname = '$dbname')});
}

# The status of a run once it is no longer 'running' (waits up to the test timeout).
sub final_run {
    my ($node, $run_id, $dbname) = @_;
    $dbname //= 'postgres';
    $node->poll_query_until($dbname,
        qq{SELECT status <> 'running' FROM usage_archive.archive_runs WHERE run_id = $run_id})
      or die "run $run_id is still running";
    return $node->safe_psql($dbname,
        qq{SELECT status || '|' || coalesce(sqlstate, '') || '|' || coalesce(error, '')
           FROM usage_archive.archive_runs WHERE run_id = $run_id});
}

# Creates the extension and a starlink source 'mock' on the mock API at `port` (two pages of
# ten lines for a fleet of 20).
sub create_with_mock_source {
    my ($node, $port) = @_;
    $node->safe_psql('postgres', qq{
        CREATE EXTENSION usage_archive;
        SET log_statement = 'none';
        SELECT usage_archive.add_source('mock', 'starlink',
            base_url => 'http://127.0.0.1:$port/api', token_url => 'http://127.0.0.1:$port/api/auth/connect/token',
            client_id => 'test-client', client_secret => 'test-secret', options => '{"page_limit": 10}');
    });
}

sub last_run_id {
    my ($node, $dbname) = @_;
    return $node->safe_psql($dbname // 'postgres', q{SELECT max(run_id) FROM usage_archive.archive_runs});
}

1;
