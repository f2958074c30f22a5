# pg_dump and restore keep every archived row: the extension's tables are registered as
# configuration tables, so a dump carries their data, the restored database keeps archiving
# where the old one stopped, and re-archiving the same payload there changes nothing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
    CREATE DATABASE source_db;
    CREATE DATABASE restored_db;
});
my $payload = q{{"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 12.5}, {"date": "2025-10-02", "usage_gb": 3.25}]},
                 "SL-2": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 7}]}}};
$node->safe_psql('source_db', qq{
    CREATE EXTENSION usage_archive;
    SELECT usage_archive.add_source('story', 'simple', client_secret => 'kept-secret');
    SELECT usage_archive.archive_payload('story', '$payload');
    SELECT usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-02", "usage_gb": 4}]}}');
    -- A protected legacy table, and a row dedupe kept aside.
    CREATE TABLE legacy (line text, day date, gb numeric, UNIQUE (line, day));
    SELECT usage_archive.protect('legacy', '{line,day}');
    INSERT INTO legacy VALUES ('L', '2025-10-01', 1), ('L', '2025-10-01', 1);
    CREATE TABLE dupes (line text, gb numeric);
    INSERT INTO dupes VALUES ('L', 1), ('L', 2);
    SELECT usage_archive.dedupe('dupes', '{line}', order_by => 'gb DESC', dry_run => false);
});

my $snapshot = q{
    SELECT string_agg(format('%s|%s|%s', l.service_line_number, h.usage_date, h.consumed_gb), ','
                      ORDER BY l.service_line_number, h.usage_date)
    FROM usage_archive.daily_usage_history h JOIN usage_archive.service_lines l USING (service_line_id)
};
my $before = $node->safe_psql('source_db', $snapshot);
is($before, 'SL-1|2025-10-01|12.500,SL-1|2025-10-02|4.000,SL-2|2025-10-01|7.000', 'archived rows before the dump');

my $dump = $PostgreSQL::Test::Utils::tmp_check . '/archive.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('source_db') ], 'pg_dump');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored_db'), $dump ], 'pg_restore');

is($node->safe_psql('restored_db', $snapshot), $before, 'restored rows equal the archived ones');
is($node->safe_psql('restored_db', 'SELECT count(*) FROM usage_archive.usage_corrections'), '1', 'corrections kept');
is($node->safe_psql('restored_db', q{SELECT string_agg(status || ':' || inserted || '/' || updated, ',' ORDER BY run_id) FROM usage_archive.archive_runs}),
   'succeeded:3/0,succeeded:0/1', 'run log kept');
is($node->safe_psql('restored_db', 'SELECT client_secret FROM usage_archive_private.source_secrets'), 'kept-secret', 'secret kept');

# The identity sequences came along: new ids continue after the old ones.
my $again = $node->safe_psql('restored_db', qq{SELECT run_id, inserted, updated, unchanged FROM usage_archive.archive_payload('story', '$payload')});
is($again, '3|0|1|2', 'restored archive: the old payload is a correction plus unchanged rows, run ids continue');
my $new_line = $node->safe_psql('restored_db', q{
    SELECT inserted FROM usage_archive.archive_payload('story', '{"SL-3": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 1}]}}');
    SELECT service_line_id FROM usage_archive.service_lines WHERE service_line_number = 'SL-3'});
is($new_line, "1\n3", 'a new service line gets the next id');

# Protection survives: the trigger, the registration and its counters; the guard still works.
is($node->safe_psql('restored_db', q{SELECT table_name || ':' || inserted || '/' || suppressed FROM usage_archive.protected_tables}),
   'legacy:1/1', 'protection and its counters kept');
$node->safe_psql('restored_db', q{INSERT INTO legacy VALUES ('L', '2025-10-01', 5), ('M', '2025-10-01', 1)});
is($node->safe_psql('restored_db', q{SELECT string_agg(line || '=' || gb, ',' ORDER BY line) FROM legacy}),
   'L=5,M=1', 'the restored guard turns a known key into an update');
is($node->safe_psql('restored_db', q{SELECT table_name || ':' || (row_data->>'gb') FROM usage_archive.removed_duplicates}),
   'public.dupes:1', 'removed duplicates kept');

$node->stop;
done_testing();
