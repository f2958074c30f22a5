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
    SELECT usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 12.5}]}}');
});
is($node->safe_psql('old_db', q{SELECT extversion FROM pg_extension WHERE extname = 'usage_archive'}), '0.1.0', 'installed 0.1.0');
$node->safe_psql('old_db', q{ALTER EXTENSION usage_archive UPDATE});
my $version = $node->safe_psql('fresh_db', q{SELECT default_version FROM pg_available_extensions WHERE name = 'usage_archive'});
is($node->safe_psql('old_db', q{SELECT extversion FROM pg_extension WHERE extname = 'usage_archive'}), $version, "updated to $version");
is($node->safe_psql('old_db', q{SELECT consumed_gb FROM usage_archive.daily_usage_history}), '12.500', 'data kept');
is($node->safe_psql('old_db', q{SELECT unchanged FROM usage_archive.archive_payload('story', '{"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 12.5}]}}')}),
    '1', 'archiving still works after the update');
is($node->safe_psql('old_db', q{SELECT to_regprocedure('usage_archive.archive_usage(text, int, text[])') IS NOT NULL}),
    't', 'archive_usage exists after the update');

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
