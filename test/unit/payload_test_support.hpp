// What the parser tests share: a starlink page exercising most of the shape, and the error a
// payload must raise (payload_parser_test.cpp, starlink_payload_parser_test.cpp,
// simple_payload_parser_test.cpp).
#pragma once

#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace usage_archive::core {

inline const char *kStarlink = R"({
  "isValid": true, "errors": [], "warnings": [], "information": [],
  "content": {"pageIndex": 0, "limit": 50, "isLastPage": true, "totalCount": 2, "results": [
    {"billingCycles": [
       {"startDate": "2025-09-15T00:00:00Z", "dailyDataUsage": [
         {"date": "2025-10-01T00:00:00Z", "priorityGB": 1.25, "optInPriorityGB": 0.5, "standardGB": 10.75, "nonBillableGB": 0.0},
         {"date": "2025-10-02T00:00:00Z", "priorityGB": 2, "standardGB": 3}],
        "overageLines": [{"x": [1, 2, {"y": null}]}], "totalPriorityGB": 3.25}],
     "serviceLineNumber": "AST-1", "accountNumber": "ACC-1", "lastUpdated": null,
     "servicePlan": {"productId": "p", "usageLimitGB": 1024.0, "isMobilePlan": false}},
    {"accountNumber": null, "serviceLineNumber": "AST-2", "servicePlan": null, "billingCycles": [
       {"dailyDataUsage": [{"date": "2025-02-30T00:00:00Z", "priorityGB": 1, "standardGB": 1},
                           {"date": "2025-10-01T00:00:00Z", "priorityGB": "NaN"},
                           {"date": "2025-10-01T00:00:00Z", "priorityGB": 4, "standardGB": 1, "newVendorField": {"a": 1}}]},
       {"dailyDataUsage": null}]}
  ]}})";

inline PayloadError expect_error(SourceKind kind, std::string_view text) {
    try {
        parse_payload(kind, text, {});
    } catch (const PayloadError &e) {
        return e;
    }
    ADD_FAILURE() << "no PayloadError for: " << text;
    return PayloadError(PayloadError::Kind::syntax, "none");
}

} // namespace usage_archive::core
