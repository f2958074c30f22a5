#include "core/calendar_date.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include "payload_test_support.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

using namespace usage_archive::core;

TEST(PayloadParser, PagesShareLinesAndCollapseAcrossPages) {
    PayloadParser parser(SourceKind::starlink, {});
    PageInfo first = parser.add(R"({"isValid": true, "content": {"pageIndex": 0, "limit": 1, "isLastPage": false, "totalCount": 2,
        "results": [{"serviceLineNumber": "A", "billingCycles": [{"dailyDataUsage": [{"date": "2025-10-01", "standardGB": 1}]}]}]}})");
    EXPECT_EQ(first.page_index, 0);
    EXPECT_EQ(first.limit, 1);
    EXPECT_EQ(first.is_last_page, false);
    EXPECT_EQ(first.total_count, 2);
    PageInfo second = parser.add(R"({"isValid": true, "content": {"pageIndex": 1, "isLastPage": true,
        "results": [{"serviceLineNumber": "A", "billingCycles": [{"dailyDataUsage": [{"date": "2025-10-01", "standardGB": 2}]}]},
                    {"serviceLineNumber": "B", "billingCycles": []}]}})");
    EXPECT_EQ(second.is_last_page, true);
    EXPECT_FALSE(second.total_count);
    ParsedPayload p = parser.finish();
    ASSERT_EQ(p.lines.size(), 2u);
    ASSERT_EQ(p.records.size(), 2u);
    EXPECT_EQ(p.records[0].line, p.records[1].line);
    EXPECT_LT(p.records[0].ordinal, p.records[1].ordinal) << "the later page is the later occurrence";
}

TEST(PayloadParser, ACycleReportedTwiceKeepsItsLastReport) {
    PayloadParser parser(SourceKind::starlink, {});
    parser.add(R"({"isValid": true, "content": {"results": [{"serviceLineNumber": "A", "billingCycles": [
        {"startDate": "2025-10-01", "endDate": "2025-10-30", "totalStandardGB": 1,
         "dailyDataUsage": [{"date": "2025-10-01", "standardGB": 1}]}]}]}})");
    parser.add(R"({"isValid": true, "content": {"results": [{"serviceLineNumber": "A", "billingCycles": [
        {"startDate": "2025-10-01", "endDate": "2025-10-30", "totalStandardGB": 3,
         "dailyDataUsage": [{"date": "2025-10-01", "standardGB": 1}, {"date": "2025-10-02", "standardGB": 2}]}]}]}})");
    ParsedPayload p = parser.finish();
    ASSERT_EQ(p.cycles.size(), 1u);
    EXPECT_EQ(p.cycles[0].total_standard, 3000);
    EXPECT_EQ(p.cycles[0].reported_days.size(), 2u);
}

// The parse's progress hook (how a backend cancels a long parse) is called as the text is
// read, whatever the text holds: records, members the parser skips, one long string. It
// used to be called per 32,768 records only, so a payload of hundreds of megabytes of
// warnings could not be cancelled until its end (test/t/011_cancel_and_kill.pl).
namespace {

int calls = 0;
int cancel_after = -1; // the call that throws, as a pending cancel would; -1: never
void count_progress() {
    if (++calls == cancel_after)
        throw std::runtime_error("cancelled");
}

const std::string kTail = R"(],"content":{"pageIndex":0,"limit":1,"isLastPage":true,"totalCount":1,"results":[)"
                          R"({"serviceLineNumber":"W-1","billingCycles":[{"dailyDataUsage":[)"
                          R"({"date":"2025-10-01T00:00:00Z","priorityGB":1,"standardGB":2}]}]}]}})";

// About `megabytes` MB of warnings (skipped by the parser) before one record.
std::string warnings_payload(int megabytes) {
    const std::string warning = R"({"memberNames":["x"],"errorMessage":"a warning the archive does not need"},)";
    std::string text = R"({"isValid":true,"errors":[],"warnings":[)";
    while (text.size() < static_cast<std::size_t>(megabytes) << 20)
        text += warning;
    text += R"({"memberNames":[],"errorMessage":"last"})";
    return text + kTail;
}

// One warning whose message is a single string of about `megabytes` MB.
std::string long_string_payload(int megabytes) {
    return R"({"isValid":true,"errors":[],"warnings":[{"memberNames":[],"errorMessage":")" +
           std::string(static_cast<std::size_t>(megabytes) << 20, 'w') + R"("})" + kTail;
}

void reset(int throw_at = -1) {
    calls = 0;
    cancel_after = throw_at;
}

} // namespace

TEST(ParseProgress, CalledPerMegabyteOfSkippedMembers) {
    reset();
    const ParsedPayload parsed = parse_payload(SourceKind::starlink, warnings_payload(8), {}, &count_progress);
    EXPECT_EQ(parsed.records.size(), 1u);
    EXPECT_GE(calls, 8);
    EXPECT_LE(calls, 10);
}

TEST(ParseProgress, CalledInsideOneLongString) {
    reset();
    parse_payload(SourceKind::starlink, long_string_payload(8), {}, &count_progress);
    EXPECT_GE(calls, 8);
}

TEST(ParseProgress, SimpleKindToo) {
    std::string text = R"({"L": {"daily_usage": [)";
    while (text.size() < (4u << 20))
        text += R"({"date": "2025-10-01", "usage_gb": 1},)";
    text += R"({"date": "2025-10-02", "usage_gb": 2}]}})";
    reset();
    parse_payload(SourceKind::simple, text, {}, &count_progress);
    EXPECT_GE(calls, 4);
}

TEST(ParseProgress, AThrowingHookEndsTheParseWhereItIs) {
    reset(3);
    EXPECT_THROW(parse_payload(SourceKind::starlink, warnings_payload(8), {}, &count_progress), std::runtime_error);
    EXPECT_EQ(calls, 3); // stopped at the third megabyte, not at the end of the text
}

TEST(ParseProgress, ErrorsAndEndsAreUnchanged) {
    // The iterator must neither hide the end of the text nor move an error's offset.
    const std::string truncated = warnings_payload(2).substr(0, (2u << 20) + 5);
    auto error_of = [&](ProgressHook hook) {
        reset();
        try {
            parse_payload(SourceKind::starlink, truncated, {}, hook);
        } catch (const PayloadError &e) {
            return e;
        }
        ADD_FAILURE() << "no error for a truncated payload";
        return PayloadError(PayloadError::Kind::shape, "none");
    };
    const PayloadError with = error_of(&count_progress), without = error_of(nullptr);
    EXPECT_EQ(with.kind(), PayloadError::Kind::syntax);
    EXPECT_EQ(with.byte_offset(), without.byte_offset());
    EXPECT_STREQ(with.what(), without.what());
    reset();
    reset();
    EXPECT_THROW(parse_payload(SourceKind::starlink, "", {}, &count_progress), PayloadError);
    const ParsedPayload small = parse_payload(SourceKind::starlink, R"({"isValid":true,"warnings":[)" + kTail, {},
                                              &count_progress);
    EXPECT_EQ(small.records.size(), 1u);
}

TEST(ParseProgress, CalledWhileLocatingAShapeError) {
    // A shape error found at the end of the text is located by reading the text again up to
    // it: that second pass must be cancellable too. The first pass makes about 8 calls.
    std::string text = warnings_payload(8);
    const std::string results = R"("results":[)";
    text.replace(text.find(results), results.size(), R"("results":5,"x":[)");
    reset();
    EXPECT_THROW(parse_payload(SourceKind::starlink, text, {}, &count_progress), PayloadError);
    const int first_pass = 9; // calls up to the error, per megabyte
    EXPECT_GE(calls, first_pass + 4);
    reset(first_pass + 2);
    EXPECT_THROW(parse_payload(SourceKind::starlink, text, {}, &count_progress), std::runtime_error);
}
