# A partitioned install (partition_history) survives pg_dump and pg_restore with every row and
# its partitions, keeps archiving, and DROP EXTENSION removes it whole, partitions included.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('partitions_dump');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE source_db; CREATE DATABASE restored_db;');

my $payload = q{{"SL-1": {"daily_usage": [{"date": "2025-08-31", "usage_gb": 1}, {"date": "2025-09-01", "usage_gb": 2}, {"date": "2025-10-01", "usage_gb": 3}]},
                 "SL-2": {"daily_usage": [{"date": "2025-10-02", "usage_gb": 4}]}}};
$node->safe_psql('source_db', qq{
    CREATE EXTENSION usage_archive;
    SELECT usage_archive.add_source('story', 'simple');
    SELECT usage_archive.archive_payload('story', '$payload');
    SELECT usage_archive.partition_history('1 month', 1);
    -- A run after partitioning: a correction, and a day in a month without a partition yet.
    SELECT usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 5}, {"date": "2024-12-31", "usage_gb": 6}]}}');
    CREATE ROLE dump_reader;
    SELECT usage_archive.grant_role('dump_reader', 'reader');
});

my $rows = q{
    SELECT string_agg(format('%s|%s|%s', l.service_line_number, h.usage_date, h.consumed_gb), ','
                      ORDER BY l.service_line_number, h.usage_date)
    FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
};
my $layout = q{
    SELECT string_agg(format('%s %s..%s', partition, range_start, range_end), ',' ORDER BY range_start)
    FROM usage_archive_private.history_partitions() WHERE range_start < '2026-01-01'
};
my $before = $node->safe_psql('source_db', $rows);
is($before, 'SL-1|2024-12-31|6.000,SL-1|2025-08-31|1.000,SL-1|2025-09-01|2.000,SL-1|2025-10-01|5.000,SL-2|2025-10-02|4.000',
   'archived rows before the dump');
my $partitions = $node->safe_psql('source_db', $layout);
like($partitions, qr/p20241201 2024-12-01\.\.2025-01-01,.*p20250801 .*p20250901 .*p20251001 /, 'a partition per month with rows');

my $dump = $PostgreSQL::Test::Utils::tmp_check . '/partitioned.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('source_db') ], 'pg_dump');
# CREATE EXTENSION gives the restored history its primary key before the partitions are
# attached, and ATTACH gives each partition its key then: the dump's own ADD CONSTRAINT of each
# partition's key is the one statement that fails, harmlessly. docs/scaling.md: leave those
# entries out with a list (below), or let pg_restore report them.
$node->safe_psql('postgres', 'CREATE DATABASE plain_db');
my ($ret, $out, $err) = (0, '', '');
PostgreSQL::Test::Utils::run_log([ 'pg_restore', '-d', $node->connstr('plain_db'), $dump ], '>', \$out, '2>', \$err);
my @errors = $err =~ /ERROR:  ([^\n]*)/g;
ok(@errors > 0 && !grep(!/^multiple primary keys for table "daily_usage_history_p\d{8}" are not allowed$/, @errors),
   'a plain pg_restore fails only on the partitions\' keys, which ATTACH made already') or diag($err);
my $list = $PostgreSQL::Test::Utils::tmp_check . '/restore.list';
my $toc = `pg_restore -l $dump`;
open(my $fh, '>', $list) or die;
print $fh join("\n", grep { !/ CONSTRAINT usage_archive daily_usage_history_p\d{8}(_\d+)? daily_usage_history_p\d{8}(_\d+)?_pkey / } split(/\n/, $toc));
close($fh);
$node->command_ok([ 'pg_restore', '--exit-on-error', '-L', $list, '-d', $node->connstr('restored_db'), $dump ],
                  'pg_restore without the partitions\' key entries: no error');
is($node->safe_psql('plain_db', $rows), $before, 'every row restored by the plain pg_restore too');

is($node->safe_psql('restored_db', $rows), $before, 'every row restored');
is($node->safe_psql('restored_db', $layout), $partitions, 'the same partitions, attached again');
is($node->safe_psql('restored_db', q{SELECT count(*) FROM ONLY usage_archive.daily_usage_history_default}), '0',
   'nothing landed in the default partition');
is($node->safe_psql('restored_db', q{SELECT period || ' ' || premake FROM usage_archive_private.history_partitioning}),
   '1 mon 1', 'the partitioning settings restored');
is($node->safe_psql('restored_db', q{SELECT count(*) FROM usage_archive.usage_corrections}), '1', 'corrections kept');
is($node->safe_psql('restored_db', q{SELECT has_table_privilege('dump_reader', 'usage_archive.daily_usage_history', 'SELECT')}),
   't', 'grants kept');

# The restored archive goes on: same payload unchanged, ids continue, new months get partitions.
is($node->safe_psql('restored_db', qq{SELECT inserted || '/' || updated || '/' || unchanged FROM usage_archive.archive_payload('story', '$payload')}),
   '0/1/3', 'the old payload: the correction is undone, the rest unchanged');
is($node->safe_psql('restored_db', q{
    SELECT inserted FROM usage_archive.archive_payload('story', '{"SL-3": {"daily_usage": [{"date": "2023-03-03", "usage_gb": 1}]}}');
    SELECT service_line_id FROM usage_archive.service_lines WHERE service_line_number = 'SL-3';
    SELECT tableoid::regclass FROM usage_archive.daily_usage_history WHERE usage_date = '2023-03-03'}),
   "1\n3\nusage_archive.daily_usage_history_p20230301", 'a new line gets the next id, a new month its partition');
is($node->safe_psql('restored_db', q{SELECT usage_archive.drop_history_before('2025-09-01')}), '3',
   'drop_history_before on the restored install');

# DROP EXTENSION takes the partitions with it.
$node->safe_psql('restored_db', 'DROP EXTENSION usage_archive');
is($node->safe_psql('restored_db', q{
    SELECT count(*) FROM pg_class WHERE relname LIKE 'daily_usage_history%' OR relnamespace IN
        (SELECT oid FROM pg_namespace WHERE nspname IN ('usage_archive', 'usage_archive_private'))}),
   '0', 'DROP EXTENSION removes the history and every partition');
is($node->safe_psql('restored_db', q{SELECT count(*) FROM pg_namespace WHERE nspname = 'usage_archive_private'}), '0',
   'and its private schema');

$node->stop;
done_testing();
