#include "core/history_sql.hpp"

#include "core/history_row.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace usage_archive::core;

namespace {

std::size_t occurrences(const std::string &text, const std::string &what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

} // namespace

// The text regression outputs quote in an error's CONTEXT (expected/write_paths.out).
TEST(HistorySql, InsertIsTheStatementTheRegressionTestsQuote) {
    EXPECT_EQ(history_insert_sql(true),
              "INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb, priority_gb, "
              "opt_in_priority_gb, standard_gb, non_billable_gb, last_run_id) SELECT u.*, $8 FROM unnest($1::int8[], "
              "$2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[]) AS u ON CONFLICT "
              "(service_line_id, usage_date) DO NOTHING RETURNING service_line_id, usage_date");
    EXPECT_EQ(occurrences(history_insert_sql(false), "ON CONFLICT"), 0u);
}

TEST(HistorySql, EveryValueColumnIsWrittenReadAndAudited) {
    const std::string insert = history_insert_sql(true), update = history_update_sql(true),
                      overwrite = history_update_sql(false), audit = corrections_insert_sql(),
                      select = history_range_select_sql(false);
    for (const HistoryValueColumn &c : kHistoryValueColumns) {
        const std::string name = c.name;
        EXPECT_EQ(occurrences(insert, ", " + name), 1u) << name;
        EXPECT_EQ(occurrences(update, " " + name + " = x."), 1u) << name;
        EXPECT_EQ(occurrences(overwrite, " " + name + " = x."), 1u) << name;
        EXPECT_EQ(occurrences(update, ", h." + name), 1u) << name << " returned after its old value";
        EXPECT_EQ(occurrences(audit, "old_" + name), 1u) << name;
        EXPECT_EQ(occurrences(audit, "new_" + name), 1u) << name;
        EXPECT_EQ(occurrences(select, ", " + name), 1u) << name;
    }
}

TEST(HistorySql, ParametersMatchTheArrays) {
    const std::string run_param = "$" + std::to_string(3 + kHistoryValueCount);
    EXPECT_NE(history_insert_sql(true).find("SELECT u.*, " + run_param + " "), std::string::npos);
    EXPECT_NE(history_update_sql(true).find("last_run_id = $" + std::to_string(5 + 2 * kHistoryValueCount) + " "),
              std::string::npos)
        << "after the located rows' key, new values, tableoid, ctid and old values";
    const std::string last_audit_param = "$" + std::to_string(3 + 2 * kHistoryValueCount) + "::numeric[])";
    EXPECT_NE(corrections_insert_sql().find(last_audit_param), std::string::npos);
    EXPECT_NE(history_range_select_sql(true).find("non_billable_gb, ctid FROM"), std::string::npos);
    EXPECT_EQ(occurrences(history_update_sql(false), "updated_at"), 0u) << "an own row overwritten is not a correction";
    EXPECT_EQ(occurrences(history_update_sql(true), "updated_at = pg_catalog.now()"), 1u);
}

TEST(HistorySql, LocateReturnsWhatTheUpdateTakes) {
    const std::string locate = history_locate_sql(), update = history_update_sql(true);
    for (const HistoryValueColumn &c : kHistoryValueColumns)
        EXPECT_EQ(occurrences(locate, "r." + std::string(c.name)), 1u) << c.name << ": its old value";
    EXPECT_NE(locate.find(", r.tableoid, r.ctid, "), std::string::npos);
    const std::string n = std::to_string(kHistoryValueCount);
    EXPECT_NE(update.find("$" + std::to_string(3 + kHistoryValueCount) + "::oid[], $" +
                          std::to_string(4 + kHistoryValueCount) + "::tid[]"),
              std::string::npos);
    EXPECT_NE(update.find("WHERE h.ctid = x.tid AND h.tableoid = x.rel"), std::string::npos);
}

// Under Citus (RowAddress::key): a distributed table's tableoid and ctid name a shard's row on a
// worker, and Citus cannot plan a LATERAL subquery with OFFSET over a table function ("cannot
// push down this subquery"). The rows are found by a join on the key and updated by the key and
// the old values; both statements name the chunk's lines and days with = ANY, so that Citus
// prunes them to the shards (and partitions) holding them.
TEST(HistorySql, ByKeyNamesRowsByKeyAndOldValues) {
    const std::string locate = history_locate_sql(RowAddress::key), update = history_update_sql(true, RowAddress::key),
                      overwrite = history_update_sql(false, RowAddress::key);
    for (const std::string &sql : {locate, update, overwrite}) {
        EXPECT_EQ(occurrences(sql, "ctid"), 0u) << sql;
        EXPECT_EQ(occurrences(sql, "tableoid"), 0u) << sql;
        EXPECT_EQ(occurrences(sql, "OFFSET"), 0u) << sql;
        EXPECT_EQ(occurrences(sql, "LATERAL"), 0u) << sql;
        EXPECT_NE(sql.find("service_line_id = ANY($1::int8[]) AND "), std::string::npos) << sql;
        EXPECT_NE(sql.find("usage_date = ANY($2::date[])"), std::string::npos) << sql;
    }
    for (std::size_t i = 0; i < kHistoryValueCount; ++i) {
        const std::string name = kHistoryValueColumns[i].name, old = "x.old_v" + std::to_string(i + 1);
        EXPECT_EQ(occurrences(locate, "a." + name), 1u) << name << ": its old value";
        EXPECT_EQ(occurrences(update, "h." + name + " IS NOT DISTINCT FROM " + old), 1u) << name;
        EXPECT_EQ(occurrences(overwrite, "h." + name + " IS NOT DISTINCT FROM " + old), 1u) << name;
        EXPECT_EQ(occurrences(update, " " + name + " = x."), 1u) << name;
        EXPECT_EQ(occurrences(update, ", h." + name), 1u) << name << " returned after its old value";
    }
    // The located columns are the key, the new values and the old values, so the update takes
    // them as $1, $2, the new values and then the old ones, and the run id after them.
    const std::size_t n = kHistoryValueCount;
    EXPECT_NE(update.find("$" + std::to_string(3 + n) + "::numeric[]"), std::string::npos);
    EXPECT_EQ(occurrences(update, "$" + std::to_string(3 + 2 * n) + "::"), 0u) << "no array after the old values";
    EXPECT_NE(update.find("last_run_id = $" + std::to_string(3 + 2 * n) + " "), std::string::npos);
    EXPECT_NE(overwrite.find("last_run_id = $" + std::to_string(3 + 2 * n) + " "), std::string::npos);
    EXPECT_EQ(occurrences(overwrite, "updated_at"), 0u) << "an own row overwritten is not a correction";
    EXPECT_EQ(occurrences(update, "updated_at = pg_catalog.now()"), 1u);
}

// The default is the address, unchanged (the path without Citus, and what the regression tests quote).
TEST(HistorySql, ByAddressIsTheDefault) {
    EXPECT_EQ(history_locate_sql(), history_locate_sql(RowAddress::address));
    EXPECT_EQ(history_update_sql(true), history_update_sql(true, RowAddress::address));
    EXPECT_EQ(history_update_sql(false), history_update_sql(false, RowAddress::address));
}
