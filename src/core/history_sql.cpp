#include "history_sql.hpp"

#include "history_row.hpp"

namespace usage_archive::core {
namespace {

constexpr const char *kHistoryTable = "usage_archive.daily_usage_history";

std::string param(std::size_t n) { return "$" + std::to_string(n); }

// "$first::int8[], $first+1::date[], then a numeric[] per value column in turn (`per_column`
// of them each)".
std::string array_params(std::size_t first, std::size_t per_column) {
    std::string out = param(first) + "::int8[], " + param(first + 1) + "::date[]";
    for (std::size_t i = 0; i < kHistoryValueCount * per_column; ++i)
        out += ", " + param(first + 2 + i) + "::numeric[]";
    return out;
}

// The value columns' names, each with `prefix` (a table alias and dot, say) and `suffix`.
std::string value_columns(const std::string &prefix, const std::string &suffix = "") {
    std::string out;
    for (const HistoryValueColumn &c : kHistoryValueColumns)
        out += (out.empty() ? "" : ", ") + prefix + c.name + suffix;
    return out;
}

// The alias of value column i in the update's subquery: v1, v2, ...
std::string value_alias(std::size_t i) { return "v" + std::to_string(i + 1); }

} // namespace

std::string history_insert_sql(bool skip_conflicts) {
    const std::string key = std::string(kHistoryKeyColumns[0]) + ", " + kHistoryKeyColumns[1];
    std::string sql = "INSERT INTO " + std::string(kHistoryTable) + " (" + key + ", " + value_columns("") + ", " +
                      kHistoryRunColumn + ") SELECT u.*, " + param(3 + kHistoryValueCount) + " FROM unnest(" +
                      array_params(1, 1) + ") AS u ";
    if (skip_conflicts)
        sql += "ON CONFLICT (" + key + ") DO NOTHING ";
    return sql + "RETURNING " + key;
}

std::string history_locate_sql(RowAddress by) {
    std::string selected, names;
    for (std::size_t i = 0; i < kHistoryValueCount; ++i) {
        selected += ", u." + value_alias(i);
        names += ", " + value_alias(i);
    }
    const std::string line = kHistoryKeyColumns[0], day = kHistoryKeyColumns[1];
    const std::string keys = "unnest(" + array_params(1, 1) + ") AS u(id, d" + names + ")";
    if (by == RowAddress::key)
        return "SELECT u.id, u.d" + selected + ", " + value_columns("a.") + " FROM " + keys + " JOIN " +
               kHistoryTable + " a ON a." + line + " = u.id AND a." + day + " = u.d WHERE a." + line +
               " = ANY($1::int8[]) AND a." + day + " = ANY($2::date[])";
    return "SELECT u.id, u.d" + selected + ", r.tableoid, r.ctid, " + value_columns("r.") + " FROM " + keys +
           " CROSS JOIN LATERAL (SELECT a.tableoid, a.ctid, " + value_columns("a.") + " FROM " + kHistoryTable +
           " a WHERE a." + line + " = u.id AND a." + day + " = u.d OFFSET 0) r";
}

std::string history_update_sql(bool audited, RowAddress by) {
    const std::size_t n = kHistoryValueCount;
    // By key there is no tableoid and ctid between the new and the old values.
    const std::size_t first_old = by == RowAddress::key ? 3 + n : 5 + n;
    std::string set, news, olds, new_params, old_params, returned, unchanged_since;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string name = kHistoryValueColumns[i].name;
        set += name + " = x." + value_alias(i) + ", ";
        news += ", " + value_alias(i);
        olds += ", old_" + value_alias(i);
        new_params += ", " + param(3 + i) + "::numeric[]";
        old_params += ", " + param(first_old + i) + "::numeric[]";
        returned += ", x.old_" + value_alias(i) + ", h." + name;
        unchanged_since += " AND h." + name + " IS NOT DISTINCT FROM x.old_" + value_alias(i);
    }
    const std::string line = kHistoryKeyColumns[0], day = kHistoryKeyColumns[1];
    const std::string head = "UPDATE " + std::string(kHistoryTable) + " h SET " + set +
                             (audited ? "updated_at = pg_catalog.now(), " : "") + kHistoryRunColumn + " = " +
                             param(first_old + n) + " FROM unnest($1::int8[], $2::date[]" + new_params;
    const std::string tail = " RETURNING h." + line + ", h." + day + (audited ? returned : "");
    if (by == RowAddress::key)
        return head + old_params + ") AS x(id, d" + news + olds + ") WHERE h." + line + " = x.id AND h." + day +
               " = x.d AND h." + line + " = ANY($1::int8[]) AND h." + day + " = ANY($2::date[])" + unchanged_since +
               tail;
    return head + ", " + param(3 + n) + "::oid[], " + param(4 + n) + "::tid[]" + old_params + ") AS x(id, d" + news +
           ", rel, tid" + olds + ") WHERE h.ctid = x.tid AND h.tableoid = x.rel AND h." + line + " = x.id AND h." + day +
           " = x.d" + tail;
}

std::string corrections_insert_sql() {
    std::string columns;
    for (const HistoryValueColumn &c : kHistoryValueColumns)
        columns += std::string(", old_") + c.name + ", new_" + c.name;
    return "INSERT INTO usage_archive.usage_corrections (run_id, " + std::string(kHistoryKeyColumns[0]) + ", " +
           kHistoryKeyColumns[1] + columns + ") SELECT $1, u.* FROM unnest(" + array_params(2, 2) + ") AS u";
}

std::string history_range_select_sql(bool with_ctid) {
    return std::string("SELECT ") + kHistoryKeyColumns[0] + ", " + kHistoryKeyColumns[1] + ", " + value_columns("") +
           (with_ctid ? ", ctid" : "") + " FROM " + kHistoryTable + " WHERE " + kHistoryKeyColumns[0] +
           " = ANY($1) AND " + kHistoryKeyColumns[1] + " BETWEEN $2 AND $3";
}

} // namespace usage_archive::core
