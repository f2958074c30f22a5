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
