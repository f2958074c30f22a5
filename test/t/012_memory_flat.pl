# Memory stays flat (issue 12, item 6): the same 100,000-record starlink payload archived 50
# times in one session -- the first run inserts, the other 49 find everything unchanged --
# leaves the backend's resident memory within 10% of what it was after the first run. A
# per-run leak (a memory context not reset, a cache that only grows, a static container
# kept between calls) of even a few hundred kB a run shows here.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use CancelSession;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WorkerNode;

my $runs = 50;
# The production set-up: preloaded, so every run goes through the run log's shared slots.
my $node = WorkerNode->start('memory');
WorkerNode::wait_for_workers($node) or die 'the worker did not start';

# The payload is made once and kept in a table: each call reads it there, so psql sends a
# short statement and the backend, not the client, holds the text.
my $dir = PostgreSQL::Test::Utils::tempdir();
system('python3', "$FindBin::RealBin/../mock_api/starlink_data.py", 'payload', '--lines', '500', '--days', '200',
    '--out', "$dir/payload.json") == 0 or die 'could not generate the payload';
$node->safe_psql('postgres', qq{
    CREATE EXTENSION usage_archive;
    SELECT usage_archive.add_source('fleet', 'starlink');
    CREATE TABLE payloads (body text);
    ALTER TABLE payloads ALTER body SET STORAGE EXTERNAL;
    INSERT INTO payloads SELECT pg_read_file('$dir/payload.json');
});

my $s = CancelSession->new($node);
my (@rss, @anon, @stats);
for my $run (1 .. $runs) {
    push @stats, $s->query(q{SELECT inserted || '/' || unchanged
        FROM usage_archive.archive_payload('fleet', (SELECT body FROM payloads))});
    push @rss, CancelSession::status_kb($s->pid, 'VmRSS');
    push @anon, CancelSession::status_kb($s->pid, 'RssAnon');
}
is($stats[0], '100000/0', 'the first run inserts the 100,000 records');
is_deeply([ @stats[ 1 .. $#stats ] ], [ ('0/100000') x ($runs - 1) ], 'the other runs find them all unchanged');

my $mb = sub { sprintf('%.1f', $_[0] / 1024) };
note('VmRSS (MB) after each run: ' . join(' ', map { $mb->($_) } @rss));
note('RssAnon (MB) after each run: ' . join(' ', map { $mb->($_) } @anon));
note(sprintf('VmRSS: %s MB after run 1, %s MB after run %d (%+.1f%%); RssAnon: %s MB -> %s MB; VmHWM %s MB',
    $mb->($rss[0]), $mb->($rss[-1]), $runs, 100 * ($rss[-1] - $rss[0]) / $rss[0], $mb->($anon[0]), $mb->($anon[-1]),
    $mb->(CancelSession::status_kb($s->pid, 'VmHWM'))));
cmp_ok($rss[-1], '<=', $rss[0] * 1.10, "VmRSS after run $runs is within 10% of VmRSS after run 1");
# The private memory alone (shared buffers the backend touched count in VmRSS too): a leak of
# the payload's records or text would be megabytes a run, hundreds of MB in 50 runs.
cmp_ok($anon[-1] - $anon[0], '<=', 4096, "RssAnon after run $runs is within 4 MB of RssAnon after run 1");
# The second half of the runs: flat, not just slowly growing within the bound.
cmp_ok($anon[-1] - $anon[ $runs / 2 ], '<=', 2048, 'and the last 25 runs added less than 2 MB');

$s->quit;
$node->stop;
done_testing();
