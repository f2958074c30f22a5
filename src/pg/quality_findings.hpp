// The rows usage_archive.check_data_quality() returns (type usage_archive.quality_finding:
// check_name, severity, source, service_line_number, period_start, period_end, observed,
// expected, detail), gathered from the checks into the function's result set.
#pragma once

#include "spi_support.hpp"

#include <optional>
#include <string>

namespace usage_archive::pg {

class QualityFindings {
  public:
    // The result set of the SQL function being called (materialized).
    explicit QualityFindings(FunctionCallInfo fcinfo);

    // Adds the rows of a statement whose columns are the nine finding columns, in order and
    // of their types (text, text, text, text, date, date, numeric, numeric, jsonb).
    void add_rows_of(const char *sql, const std::vector<SpiArg> &args);

    struct Finding {
        const char *check_name;
        const char *severity;
        std::optional<std::string> source, service_line_number;
        std::optional<std::int32_t> period_start, period_end; // days since 2000-01-01
        std::optional<std::string> observed, expected;        // numeric text
        std::string detail;                                   // jsonb text
    };
    void add(const Finding &finding);

  private:
    FunctionCallInfo fcinfo_;
};

} // namespace usage_archive::pg
