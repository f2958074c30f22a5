// What every SQL entry point needs: its arguments checked, its archive_stats result built.
#pragma once

#include "archive_engine.hpp"
#include "error_bridge.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

// A text argument that must not be NULL (22004 names it otherwise).
std::string required_text_arg(FunctionCallInfo fcinfo, int n, const char *name);

// A text[] argument: std::nullopt for NULL; NULL elements are refused (22004), and so are
// arrays of more than one dimension (22023).
std::optional<std::vector<std::string>> optional_text_array_arg(FunctionCallInfo fcinfo, int n, const char *name);

// The source argument (argument 0) as given, for the run log: "" when it is NULL.
std::string source_for_log(FunctionCallInfo fcinfo);

// Connects SPI, runs the archive call (archive_call: arguments read under its run log),
// disconnects, and returns the archive_stats composite.
Datum archive_and_report(FunctionCallInfo fcinfo, const char *entry_point, const std::function<ArchiveCall()> &read_arguments);

// The archive_stats composite of a result, for a function returning archive_stats.
Datum stats_datum(FunctionCallInfo fcinfo, const ArchiveResult &result);

} // namespace usage_archive::pg
