#include "core/payload_parser.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::core;

namespace {

// Three lines, the first listed again at the end with one day of its own again.
const char *kPayload = R"({"content": {"isLastPage": true, "results": [
  {"serviceLineNumber": "A", "billingCycles": [{"startDate": "2025-10-01", "endDate": "2025-10-30",
    "dailyDataUsage": [{"date": "2025-10-01", "priorityGB": 1, "standardGB": 2},
                       {"date": "2025-10-02", "priorityGB": 1, "standardGB": 3}]}]},
  {"serviceLineNumber": "B", "billingCycles": [{"startDate": "2025-10-01", "endDate": "2025-10-30",
    "dailyDataUsage": [{"date": "2025-10-01", "priorityGB": 5, "standardGB": 0}, {"date": "bad"}]}]},
  {"serviceLineNumber": "A", "billingCycles": [{"startDate": "2025-10-01", "endDate": "2025-10-30",
    "dailyDataUsage": [{"date": "2025-10-01", "priorityGB": 7, "standardGB": 2}]}]}]}})";

bool same(const UsageRecord &a, const UsageRecord &b) {
    return a.line == b.line && a.day == b.day && a.ordinal == b.ordinal && a.consumed == b.consumed &&
           a.priority == b.priority && a.standard == b.standard;
}

} // namespace

TEST(PayloadBuilder, ChunksTakenBetweenGroupsAddUpToTheWholePayload) {
    const ParsedPayload whole = parse_payload(SourceKind::starlink, kPayload, {});

    // The reference parser (the one that streams: the fast one adds a body whole).
    PayloadBuilder builder;
    std::vector<ParsedChunk> chunks;
    ParsedChunk chunk;
    builder.on_group_end([&] {
        EXPECT_GT(builder.pending_records(), 0u);
        builder.take_chunk(chunk);
        chunks.push_back(chunk);
    });
    parse_starlink_body(kPayload, {}, builder);
    builder.on_group_end({});
    builder.take_chunk(chunk);
    EXPECT_TRUE(chunk.records.empty()) << "every group was taken as it ended";

    ASSERT_EQ(chunks.size(), 3u) << "one chunk per service line object";
    std::vector<UsageRecord> records;
    std::size_t cycles = 0;
    for (const ParsedChunk &c : chunks) {
        records.insert(records.end(), c.records.begin(), c.records.end());
        cycles += c.cycles.size();
    }
    ASSERT_EQ(records.size(), whole.records.size());
    for (std::size_t i = 0; i < records.size(); ++i)
        EXPECT_TRUE(same(records[i], whole.records[i])) << i;
    EXPECT_EQ(chunks[2].records.front().line, 0u) << "a line listed again is the same line";
    EXPECT_EQ(cycles, 3u) << "each chunk reports its cycles; the run's last report wins when written";
    EXPECT_EQ(whole.cycles.size(), 2u);
    EXPECT_EQ(builder.rejected(), whole.rejected);
    EXPECT_EQ(builder.lines().size(), whole.lines.size());
}

TEST(PayloadBuilder, NoChunkIsTakenWithinAnAttempt) {
    // A body added tentatively may be undone: nothing of it may have left the builder.
    PayloadBuilder builder;
    int hooks = 0;
    builder.on_group_end([&] { ++hooks; });
    builder.begin_attempt();
    parse_starlink_body(kPayload, {}, builder);
    EXPECT_EQ(hooks, 0);
    builder.undo_attempt();
    EXPECT_EQ(builder.pending_records(), 0u);
    parse_starlink_body(kPayload, {}, builder);
    EXPECT_EQ(hooks, 3) << "outside an attempt, after each service line";
}
