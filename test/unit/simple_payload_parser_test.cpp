// The simple shape, read through parse_payload.
#include "core/calendar_date.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include "payload_test_support.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace usage_archive::core;

TEST(SimpleParser, ReadsTheStoryShape) {
    ParsedPayload p = parse_payload(SourceKind::simple, R"({"SL-1": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 12.5},
                                                                     {"date": "2025-10-02", "usage_gb": 0}]},
                                              "SL-2": {"daily_usage": [{"date": "2025-10-01", "usage_gb": -3}], "note": [1]},
                                              "SL-3": {"daily_usage": []}})",
                                           {});
    ASSERT_EQ(p.lines.size(), 3u);
    ASSERT_EQ(p.records.size(), 2u);
    EXPECT_EQ(p.records[0].consumed, 12500);
    EXPECT_EQ(p.rejected, 1u);
    EXPECT_EQ(p.rejection_reasons[0], "SL-2, day 2025-10-01: usage_gb is negative (-3)");
}

TEST(SimpleParser, ShapeErrors) {
    EXPECT_EQ(expect_error(SourceKind::simple, R"([1])").kind(), PayloadError::Kind::shape);
    EXPECT_EQ(expect_error(SourceKind::simple, R"({"SL-1": 5})").json_path(), "$.SL-1");
    EXPECT_EQ(expect_error(SourceKind::simple, R"({"SL-1": {"daily_usage": {"date": 1}}})").json_path(), "$.SL-1.daily_usage");
    EXPECT_EQ(expect_error(SourceKind::simple, R"({"SL-1": {"daily_usage": ["x"]}})").json_path(), "$.SL-1.daily_usage[0]");
    EXPECT_EQ(expect_error(SourceKind::simple, R"({"": {"daily_usage": []}})").kind(), PayloadError::Kind::shape);
    EXPECT_EQ(expect_error(SourceKind::simple, "").kind(), PayloadError::Kind::syntax);
}

TEST(SimpleParser, EmptyObjectIsAnEmptyPayload) {
    ParsedPayload p = parse_payload(SourceKind::simple, "{}", {});
    EXPECT_EQ(p.total_records(), 0u);
}
