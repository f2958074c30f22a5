#include "uniqueness_sweep.hpp"

#include "settings.hpp"
#include "shared_state.hpp"
#include "sql_arrays.hpp"
#include "owner_rights.hpp"
#include "worker_support.hpp"

extern "C" {
#include "storage/ipc.h"
}

#include <vector>

namespace usage_archive::pg {
namespace {

struct Target {
    Oid relid;
    std::string name; // schema-qualified and quoted: the name in findings
    std::string rows; // what the scan reads: ONLY name for a plain table (not inheritance children)
    std::vector<std::string> keys;
};

std::vector<Target> registered_targets() {
    std::vector<Target> targets;
    in_worker_transaction("listing the tables to sweep", [&] {
        const std::uint64_t n = spi_execute(
            "SELECT t.table_name::oid, pg_catalog.format('%I.%I', n.nspname, c.relname), k, "
            "       CASE WHEN c.relkind = 'r' THEN 'ONLY ' ELSE '' END "
            "FROM usage_archive_private.uniqueness_targets t JOIN pg_catalog.pg_class c ON c.oid = t.table_name "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, "
            "LATERAL pg_catalog.unnest(t.key_columns) WITH ORDINALITY AS u(k, i) ORDER BY 1, i",
            {});
        for (std::uint64_t r = 0; r < n; ++r) {
            bool is_null;
            const Oid relid = DatumGetObjectId(spi_datum(r, 1, &is_null));
            if (targets.empty() || targets.back().relid != relid)
                targets.push_back(Target{relid, spi_text(r, 2), spi_text(r, 4) + spi_text(r, 2), {}});
            targets.back().keys.push_back(spi_text(r, 3));
        }
        spi_free_result();
    });
    return targets;
}

std::string quoted(const std::string &identifier) {
    const char *q = pg_call([&identifier]() noexcept { return quote_identifier(identifier.c_str()); });
    return q;
}

// A valid, immediate unique index whose key columns (not its INCLUDE columns) are among the
// key columns makes duplicates impossible.
bool key_enforced(const Target &t) {
    std::vector<std::optional<std::string>> keys(t.keys.begin(), t.keys.end());
    const bool enforced =
        spi_execute("SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = $1 AND i.indisunique AND i.indimmediate "
                    "  AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL "
                    "  AND ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a WHERE a.attrelid = i.indrelid "
                    "            AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1])) <@ $2",
                    {SpiArg{OIDOID, ObjectIdGetDatum(t.relid)}, text_array_arg(keys)}) > 0;
    spi_free_result();
    return enforced;
}

// At most this many duplicate keys are recorded per table and sweep: enough to act on.
constexpr int kMaxFindings = 10000;

void sweep(const Target &t) {
    in_worker_transaction("sweeping a table for duplicate keys", [&] {
        spi_execute("DELETE FROM usage_archive.duplicate_findings WHERE table_name = $1", {text_arg(t.name)});
        // From now on the findings are the table's current state (check_data_quality uses them).
        spi_execute("UPDATE usage_archive_private.uniqueness_targets SET last_swept_at = pg_catalog.now() "
                    "WHERE table_name = $1",
                    {SpiArg{OIDOID, ObjectIdGetDatum(t.relid)}});
        if (key_enforced(t))
            return;
        std::string columns, pairs;
        for (const std::string &k : t.keys) {
            const std::string q = quoted(k);
            columns += (columns.empty() ? "" : ", ") + q;
            const char *literal = pg_call([&k]() noexcept { return quote_literal_cstr(k.c_str()); });
            pairs += std::string(pairs.empty() ? "" : ", ") + literal + ", " + q;
        }
        const std::string scan = "SELECT pg_catalog.jsonb_build_object(" + pairs + ")::text, pg_catalog.count(*) FROM " +
                                 t.rows + " GROUP BY " + columns + " HAVING pg_catalog.count(*) > 1 LIMIT " +
                                 std::to_string(kMaxFindings);
        std::vector<std::optional<std::string>> keys;
        std::vector<std::int64_t> copies;
        // The table is read with its owner's rights: its own functions (types, operators)
        // run as they would for it, never with the worker's.
        with_rights_of(relation_owner(t.relid), [&] {
            const std::uint64_t n = spi_execute(scan.c_str(), {});
            for (std::uint64_t r = 0; r < n; ++r) {
                keys.emplace_back(spi_text(r, 1));
                copies.push_back(spi_int64(r, 2));
            }
            spi_free_result();
        });
        if (keys.empty())
            return;
        spi_execute("INSERT INTO usage_archive.duplicate_findings (table_name, key, copies, found_at) "
                    "SELECT $1, k::jsonb, c, pg_catalog.now() FROM unnest($2::text[], $3::int8[]) AS u(k, c)",
                    {text_arg(t.name), text_array_arg(keys), int8_array_arg(copies)});
    });
}

void run_sweep() {
    for (const Target &t : registered_targets()) {
        if (shutdown_requested())
            return;
        sweep(t);
    }
}

BackgroundWorkerHandle *running_sweep = nullptr;
TimestampTz last_sweep_started = 0;

} // namespace

void start_due_sweep() {
    if (settings.sweep_interval_s <= 0)
        return;
    if (running_sweep) {
        pid_t pid;
        if (pg_call([&pid]() noexcept { return GetBackgroundWorkerPid(running_sweep, &pid); }) != BGWH_STOPPED)
            return;
        pfree(running_sweep);
        running_sweep = nullptr;
    }
    const TimestampTz now = GetCurrentTimestamp();
    if (last_sweep_started != 0 &&
        !TimestampDifferenceExceeds(last_sweep_started, now, static_cast<int>(std::min<long>(settings.sweep_interval_s * 1000L, INT_MAX))))
        return;
    last_sweep_started = now;
    running_sweep = start_worker("usage_archive sweep", "usage_archive sweep", "usage_archive_sweep_main", Datum(0),
                                 MyDatabaseId);
}

} // namespace usage_archive::pg

extern "C" {
PGDLLEXPORT void usage_archive_sweep_main(Datum);

void usage_archive_sweep_main(Datum) {
    using namespace usage_archive::pg;
    set_up_backend_signals();
    connect_to_worker_database();
    register_database_worker();
    run_worker_body("usage_archive sweep", [] { run_sweep(); });
    proc_exit(0);
}
}
