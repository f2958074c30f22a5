// SQL entry points usage_archive.protect(target, keys, tolerance, compare) and
// usage_archive.unprotect(target): attach and remove the uniqueness guard (guard_trigger.cpp).
// The trigger is created and dropped as the caller (PostgreSQL checks that it may: the
// table's owner, or TRIGGER privilege); only then is the table registered, with the
// registry owner's rights, for the guard, protected_tables and the worker's uniqueness sweep.
#include "entry_support.hpp"
#include "extension_version.hpp"
#include "owner_rights.hpp"
#include "protection_config.hpp"
#include "sql_arrays.hpp"
#include "target_table.hpp"

#include <algorithm>

extern "C" {
#include "catalog/partition.h"
#include "utils/lsyscache.h"
}

namespace usage_archive::pg {
namespace {

// BEFORE triggers fire in the order of their names: the guard's sorts after every ASCII
// name, so the user's own BEFORE INSERT triggers (normalising a key, suppressing a row) have
// run when it looks the key up.
constexpr const char *kTriggerName = "~usage_archive_guard";

std::string trigger_name() { return pg_call([]() noexcept { return quote_identifier(kTriggerName); }); }

std::string joined(const std::vector<TargetColumn> &columns) {
    std::string out;
    for (const TargetColumn &c : columns)
        out += (out.empty() ? "" : ", ") + c.quoted;
    return out;
}

// Drops the guard trigger when the table has one; says whether it had.
bool drop_guard_trigger(const TargetTable &table) {
    const bool exists = spi_execute("SELECT FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1 "
                                    "AND tgname OPERATOR(pg_catalog.=) $2 AND tgparentid OPERATOR(pg_catalog.=) 0",
                                    {SpiArg{OIDOID, ObjectIdGetDatum(table.relid)}, text_arg(kTriggerName)}) > 0;
    spi_free_result();
    if (exists)
        spi_execute(("DROP TRIGGER " + trigger_name() + " ON " + table.qualified).c_str(), {});
    return exists;
}

// Forgets registrations of tables that were dropped (their rows would otherwise go to a new
// table that happens to get the same OID), and counts that belong to no registration.
void forget_stale_registrations() {
    spi_execute("DELETE FROM usage_archive_private.protections p WHERE NOT EXISTS "
                "(SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) p.table_name)",
                {});
    spi_execute("DELETE FROM usage_archive_private.protection_counts n WHERE NOT EXISTS "
                "(SELECT FROM usage_archive_private.protections p WHERE p.table_name OPERATOR(pg_catalog.=) n.table_name)",
                {});
}

std::vector<std::optional<std::string>> names_of(const std::vector<TargetColumn> &columns) {
    std::vector<std::optional<std::string>> out;
    for (const TargetColumn &c : columns)
        out.emplace_back(c.name);
    return out;
}

Datum protect_body(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "target, keys and tolerance must not be null");
    const Oid relid = PG_GETARG_OID(0);
    const std::vector<std::string> key_names = *optional_text_array_arg(fcinfo, 1, "keys");
    if (key_names.empty())
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "keys must name at least one column");
    const char *tolerance = pg_call([fcinfo]() noexcept { return DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(2))); });
    if (tolerance[0] == '-' || std::strcmp(tolerance, "NaN") == 0)
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "tolerance must be zero or more");
    const std::optional<std::vector<std::string>> compare_names = optional_text_array_arg(fcinfo, 3, "compare");

    spi_connect();
    require_current_sql_objects();
    const TargetTable table = describe_table(relid);
    const char *parent = pg_call([relid]() noexcept {
        if (!get_rel_relispartition(relid))
            return static_cast<const char *>(nullptr);
        return static_cast<const char *>(get_rel_name(get_partition_parent(relid, false)));
    });
    if (parent)
        throw SqlError(ERRCODE_WRONG_OBJECT_TYPE, "table " + table.qualified + " is a partition of \"" + parent + "\"", {},
                       "Protect the partitioned table: its guard runs on every partition.");
    const std::vector<TargetColumn> keys = pick_columns(table, key_names, "key column");
    for (const TargetColumn &k : keys)
        (void)equals_sql(k, "a", "b"); // 42883 for a key type without equality
    std::vector<TargetColumn> compare;
    if (compare_names) {
        compare = pick_columns(table, *compare_names, "compared column");
        for (const TargetColumn &c : compare)
            if (std::find(key_names.begin(), key_names.end(), c.name) != key_names.end())
                throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "column \"" + c.name + "\" is a key column: it cannot "
                               "also be compared");
    } else {
        for (const TargetColumn &c : table.columns)
            if (!c.generated && !c.filled_by_table &&
                std::find(key_names.begin(), key_names.end(), c.name) == key_names.end())
                compare.push_back(c);
    }

    // As the caller: PostgreSQL checks the caller may put a trigger on the table.
    const bool was_protected = drop_guard_trigger(table);
    spi_execute(("CREATE TRIGGER " + trigger_name() + " BEFORE INSERT ON " + table.qualified +
                 " FOR EACH ROW EXECUTE FUNCTION usage_archive.enforce_unique()")
                    .c_str(),
                {});
    const char *role = pg_call([]() noexcept { return GetUserNameFromId(GetUserId(), false); });
    const std::string by(role);
    const std::string tol(tolerance);
    with_owner_rights("usage_archive_private", "protections", [&] {
        // A registration without the trigger is from before the table was unprotected by
        // hand or dropped (and its OID reused): it starts over.
        if (!was_protected)
            spi_execute("DELETE FROM usage_archive_private.protections WHERE table_name OPERATOR(pg_catalog.=) $1",
                        {SpiArg{OIDOID, ObjectIdGetDatum(relid)}});
        forget_stale_registrations();
        // Protecting again changes the settings; the counters and protected_at stay.
        spi_execute("INSERT INTO usage_archive_private.protections AS p (table_name, keys, compare, tolerance, protected_by) "
                    "VALUES ($1, $2, $3, $4::pg_catalog.numeric, $5) ON CONFLICT (table_name) DO UPDATE "
                    "SET keys = EXCLUDED.keys, compare = EXCLUDED.compare, tolerance = EXCLUDED.tolerance",
                    {SpiArg{OIDOID, ObjectIdGetDatum(relid)}, text_array_arg(names_of(keys)),
                     text_array_arg(names_of(compare)), text_arg(tol), text_arg(by)});
        spi_execute("INSERT INTO usage_archive_private.uniqueness_targets (table_name, key_columns) VALUES ($1, $2) "
                    "ON CONFLICT (table_name) DO UPDATE SET key_columns = EXCLUDED.key_columns",
                    {SpiArg{OIDOID, ObjectIdGetDatum(relid)}, text_array_arg(names_of(keys))});
    });
    if (index_on(relid, keys).empty()) {
        const std::string message = "no index serves the key columns (" + joined(keys) + ") of " + table.qualified +
                                    ": every insert looks its key up with a scan of the table";
        const std::string hint = "Create a unique index on (" + joined(keys) +
                                 "); usage_archive.dedupe(..., add_constraint => true) adds one after removing the "
                                 "duplicates.";
        const char *m = message.c_str();
        const char *h = hint.c_str();
        pg_call([m, h]() noexcept { ereport(WARNING, (errmsg("%s", m), errhint("%s", h))); });
    }
    spi_finish();
    PG_RETURN_VOID();
}

Datum unprotect_body(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "target must not be null");
    const Oid relid = PG_GETARG_OID(0);
    spi_connect();
    require_current_sql_objects();
    const TargetTable table = describe_table(relid);
    (void)drop_guard_trigger(table);
    std::uint64_t removed = 0;
    with_owner_rights("usage_archive_private", "protections", [&] {
        removed = spi_execute("DELETE FROM usage_archive_private.protections WHERE table_name OPERATOR(pg_catalog.=) $1",
                              {SpiArg{OIDOID, ObjectIdGetDatum(relid)}});
        spi_execute("DELETE FROM usage_archive_private.uniqueness_targets WHERE table_name OPERATOR(pg_catalog.=) $1",
                    {SpiArg{OIDOID, ObjectIdGetDatum(relid)}});
        forget_stale_registrations();
    });
    if (removed == 0) {
        const std::string message = "table " + table.qualified + " was not protected";
        const char *m = message.c_str();
        pg_call([m]() noexcept { ereport(NOTICE, (errmsg("%s", m))); });
    }
    spi_finish();
    PG_RETURN_VOID();
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_protect, usage_archive::pg::protect_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_unprotect, usage_archive::pg::unprotect_body)
