# With the background worker: it premakes the history's partitions (partition_history's
# premake periods ahead of today, also after a drop), and an archive run refused on a Citus
# worker node leaves its failed row in the run log.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WorkerNode;

my $node = WorkerNode->start('partition_worker');
ok(WorkerNode::wait_for_workers($node), 'the worker runs');
$node->safe_psql('postgres', q{
    CREATE EXTENSION usage_archive;
    SELECT usage_archive.add_source('story', 'simple');
    SELECT usage_archive.partition_history('1 month', 2);
});
my $ahead = q{
    SELECT count(*) FROM usage_archive_private.history_partitions()
    WHERE range_start >= date_trunc('month', current_date)::date
      AND range_start <= (date_trunc('month', current_date) + interval '2 months')::date
};
is($node->safe_psql('postgres', $ahead), '3', 'this month and the two ahead are made');

# Someone drops the next months' partitions (they are empty): the worker makes them again.
$node->safe_psql('postgres', q{
    DO $$ DECLARE p record; BEGIN
        FOR p IN SELECT partition FROM usage_archive_private.history_partitions()
                 WHERE range_start > current_date LOOP
            EXECUTE format('DROP TABLE %s', p.partition);
        END LOOP;
    END $$;
});
ok($node->poll_query_until('postgres', "SELECT ($ahead) = 3"), 'the worker premakes them again');

# A Citus worker node (citus_is_coordinator() false): refused, and the refusal is in the log.
$node->safe_psql('postgres', q{CREATE FUNCTION pg_catalog.citus_is_coordinator() RETURNS boolean LANGUAGE sql AS 'SELECT false'});
my ($ret, $out, $err) = $node->psql('postgres',
    q{SELECT usage_archive.archive_payload('story', '{"L": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}}')});
like($err, qr/ERROR:  usage_archive archives on the Citus coordinator only/, 'refused on a Citus worker');
my $run_id = $node->safe_psql('postgres', 'SELECT max(run_id) FROM usage_archive.archive_runs');
like(WorkerNode::final_run($node, $run_id), qr/^failed\|55000\|55000: usage_archive archives on the Citus coordinator only/,
     'the refused run is logged failed with 55000');
$node->safe_psql('postgres', 'DROP FUNCTION pg_catalog.citus_is_coordinator()');
is($node->safe_psql('postgres', q{SELECT inserted FROM usage_archive.archive_payload('story', '{"L": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}}')}),
   '1', 'archives again on a coordinator (no Citus)');

unlike(slurp_file($node->logfile), qr/usage_archive.*(creating the partitions).*(ERROR|failed)/, 'premake rounds logged no failure');
$node->stop;
done_testing();
