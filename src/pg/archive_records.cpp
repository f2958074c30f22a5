// SQL entry point usage_archive.archive_records(target, records, keys, tolerance): the
// story's generic "archive any records into any table by its unique keys", done safely.
//
// records is a JSON array of objects keyed by column name; the columns' types come from the
// catalog (jsonb_populate_record with the table's row type). Each round is one statement:
// the records (the last of each key wins), compared with the table by the keys, the differing
// rows updated, the missing ones inserted, the rest left untouched (no write at all). A key
// someone inserted meanwhile (a unique index's ON CONFLICT, or the guard, turned the insert
// away) is compared again in the next round. Identifiers are quoted and the records passed
// as one parameter: no name or value can become SQL. Everything runs with the caller's
// privileges (and row-level security); the run is logged like archive_payload's.
#include "archive_engine.hpp"
#include "entry_support.hpp"
#include "protection_config.hpp"
#include "sql_arrays.hpp"
#include "target_table.hpp"

#include <algorithm>

extern "C" {
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
}

namespace usage_archive::pg {
namespace {

// Rounds of compare-and-write before contention fails the call (as archive_payload).
constexpr int kMaxRounds = 4;

SpiArg jsonb_arg(Datum value) { return SpiArg{JSONBOID, value}; }

struct RecordsCall {
    Oid relid;
    Datum records; // jsonb
    std::vector<std::string> key_names;
    std::string tolerance; // numeric text
};

// The records' shape: an array of objects, every key column present and not null, every
// field a column of the table. Returns the columns the records carry, in table order.
std::vector<TargetColumn> check_records(const TargetTable &table, const RecordsCall &call,
                                        const std::vector<TargetColumn> &keys) {
    const SpiArg records = jsonb_arg(call.records);
    spi_execute("SELECT pg_catalog.jsonb_typeof($1)", {records});
    const std::string type = spi_text(0, 1);
    spi_free_result();
    if (type != "array")
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "records must be a JSON array of objects, not " + type);
    if (spi_execute("SELECT e.i FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS e(j, i) "
                    "WHERE pg_catalog.jsonb_typeof(e.j) OPERATOR(pg_catalog.<>) 'object' LIMIT 1",
                    {records}) > 0) {
        const std::int64_t i = spi_int64(0, 1);
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "record " + std::to_string(i) + " is not a JSON object");
    }
    spi_free_result();
    const std::vector<std::string> fields =
        spi_text_column("SELECT DISTINCT k FROM pg_catalog.jsonb_array_elements($1) AS e(j), "
                        "LATERAL pg_catalog.jsonb_object_keys(e.j) AS k ORDER BY 1",
                        {records});
    for (const std::string &f : fields) {
        const TargetColumn *c = table.find(f);
        if (!c)
            throw SqlError(ERRCODE_UNDEFINED_COLUMN,
                           "records carry \"" + f + "\", which is not a column of table " + table.qualified);
        if (c->generated)
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "records carry \"" + f + "\", a generated column of table " +
                                                                table.qualified);
    }
    for (const TargetColumn &k : keys)
        if (spi_execute("SELECT e.i FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS e(j, i) "
                        "WHERE (e.j OPERATOR(pg_catalog.->) $2) IS NULL "
                        "   OR pg_catalog.jsonb_typeof(e.j OPERATOR(pg_catalog.->) $2) OPERATOR(pg_catalog.=) 'null' LIMIT 1",
                        {records, text_arg(k.name)}) > 0) {
            const std::int64_t i = spi_int64(0, 1);
            throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED,
                           "record " + std::to_string(i) + " has no value for key column \"" + k.name + "\"");
        }
    std::vector<TargetColumn> carried;
    for (const TargetColumn &c : table.columns)
        if (std::find(fields.begin(), fields.end(), c.name) != fields.end())
            carried.push_back(c);
    return carried;
}

// One round's statement. $1: the records still to place; $2: the tolerance; $3: the records
// the previous round's insert missed; $4: those its update missed, with the row version it
// aimed at ({"j": record, "oid": tableoid, "tid": ctid}). A record missed again in the same
// state (still no row; still differing, at the same row version) was turned away by a BEFORE
// ROW trigger of the user's that returned NULL: it is counted as skipped, as archive_payload
// counts it. A record whose row someone else changed meanwhile is simply compared again.
// Each record stays whole in a column of the table's row type (rec.r), so no column of the
// table can collide with the statement's own names. Returns the records, distinct keys,
// updated, inserted, unchanged, skipped, the records to place again, and $3 and $4 for the
// next round.
std::string round_sql(const TargetTable &table, const std::vector<TargetColumn> &keys,
                      const std::vector<TargetColumn> &columns, bool unique_index) {
    std::string key_list, record_keys, t_keys_match, ins_keys_match, set, differs;
    for (const TargetColumn &k : keys) {
        const std::string value = "(rec.r)." + k.quoted;
        key_list += (key_list.empty() ? "" : ", ") + k.quoted;
        record_keys += (record_keys.empty() ? "" : ", ") + std::string("(src.r).") + k.quoted;
        t_keys_match += (t_keys_match.empty() ? "" : " AND ") + equals_sql(k, "t." + k.quoted, value);
        ins_keys_match += (ins_keys_match.empty() ? "" : " AND ") + equals_sql(k, "ins." + k.quoted, value);
    }
    std::string insert_columns, insert_values;
    for (const TargetColumn &c : columns) {
        const std::string value = "(rec.r)." + c.quoted;
        insert_columns += (insert_columns.empty() ? "" : ", ") + c.quoted;
        insert_values += (insert_values.empty() ? "" : ", ") + value;
        const bool is_key = std::any_of(keys.begin(), keys.end(), [&c](const TargetColumn &k) { return k.name == c.name; });
        if (is_key)
            continue;
        set += (set.empty() ? "" : ", ") + c.quoted + " = " + value;
        differs += (differs.empty() ? "" : " OR ") + differs_sql(c, "t." + c.quoted, value, "$2");
    }
    const std::string not_suppressed = "NOT EXISTS (SELECT FROM suppressed s WHERE s.n OPERATOR(pg_catalog.=) rec.n)";
    const std::string update =
        set.empty() ? "SELECT NULL::pg_catalog.int8 AS n WHERE false"
                    : "UPDATE " + table.own_rows + " t SET " + set +
                          " FROM cmp JOIN rec ON rec.n OPERATOR(pg_catalog.=) cmp.n "
                          "WHERE cmp.differs AND t.tableoid OPERATOR(pg_catalog.=) cmp.t_oid "
                          "AND t.ctid OPERATOR(pg_catalog.=) cmp.t_tid AND " + not_suppressed + " RETURNING rec.n";
    const std::string has_row = "EXISTS (SELECT FROM cmp WHERE cmp.n OPERATOR(pg_catalog.=) rec.n)";
    const std::string differs_row = "EXISTS (SELECT FROM cmp WHERE cmp.n OPERATOR(pg_catalog.=) rec.n AND cmp.differs)";
    const std::string unchanged = "SELECT rec.n FROM rec WHERE " + has_row + " AND NOT " + differs_row;
    return "WITH src AS (SELECT e.n, e.j, pg_catalog.jsonb_populate_record(NULL::" + table.qualified + ", e.j) AS r "
           "    FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS e(j, n)), "
           "rec AS (SELECT DISTINCT ON (" + record_keys + ") src.n, src.j, src.r FROM src ORDER BY " + record_keys +
           ", src.n DESC), "
           "cmp AS (SELECT rec.n, t.tableoid AS t_oid, t.ctid AS t_tid, " +
           (differs.empty() ? std::string("false") : differs) + " AS differs FROM rec JOIN " + table.own_rows +
           " t ON " + t_keys_match + "), "
           "suppressed AS (SELECT rec.n FROM rec WHERE "
           "    (NOT " + has_row + " AND rec.j OPERATOR(pg_catalog.=) ANY "
           "        (SELECT pg_catalog.jsonb_array_elements($3::pg_catalog.jsonb))) "
           " OR EXISTS (SELECT FROM cmp, pg_catalog.jsonb_array_elements($4::pg_catalog.jsonb) AS m(e) "
           "    WHERE cmp.n OPERATOR(pg_catalog.=) rec.n AND cmp.differs "
           "      AND (m.e OPERATOR(pg_catalog.->) 'j') OPERATOR(pg_catalog.=) rec.j "
           "      AND ((m.e OPERATOR(pg_catalog.->>) 'oid')::pg_catalog.oid) OPERATOR(pg_catalog.=) cmp.t_oid "
           "      AND ((m.e OPERATOR(pg_catalog.->>) 'tid')::pg_catalog.tid) OPERATOR(pg_catalog.=) cmp.t_tid)), "
           "upd AS (" + update + "), "
           "ins AS (INSERT INTO " + table.qualified + " (" + insert_columns + ") SELECT " + insert_values +
           " FROM rec WHERE NOT " + has_row + " AND " + not_suppressed +
           // The key's own index as the arbiter: any other unique violation is an error.
           (unique_index ? " ON CONFLICT (" + key_list + ") DO NOTHING" : "") + " RETURNING " + key_list + "), "
           "placed AS (SELECT n FROM upd UNION SELECT rec.n FROM rec JOIN ins ON " + ins_keys_match +
           " UNION " + unchanged + " UNION SELECT n FROM suppressed), "
           "missed AS (SELECT rec.n, rec.j, cmp.t_oid, cmp.t_tid FROM rec "
           "    LEFT JOIN cmp ON cmp.n OPERATOR(pg_catalog.=) rec.n AND cmp.differs "
           "    WHERE NOT EXISTS (SELECT FROM placed WHERE placed.n OPERATOR(pg_catalog.=) rec.n)) "
           "SELECT (SELECT pg_catalog.count(*) FROM src), (SELECT pg_catalog.count(*) FROM rec), "
           "(SELECT pg_catalog.count(DISTINCT n) FROM upd), (SELECT pg_catalog.count(*) FROM ins), "
           "(SELECT pg_catalog.count(*) FROM (" + unchanged + ") u), (SELECT pg_catalog.count(*) FROM suppressed), "
           "(SELECT pg_catalog.jsonb_agg(x.j ORDER BY x.n) FROM (SELECT DISTINCT m.n, m.j FROM missed m) x), "
           "(SELECT pg_catalog.jsonb_agg(m.j ORDER BY m.n) FILTER (WHERE m.t_oid IS NULL) FROM missed m), "
           "(SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('j', m.j, 'oid', m.t_oid, "
           "    'tid', m.t_tid::pg_catalog.text) ORDER BY m.n) FILTER (WHERE m.t_oid IS NOT NULL) FROM missed m)";
}

ArchiveResult archive_records(RunLog &log, const RecordsCall &call) {
    RunCounters &counters = log.counters;
    const TargetTable table = describe_table(call.relid);
    const std::vector<TargetColumn> keys = pick_columns(table, call.key_names, "key column");
    for (const TargetColumn &k : keys)
        (void)equals_sql(k, "a", "b"); // 42883 for a key type without equality
    const std::vector<TargetColumn> columns = check_records(table, call, keys);
    const bool unique_index = !unique_index_on(call.relid, keys).empty();
    if (!unique_index && !find_protection(call.relid))
        throw SqlError(ERRCODE_INVALID_COLUMN_REFERENCE,
                       "neither a unique index nor usage_archive's guard covers the key columns of " + table.qualified,
                       {}, "Create a unique index on exactly the key columns, or run usage_archive.protect() on the table.");
    // Calls archiving into the same table are serialised, as runs of one source are.
    spi_execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('usage_archive records'), "
                "($1::pg_catalog.oid)::pg_catalog.int4)",
                {SpiArg{OIDOID, ObjectIdGetDatum(call.relid)}});
    spi_free_result();

    const std::string sql = round_sql(table, keys, columns, unique_index);
    SpiArg pending = jsonb_arg(call.records);
    SpiArg missed_inserts{JSONBOID, 0, true}, missed_updates{JSONBOID, 0, true};
    auto kept_jsonb = [](int column) {
        bool is_null;
        const Datum d = spi_datum(0, column, &is_null);
        return is_null ? SpiArg{JSONBOID, 0, true}
                       : jsonb_arg(pg_call([d]() noexcept { return PointerGetDatum(PG_DETOAST_DATUM_COPY(d)); }));
    };
    for (int round = 1;; ++round) {
        if (round > kMaxRounds)
            throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                           "could not archive: other sessions kept changing the same rows", {}, "Retry the call.");
        check_for_interrupts();
        const SpiArg tolerance{NUMERICOID, pg_call([&call]() noexcept {
                                   return DirectFunctionCall3(numeric_in, CStringGetDatum(call.tolerance.c_str()),
                                                              ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
                               })};
        try {
            spi_execute(sql.c_str(), {pending, tolerance, missed_inserts, missed_updates});
        } catch (const PgError &e) {
            // A value that does not fit its column, a missing privilege, a trigger's error: said
            // without the generated statement as context, which would bury it.
            throw SqlError(e.sqlstate(), std::string("archive_records into ") + table.qualified + ": " + e.what(),
                           e.data()->detail ? e.data()->detail : "", e.data()->hint ? e.data()->hint : "");
        }
        if (round == 1) {
            counters.records = static_cast<std::uint64_t>(spi_int64(0, 1));
            counters.collapsed = counters.records - static_cast<std::uint64_t>(spi_int64(0, 2));
        }
        counters.updated += static_cast<std::uint64_t>(spi_int64(0, 3));
        counters.inserted += static_cast<std::uint64_t>(spi_int64(0, 4));
        counters.unchanged += static_cast<std::uint64_t>(spi_int64(0, 5));
        counters.skipped += static_cast<std::uint64_t>(spi_int64(0, 6));
        pending = kept_jsonb(7);
        missed_inserts = kept_jsonb(8);
        missed_updates = kept_jsonb(9);
        spi_free_result();
        if (pending.is_null)
            break;
    }
    counters.write_method = "sql";
    const std::uint64_t accounted =
        counters.inserted + counters.updated + counters.unchanged + counters.skipped + counters.collapsed;
    if (accounted != counters.records)
        throw SqlError(ERRCODE_INTERNAL_ERROR, "usage_archive: counters do not add up to the records",
                       std::to_string(accounted) + " accounted for, " + std::to_string(counters.records) + " received");
    return ArchiveResult{log.run_id(), counters};
}

Datum archive_records_body(FunctionCallInfo fcinfo) {
    std::string target_name;
    if (!PG_ARGISNULL(0)) {
        const Oid relid = PG_GETARG_OID(0);
        const char *name = pg_call([relid]() noexcept {
            const char *rel = get_rel_name(relid);
            return rel ? quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel) : nullptr;
        });
        target_name = name ? name : "";
    }
    spi_connect();
    const ArchiveResult result = logged_call(target_name, "archive_records", [fcinfo](RunLog &log) {
        if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
            throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "target, records, keys and tolerance must not be null");
        RecordsCall call;
        call.relid = PG_GETARG_OID(0);
        call.records = pg_call([fcinfo]() noexcept { return PointerGetDatum(PG_GETARG_JSONB_P(1)); });
        call.key_names = *optional_text_array_arg(fcinfo, 2, "keys");
        if (call.key_names.empty())
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "keys must name at least one column");
        call.tolerance = pg_call([fcinfo]() noexcept { return DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(3))); });
        if (call.tolerance[0] == '-' || call.tolerance == "NaN")
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "tolerance must be zero or more");
        return archive_records(log, call);
    });
    spi_finish();
    return stats_datum(fcinfo, result);
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_records, usage_archive::pg::archive_records_body)
