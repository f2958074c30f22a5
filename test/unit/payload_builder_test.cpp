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

    PayloadParser parser(SourceKind::starlink, {});
    std::vector<ParsedChunk> chunks;
    ParsedChunk chunk;
    parser.builder().on_group_end([&] {
        EXPECT_GT(parser.builder().pending_records(), 0u);
        parser.builder().take_chunk(chunk);
        chunks.push_back(chunk);
    });
    parser.add(kPayload);
    parser.builder().on_group_end({});
    parser.builder().take_chunk(chunk);
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
    EXPECT_EQ(parser.builder().rejected(), whole.rejected);
    EXPECT_EQ(parser.builder().lines().size(), whole.lines.size());
}
