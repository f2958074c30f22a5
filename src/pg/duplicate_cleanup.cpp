// SQL entry points for cleaning a legacy table of duplicate keys:
//   find_duplicates(target, keys) -> (key, copies, ctids, primary_keys): one row per key
//     that occurs more than once; none means no duplicates (the verification).
//   dedupe(target, keys, keep, order_by, dry_run, add_constraint) -> (groups, rows_removed,
//     rows_kept): keeps one row per key (the newest by created_at, the oldest, or the first
//     by order_by) and deletes the rest in batches, copying every removed row whole into
//     usage_archive.removed_duplicates. A dry run (the default) changes nothing.
// Rows whose key has a NULL are never duplicates, as in a unique constraint. Both run with
// the caller's privileges on the table; removed_duplicates is written with its owner's.
#include "entry_support.hpp"
#include "extension_version.hpp"
#include "owner_rights.hpp"
#include "sql_arrays.hpp"
#include "target_table.hpp"

#include <cctype>
#include <sstream>

extern "C" {
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
}

namespace usage_archive::pg {
namespace {

// Victims are deleted (and kept) this many at a time: statements stay a few megabytes.
constexpr std::size_t kBatchRows = 10000;

std::string column_list(const std::vector<TargetColumn> &columns, const std::string &prefix) {
    std::string out;
    for (const TargetColumn &c : columns)
        out += (out.empty() ? "" : ", ") + prefix + c.quoted;
    return out;
}

std::string keys_not_null(const std::vector<TargetColumn> &keys) {
    std::string out;
    for (const TargetColumn &k : keys)
        out += (out.empty() ? "" : " AND ") + std::string("t.") + k.quoted + " IS NOT NULL";
    return out;
}

std::vector<TargetColumn> primary_key(const TargetTable &table) {
    const std::vector<std::string> names = spi_text_column(
        "SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_index i "
        "CROSS JOIN LATERAL pg_catalog.unnest((i.indkey::pg_catalog.int2[])[0:i.indnkeyatts OPERATOR(pg_catalog.-) 1]) "
        "    WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid "
        "  AND a.attnum OPERATOR(pg_catalog.=) k.attnum "
        "WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisprimary ORDER BY k.ord",
        {SpiArg{OIDOID, ObjectIdGetDatum(table.relid)}});
    return pick_columns(table, names, "primary key column");
}

struct Target {
    TargetTable table;
    std::vector<TargetColumn> keys;
};

Target read_target(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "target and keys must not be null");
    const std::vector<std::string> names = *optional_text_array_arg(fcinfo, 1, "keys");
    if (names.empty())
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "keys must name at least one column");
    require_current_sql_objects();
    Target t{describe_table(PG_GETARG_OID(0)), {}};
    t.keys = pick_columns(t.table, names, "key column");
    for (const TargetColumn &k : t.keys)
        (void)equals_sql(k, "a", "b"); // 42883 for a key type without equality
    return t;
}

Datum find_duplicates_body(FunctionCallInfo fcinfo) {
    spi_connect();
    const Target t = read_target(fcinfo);
    const std::vector<TargetColumn> pk = primary_key(t.table);
    const std::string primary_keys =
        pk.empty() ? "NULL::pg_catalog.jsonb"
                   : "pg_catalog.jsonb_agg(" + key_json_sql(pk, "t.") + " ORDER BY t.ctid)";
    const std::string sql = "SELECT " + key_json_sql(t.keys, "t.") + ", pg_catalog.count(*), "
                            "pg_catalog.array_agg(t.ctid ORDER BY t.ctid), " + primary_keys + " FROM " +
                            t.table.own_rows + " t WHERE " + keys_not_null(t.keys) + " GROUP BY " +
                            column_list(t.keys, "t.") + " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1 "
                            "ORDER BY 2 DESC, 1";
    const std::uint64_t n = spi_execute(sql.c_str(), {});
    pg_call([fcinfo, n]() noexcept {
        InitMaterializedSRF(fcinfo, 0);
        ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
        for (uint64 r = 0; r < n; ++r) {
            Datum values[4];
            bool nulls[4];
            for (int c = 0; c < 4; ++c)
                values[c] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        }
    });
    spi_finish();
    return Datum(0);
}

// order_by: columns of the table, each optionally ASC or DESC and NULLS FIRST or LAST,
// separated by commas. Rebuilt from the parsed names, quoted: it never reaches SQL as given.
std::string parse_order_by(const TargetTable &table, const std::string &order_by) {
    std::string out;
    std::stringstream items(order_by);
    std::string item;
    while (std::getline(items, item, ',')) {
        std::stringstream words(item);
        std::vector<std::string> w;
        for (std::string word; words >> word;)
            w.push_back(word);
        if (w.empty())
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "order_by has an empty item: \"" + order_by + "\"");
        const TargetColumn *c = table.find(w[0]);
        if (!c)
            throw SqlError(ERRCODE_UNDEFINED_COLUMN,
                           "order_by names \"" + w[0] + "\", which is not a column of table " + table.qualified);
        std::string spec = "t." + c->quoted;
        std::size_t i = 1;
        auto upper = [](std::string s) {
            for (char &ch : s)
                ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            return s;
        };
        if (i < w.size() && (upper(w[i]) == "ASC" || upper(w[i]) == "DESC"))
            spec += " " + upper(w[i++]);
        if (i + 1 < w.size() && upper(w[i]) == "NULLS" && (upper(w[i + 1]) == "FIRST" || upper(w[i + 1]) == "LAST")) {
            spec += " NULLS " + upper(w[i + 1]);
            i += 2;
        }
        if (i != w.size())
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                           "order_by item \"" + item + "\" is not a column followed by ASC/DESC and NULLS FIRST/LAST");
        out += (out.empty() ? "" : ", ") + spec;
    }
    return out;
}

// The order within a key: the first row is kept.
std::string keep_order(FunctionCallInfo fcinfo, const TargetTable &table) {
    if (!PG_ARGISNULL(3))
        return parse_order_by(table, required_text_arg(fcinfo, 3, "order_by")) + ", t.ctid";
    if (PG_ARGISNULL(2))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "keep must not be null", {},
                       "Give 'newest' or 'oldest', or give order_by.");
    const std::string keep = required_text_arg(fcinfo, 2, "keep");
    if (keep != "newest" && keep != "oldest")
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "keep must be 'newest' or 'oldest', not '" + keep + "'", {},
                       "Or give order_by: the first row of each key in that order is kept.");
    const TargetColumn *created = table.find("created_at");
    if (!created)
        throw SqlError(ERRCODE_UNDEFINED_COLUMN, "table " + table.qualified + " has no created_at column to tell the " +
                                                     keep + " row",
                       {}, "Give order_by, for example 'updated_at DESC'.");
    return keep == "newest" ? "t." + created->quoted + " DESC NULLS LAST, t.ctid DESC"
                            : "t." + created->quoted + " ASC NULLS LAST, t.ctid";
}

struct Victims {
    std::vector<Oid> tables;
    std::vector<ItemPointerData> tids;
};

Victims find_victims(const Target &t, const std::string &order) {
    Victims v;
    const std::string sql = "SELECT tableoid, ctid FROM (SELECT t.tableoid, t.ctid, pg_catalog.row_number() OVER "
                            "(PARTITION BY " + column_list(t.keys, "t.") + " ORDER BY " + order + ") AS rn FROM " +
                            t.table.own_rows + " t WHERE " + keys_not_null(t.keys) + ") s WHERE rn OPERATOR(pg_catalog.>) 1";
    spi_for_each_batch(sql.c_str(), {}, 50000, [&v](std::uint64_t rows) {
        for (std::uint64_t r = 0; r < rows; ++r) {
            bool is_null;
            v.tables.push_back(DatumGetObjectId(spi_datum(r, 1, &is_null)));
            v.tids.push_back(*reinterpret_cast<ItemPointer>(DatumGetPointer(spi_datum(r, 2, &is_null))));
        }
    });
    return v;
}

std::uint64_t count_rows(const std::string &sql) {
    const std::uint64_t n = spi_execute(sql.c_str(), {}) == 1 ? static_cast<std::uint64_t>(spi_int64(0, 1)) : 0;
    spi_free_result();
    return n;
}

SpiArg tid_array_arg(const ItemPointerData *tids, int n) {
    return SpiArg{TIDARRAYOID, pg_call([tids, n]() noexcept {
                      Datum *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
                      for (int i = 0; i < n; ++i)
                          d[i] = PointerGetDatum(&tids[i]);
                      ArrayType *a = construct_array(d, n, TIDOID, sizeof(ItemPointerData), false, TYPALIGN_SHORT);
                      pfree(d);
                      return PointerGetDatum(a);
                  })};
}

// Deletes one batch of victims (as the caller) and keeps each removed row (as the owner).
std::uint64_t remove_batch(const Target &t, const Victims &v, std::size_t from, std::size_t to, const std::string &by) {
    const int n = static_cast<int>(to - from);
    std::vector<Oid> tables(v.tables.begin() + static_cast<std::ptrdiff_t>(from), v.tables.begin() + static_cast<std::ptrdiff_t>(to));
    const std::vector<SpiArg> args = {
        SpiArg{OIDARRAYOID, pg_call([&tables, n]() noexcept {
                   Datum *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
                   for (int i = 0; i < n; ++i)
                       d[i] = ObjectIdGetDatum(tables[i]);
                   ArrayType *a = construct_array(d, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
                   pfree(d);
                   return PointerGetDatum(a);
               })},
        tid_array_arg(v.tids.data() + from, n)};
    // unnest of two arrays is syntax that always means pg_catalog.unnest (see sql_arrays.hpp).
    // Each victim is fetched by its ctid (a TID scan per row, the victims outside): never a
    // scan of the whole table per batch.
    const std::string sql = "DELETE FROM " + t.table.own_rows + " t USING (SELECT v.o, v.c FROM "
                            "unnest($1::pg_catalog.oid[], $2::pg_catalog.tid[]) AS v(o, c) OFFSET 0) v "
                            "WHERE t.tableoid OPERATOR(pg_catalog.=) v.o AND t.ctid OPERATOR(pg_catalog.=) v.c RETURNING " +
                            key_json_sql(t.keys, "t.") + "::pg_catalog.text, pg_catalog.to_jsonb(t.*)::pg_catalog.text";
    std::uint64_t removed = 0;
    with_index_lookups([&] { removed = spi_execute(sql.c_str(), args); });
    if (removed == 0) {
        spi_free_result();
        return 0;
    }
    const std::vector<SpiArg> kept = {result_column_array_arg(1, TEXTARRAYOID, TEXTOID, removed),
                                      result_column_array_arg(2, TEXTARRAYOID, TEXTOID, removed)};
    spi_free_result();
    with_owner_rights("usage_archive", "removed_duplicates", [&] {
        spi_execute("INSERT INTO usage_archive.removed_duplicates (table_name, key, row_data, removed_by) "
                    "SELECT $1, k::pg_catalog.jsonb, r::pg_catalog.jsonb, $4 "
                    "FROM unnest($2::pg_catalog.text[], $3::pg_catalog.text[]) AS u(k, r)",
                    {text_arg(t.table.qualified), kept[0], kept[1], text_arg(by)});
    });
    return removed;
}

// UNIQUE (keys), named as ALTER TABLE ... ADD UNIQUE would name it. On a plain table the
// index is built first, under the lock dedupe holds (readers go on), and the constraint then
// takes it over with a brief ACCESS EXCLUSIVE lock. A partitioned table cannot take an index
// over: ADD UNIQUE builds it under ACCESS EXCLUSIVE.
void add_unique_constraint(const Target &t) {
    std::string column_names;
    for (const TargetColumn &k : t.keys)
        column_names += (column_names.empty() ? "" : "_") + k.name;
    const Oid relid = t.table.relid;
    const char *columns = column_names.c_str();
    const char *name = pg_call([relid, columns]() noexcept {
        return quote_identifier(ChooseRelationName(get_rel_name(relid), columns, "key", get_rel_namespace(relid), true));
    });
    const std::string key_columns = column_list(t.keys, "");
    if (t.table.relkind == RELKIND_PARTITIONED_TABLE) {
        spi_execute(("ALTER TABLE " + t.table.qualified + " ADD CONSTRAINT " + name + " UNIQUE (" + key_columns + ")").c_str(), {});
        return;
    }
    spi_execute(("CREATE UNIQUE INDEX " + std::string(name) + " ON " + t.table.qualified + " (" + key_columns + ")").c_str(), {});
    spi_execute(("ALTER TABLE " + t.table.own_rows + " ADD CONSTRAINT " + name + " UNIQUE USING INDEX " + name).c_str(), {});
}

Datum dedupe_body(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(4) || PG_ARGISNULL(5))
        throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "dry_run and add_constraint must not be null");
    const bool dry_run = PG_GETARG_BOOL(4);
    const bool add_constraint = PG_GETARG_BOOL(5);
    if (dry_run && add_constraint)
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "a dry run cannot add a constraint", {},
                       "Call with dry_run => false.");
    spi_connect();
    const Target t = read_target(fcinfo);
    const std::string order = keep_order(fcinfo, t.table);
    if (!dry_run) {
        // One cleanup of a table at a time: two with different orders could each keep a row
        // the other removes.
        spi_execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('usage_archive dedupe'), "
                    "($1::pg_catalog.oid)::pg_catalog.int4)",
                    {SpiArg{OIDOID, ObjectIdGetDatum(t.table.relid)}});
        spi_free_result();
    }
    if (!dry_run && add_constraint)
        // No new duplicate can arrive between the cleanup and the constraint: writes wait,
        // reads go on.
        spi_execute(("LOCK TABLE " + t.table.own_rows + " IN SHARE ROW EXCLUSIVE MODE").c_str(), {});

    const std::string from = " FROM " + t.table.own_rows + " t";
    const std::uint64_t groups = count_rows("SELECT pg_catalog.count(*) FROM (SELECT 1" + from + " WHERE " +
                                            keys_not_null(t.keys) + " GROUP BY " + column_list(t.keys, "t.") +
                                            " HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d");
    const Victims victims = find_victims(t, order);
    std::uint64_t removed = 0;
    if (dry_run) {
        removed = victims.tids.size();
    } else {
        const char *role = pg_call([]() noexcept { return GetUserNameFromId(GetUserId(), false); });
        const std::string by(role);
        for (std::size_t at = 0; at < victims.tids.size(); at += kBatchRows) {
            check_for_interrupts();
            removed += remove_batch(t, victims, at, std::min(victims.tids.size(), at + kBatchRows), by);
        }
        if (add_constraint) {
            if (unique_index_on(t.table.relid, t.keys).empty())
                add_unique_constraint(t);
            else
                pg_call([]() noexcept { ereport(NOTICE, (errmsg("a unique index already covers the keys: no constraint added"))); });
        }
    }
    const std::uint64_t total = count_rows("SELECT pg_catalog.count(*)" + from);
    const std::uint64_t kept = dry_run ? total - removed : total;
    spi_finish();
    return pg_call([fcinfo, groups, removed, kept]() noexcept {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "usage_archive: dedupe must return a record");
        desc = BlessTupleDesc(desc);
        Datum values[3] = {Int64GetDatum(static_cast<int64>(groups)), Int64GetDatum(static_cast<int64>(removed)),
                           Int64GetDatum(static_cast<int64>(kept))};
        bool nulls[3] = {false, false, false};
        return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
    });
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_find_duplicates, usage_archive::pg::find_duplicates_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_dedupe, usage_archive::pg::dedupe_body)
