# Upgrading from 0.1.0 keeps the data and ends with the same schema as a fresh install of
# the current version.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE old_db; CREATE DATABASE fresh_db;');

$node->safe_psql('old_db', q{
    CREATE EXTENSION usage_archive VERSION '0.1.0';
    SELECT usage_archive.add_source('story', 'simple', options => '{"register_new_service_lines": true}');
    INSERT INTO usage_archive.service_lines (source, service_line_number) VALUES ('story', 'SL-1');
    INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb)
    SELECT service_line_id, '2025-10-01', 12.5 FROM usage_archive.service_lines;
});
is($node->safe_psql('old_db', q{SELECT extversion FROM pg_extension WHERE extname = 'usage_archive'}), '0.1.0', 'installed 0.1.0');
# The library is newer than these SQL objects (a package upgrade before ALTER EXTENSION
# UPDATE): it says so instead of failing halfway.
my ($ret, $out, $err) = $node->psql('old_db',
    q{SELECT usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 12.5}]}}')});
like($err, qr/usage_archive's SQL objects in this database are version 0\.1\.0, its library is \d+\.\d+\.\d+.*\n.*HINT:  Run ALTER EXTENSION usage_archive UPDATE/,
    'an outdated schema is refused with what to run');
$node->safe_psql('old_db', q{ALTER EXTENSION usage_archive UPDATE});
my $version = $node->safe_psql('fresh_db', q{SELECT default_version FROM pg_available_extensions WHERE name = 'usage_archive'});
is($node->safe_psql('old_db', q{SELECT extversion FROM pg_extension WHERE extname = 'usage_archive'}), $version, "updated to $version");
is($node->safe_psql('old_db', q{SELECT consumed_gb FROM usage_archive.daily_usage_history}), '12.500', 'data kept');
is($node->safe_psql('old_db', q{SELECT unchanged FROM usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 12.5}]}}')}),
    '1', 'archiving still works after the update');
is($node->safe_psql('old_db', q{SELECT to_regprocedure('usage_archive.archive_usage(text, int, text[])') IS NOT NULL}),
    't', 'archive_usage exists after the update');

# 0.3.0 withdraws the write privileges on the audit trail that 0.2.0's documented archiver
# grants gave, and leaves every other grant alone.
$node->safe_psql('postgres', q{
    CREATE DATABASE grants_db;
    CREATE ROLE upgrade_archiver;
});
$node->safe_psql('grants_db', q{
    CREATE EXTENSION usage_archive VERSION '0.2.0';
    GRANT USAGE ON SCHEMA usage_archive TO upgrade_archiver;
    GRANT SELECT, INSERT, UPDATE ON usage_archive.service_lines, usage_archive.daily_usage_history,
          usage_archive.usage_corrections, usage_archive.archive_runs TO upgrade_archiver;
});
($ret, $out, $err) = $node->psql('grants_db', q{ALTER EXTENSION usage_archive UPDATE TO '0.3.0'});
is($ret, 0, 'updated 0.2.0 to 0.3.0');
like($err, qr/revoked INSERT on usage_archive\.archive_runs from upgrade_archiver/, 'the update says what it revoked');
is($node->safe_psql('grants_db', q{
    SELECT string_agg(format('%s %s', t, p), ', ' ORDER BY t, p)
    FROM unnest(ARRAY['usage_archive.archive_runs', 'usage_archive.usage_corrections',
                      'usage_archive.daily_usage_history']) t,
         unnest(ARRAY['SELECT', 'INSERT', 'UPDATE']) p
    WHERE has_table_privilege('upgrade_archiver', t, p)}),
    'usage_archive.archive_runs SELECT, usage_archive.daily_usage_history INSERT, '
      . 'usage_archive.daily_usage_history SELECT, usage_archive.daily_usage_history UPDATE, '
      . 'usage_archive.usage_corrections SELECT',
    'write privileges on the run log and corrections are gone, the others stay');

$node->safe_psql('fresh_db', 'CREATE EXTENSION usage_archive');
# Extension members are not in a schema dump, so compare the catalog's own account of them.
my $schema = q{
    WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname IN ('usage_archive', 'usage_archive_private'))
    SELECT string_agg(x, E'\n' ORDER BY x) FROM (
        SELECT format('column %s.%s.%s %s %s %s %s', table_schema, table_name, column_name, data_type,
                      is_nullable, column_default, is_identity)
        FROM information_schema.columns WHERE table_schema IN ('usage_archive', 'usage_archive_private')
        UNION ALL SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
        FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT format('index %s', pg_get_indexdef(indexrelid))
        FROM pg_index JOIN pg_class c ON c.oid = indexrelid WHERE c.relnamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT format('function %s %s %s', p.oid::regprocedure, md5(pg_get_functiondef(p.oid)), p.proacl)
        FROM pg_proc p WHERE pronamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT format('relation %s %s %s', c.oid::regclass, c.relkind, c.relacl)
        FROM pg_class c WHERE relnamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT format('config %s', unnest(extconfig)::regclass) FROM pg_extension WHERE extname = 'usage_archive'
        UNION ALL SELECT format('schema %s %s', nspname, nspacl) FROM pg_namespace WHERE oid IN (SELECT oid FROM ns)
    ) s(x)
};
my $updated = $node->safe_psql('old_db', $schema);
my $fresh = $node->safe_psql('fresh_db', $schema);
cmp_ok(length($fresh), '>', 1000, 'the schema description is not empty');
is($updated, $fresh, 'the updated schema equals a fresh install');

$node->stop;
done_testing();
