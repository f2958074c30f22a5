// The starlink shape, read through parse_payload.
#include "core/calendar_date.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include "payload_test_support.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace usage_archive::core;

TEST(StarlinkParser, ReadsLinesMetadataAndDays) {
    ParsedPayload p = parse_payload(SourceKind::starlink, kStarlink, {});
    ASSERT_EQ(p.lines.size(), 2u);
    EXPECT_EQ(p.lines[0].number, "AST-1");
    EXPECT_EQ(p.lines[0].account_number, "ACC-1");
    EXPECT_EQ(p.lines[0].usage_limit_gb, 1024.0);
    EXPECT_EQ(p.lines[0].product_id, "p");
    EXPECT_EQ(p.lines[0].opted_into_overage, std::nullopt) << "not in the plan";
    EXPECT_FALSE(p.lines[1].account_number);
    ASSERT_EQ(p.records.size(), 3u);
    EXPECT_EQ(p.records[0].line, 0u) << "line number after its days still binds them";
    EXPECT_EQ(p.records[0].consumed, 12000);
    EXPECT_EQ(p.records[1].consumed, 5000);
    EXPECT_EQ(p.records[2].line, 1u);
    EXPECT_EQ(p.rejected, 2u);
    EXPECT_EQ(p.total_records(), 5u);
    ASSERT_EQ(p.rejection_reasons.size(), 2u);
    EXPECT_EQ(p.rejection_reasons[0], "AST-2, day 2025-02-30T00:00:00Z: date \"2025-02-30T00:00:00Z\" is not a valid calendar date");
    EXPECT_EQ(p.rejection_reasons[1], "AST-2, day 2025-10-01T00:00:00Z: priorityGB is not finite (\"NaN\")");
}

TEST(StarlinkParser, InvalidEnvelopeFailsWithTheApiMessages) {
    PayloadError e = expect_error(SourceKind::starlink,
                                  R"({"isValid": false, "errors": [{"memberNames": ["x"], "errorMessage": "Failed to query data usage"},
                                      {"errorMessage": "Try later"}], "content": null})");
    EXPECT_EQ(e.kind(), PayloadError::Kind::api_reported);
    EXPECT_STREQ(e.what(), "the API reported an error (isValid: false): Failed to query data usage; Try later");
}

TEST(StarlinkParser, ShapeErrorsNamePathAndOffset) {
    const std::string text = R"({"isValid": true, "content": {"results": [{"serviceLineNumber": "A", "billingCycles": {}}]}})";
    PayloadError e = expect_error(SourceKind::starlink, text);
    EXPECT_EQ(e.kind(), PayloadError::Kind::shape);
    EXPECT_EQ(e.json_path(), "$.content.results[0].billingCycles");
    EXPECT_EQ(e.byte_offset(), text.find("{}") + 1);
    EXPECT_NE(std::string(e.what()).find("expected an array of billing cycles or null, found an object"), std::string::npos)
        << e.what();

    EXPECT_EQ(expect_error(SourceKind::starlink, "[]").kind(), PayloadError::Kind::shape);
    EXPECT_EQ(expect_error(SourceKind::starlink, R"({"isValid": true})").kind(), PayloadError::Kind::shape);
    EXPECT_EQ(expect_error(SourceKind::starlink, R"({"content": {"results": [1]}})").json_path(), "$.content.results[0]");
    EXPECT_EQ(expect_error(SourceKind::starlink, R"({"content": {"results": [{"billingCycles": []}]}})").json_path(),
              "$.content.results[0]");
    EXPECT_EQ(expect_error(SourceKind::starlink,
                           R"({"content": {"results": [{"serviceLineNumber": "A", "billingCycles": [{"dailyDataUsage": [7]}]}]}})")
                  .json_path(),
              "$.content.results[0].billingCycles[0].dailyDataUsage[0]");
}

TEST(StarlinkParser, SyntaxErrorsNameTheOffset) {
    const std::string text = R"({"isValid": true, "content": {"results": [{"serviceLineNumber": "A",)";
    PayloadError e = expect_error(SourceKind::starlink, text);
    EXPECT_EQ(e.kind(), PayloadError::Kind::syntax);
    EXPECT_EQ(e.byte_offset(), text.size() + 1);
    EXPECT_NE(std::string(e.what()).find("invalid JSON at byte"), std::string::npos);
    EXPECT_EQ(expect_error(SourceKind::starlink, R"({"content": {}} trailing)").kind(), PayloadError::Kind::syntax);
    EXPECT_EQ(expect_error(SourceKind::starlink, R"({"content": {"results": [{"x": NaN}]}})").kind(), PayloadError::Kind::syntax);
}

TEST(StarlinkParser, ReadsBillingCyclesTheirTotalsAndListedDays) {
    ParsedPayload p = parse_payload(SourceKind::starlink, R"({"isValid": true, "content": {"results": [
        {"serviceLineNumber": "A", "lastUpdated": "2025-10-21T06:00:00Z",
         "servicePlan": {"productId": "business-1tb", "isOptedIntoOverage": true}, "billingCycles": [
          {"startDate": "2025-09-15T00:00:00Z", "endDate": "2025-10-14T00:00:00Z",
           "dailyDataUsage": [{"date": "2025-10-02T00:00:00Z", "priorityGB": 1, "standardGB": 2},
                              {"date": "2025-09-20T00:00:00Z", "standardGB": 4},
                              {"date": "2025-09-21T00:00:00Z", "priorityGB": "NaN"}],
           "totalPriorityGB": 1.0, "totalStandardGB": 6.004, "totalOptInPriorityGB": null},
          {"startDate": "2025-10-15T00:00:00Z", "endDate": "2025-11-13T00:00:00Z", "dailyDataUsage": []},
          {"startDate": "not a date", "endDate": "2025-12-13T00:00:00Z",
           "dailyDataUsage": [{"date": "2025-11-20", "standardGB": 1}]}]}]}})",
                                    {});
    ASSERT_EQ(p.lines.size(), 1u);
    EXPECT_EQ(p.lines[0].last_updated_day, parse_usage_date("2025-10-21").day);
    EXPECT_EQ(p.lines[0].product_id, "business-1tb");
    EXPECT_EQ(p.lines[0].opted_into_overage, true);
    ASSERT_EQ(p.cycles.size(), 2u) << "a cycle without valid dates is not recorded";
    const BillingCycle &first = p.cycles[0];
    EXPECT_EQ(first.line, 0u) << "bound to the line whose number came after the cycles";
    EXPECT_EQ(first.start, parse_usage_date("2025-09-15").day);
    EXPECT_EQ(first.end, parse_usage_date("2025-10-14").day);
    EXPECT_EQ(first.total_priority, 1000);
    EXPECT_EQ(first.total_standard, 6004);
    EXPECT_FALSE(first.total_opt_in_priority) << "null";
    EXPECT_FALSE(first.total_non_billable) << "absent";
    const std::vector<std::int32_t> listed = {*parse_usage_date("2025-09-20").day, *parse_usage_date("2025-10-02").day};
    EXPECT_EQ(first.reported_days, listed) << "valid days only, ascending";
    EXPECT_TRUE(p.cycles[1].reported_days.empty());
    EXPECT_EQ(p.records.size(), 3u) << "the undated cycle's day is still archived";
}

// Hostile payloads (test/corpus): what used to escape as internal errors, database errors or
// unbounded messages.

TEST(HostilePayloads, NumberBeyondDoubleIsOutOfRangeNotInvalidJson) {
    const PayloadError e = expect_error(SourceKind::simple, R"({"L":{"daily_usage":[{"date":"2025-10-02","usage_gb":1e400}]}})");
    EXPECT_EQ(e.kind(), PayloadError::Kind::out_of_range);
    EXPECT_STREQ(e.what(), "number out of range at byte 58: 1e400 is beyond the range of double precision (about 1.8e308)");
    const PayloadError digits = expect_error(SourceKind::simple, R"({"x":)" + std::string(400, '9') + "}");
    EXPECT_EQ(digits.kind(), PayloadError::Kind::out_of_range);
    EXPECT_LT(std::string(digits.what()).size(), 200u) << "the token is quoted in part only";
    // Small ones are zero, not errors.
    ParsedPayload p = parse_payload(SourceKind::simple, R"({"L":{"daily_usage":[{"date":"2025-10-02","usage_gb":1e-400}]}})", {});
    ASSERT_EQ(p.records.size(), 1u);
    EXPECT_EQ(p.records[0].consumed, 0);
}

TEST(HostilePayloads, ServiceLineIdsWithNulOrTooLongAreShapeErrors) {
    const PayloadError nul = expect_error(SourceKind::simple, R"({"A\u0000B":{"daily_usage":[]}})");
    EXPECT_EQ(nul.kind(), PayloadError::Kind::shape);
    EXPECT_NE(std::string(nul.what()).find("($.A\\u0000B): expected a service line id without \\u0000"), std::string::npos)
        << nul.what();
    const PayloadError starlink = expect_error(
        SourceKind::starlink, R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A\u0000"}]}})");
    EXPECT_EQ(starlink.json_path(), "$.content.results[0].serviceLineNumber");
    const PayloadError account = expect_error(
        SourceKind::starlink, R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A","accountNumber":"\u0000"}]}})");
    EXPECT_EQ(account.json_path(), "$.content.results[0].accountNumber");

    const std::string at_limit(kMaxServiceLineIdBytes, 'L');
    EXPECT_EQ(parse_payload(SourceKind::simple, "{\"" + at_limit + "\":{\"daily_usage\":[]}}", {}).lines.size(), 1u);
    const PayloadError longer = expect_error(SourceKind::simple, "{\"" + at_limit + "L\":{\"daily_usage\":[]}}");
    EXPECT_NE(std::string(longer.what()).find("at most 1024 bytes, found 1025 bytes"), std::string::npos) << longer.what();
    EXPECT_LT(std::string(longer.what()).size(), 300u) << "the member name in the path is cut";
}

TEST(HostilePayloads, CycleTotalsNumericCannotHoldAreUnknown) {
    ParsedPayload p = parse_payload(SourceKind::starlink, R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A",
        "billingCycles":[{"startDate":"2025-10-01","endDate":"2025-10-31","totalPriorityGB":1e11,"totalStandardGB":99999999999,
        "dailyDataUsage":[]}]}]}})", {});
    ASSERT_EQ(p.cycles.size(), 1u);
    EXPECT_FALSE(p.cycles[0].total_priority);
    EXPECT_EQ(p.cycles[0].total_standard, 99999999999000);
}

TEST(HostilePayloads, MessagesQuotePayloadTextInPart) {
    // An unterminated string: nlohmann quotes everything it read as the "last read" token.
    const PayloadError e = expect_error(SourceKind::simple, "{\"L\":\"" + std::string(100000, 'x'));
    EXPECT_EQ(e.kind(), PayloadError::Kind::syntax);
    EXPECT_LT(std::string(e.what()).size(), 300u) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing closing quote; last read: '\"" + std::string(39, 'x') + "...'"), std::string::npos)
        << e.what();
    // A rejected day's text is cut on a character boundary and its NUL escaped.
    ParsedPayload p = parse_payload(SourceKind::simple,
                                    "{\"L\":{\"daily_usage\":[{\"date\":\"" + std::string(39, 'd') +
                                        "\xc3\xa9\\u0000\",\"usage_gb\":1}]}}",
                                    {});
    ASSERT_EQ(p.rejection_reasons.size(), 1u);
    EXPECT_EQ(p.rejection_reasons[0].find('\0'), std::string::npos);
    EXPECT_EQ(p.rejection_reasons[0].find("\xc3\"") , std::string::npos) << "no half character";
}

TEST(HostilePayloads, ApiErrorMessagesAreQuotedInPart) {
    const PayloadError e = expect_error(
        SourceKind::starlink, R"({"isValid":false,"errors":[{"errorMessage":"before\u0000after"},{"errorMessage":")" +
                                  std::string(10000, 'm') + R"("}]})");
    EXPECT_EQ(e.kind(), PayloadError::Kind::api_reported);
    const std::string what = e.what();
    EXPECT_NE(what.find("before\\u0000after; mmm"), std::string::npos) << what;
    EXPECT_LT(what.size(), 700u);
}

TEST(HostilePayloads, DaysOutsideTheirCycleAreArchivedButNotItsReportedDays) {
    // Found by the starlink fuzz target seeded with test/corpus: a year typo in one day.
    ParsedPayload p = parse_payload(SourceKind::starlink, R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A",
        "billingCycles":[{"startDate":"2025-10-01","endDate":"2025-10-31","dailyDataUsage":[
          {"date":"2026-10-02","standardGB":1},{"date":"2025-10-03","standardGB":1},{"date":"2025-09-30","standardGB":1}]}]}]}})",
                                    {});
    EXPECT_EQ(p.records.size(), 3u);
    ASSERT_EQ(p.cycles.size(), 1u);
    ASSERT_EQ(p.cycles[0].reported_days.size(), 1u);
    EXPECT_EQ(format_date(p.cycles[0].reported_days[0]), "2025-10-03");
}
