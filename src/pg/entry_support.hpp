// What every SQL entry point needs: its arguments checked, its archive_stats result built.
#pragma once

#include "archive_engine.hpp"
#include "error_bridge.hpp"

#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

// A text argument that must not be NULL (22004 names it otherwise).
std::string required_text_arg(FunctionCallInfo fcinfo, int n, const char *name);

// A text[] argument: std::nullopt for NULL; NULL elements are refused (22004), and so are
// arrays of more than one dimension (22023).
std::optional<std::vector<std::string>> optional_text_array_arg(FunctionCallInfo fcinfo, int n, const char *name);

// Connects SPI, runs the archive, disconnects, and returns the archive_stats composite.
Datum archive_and_report(FunctionCallInfo fcinfo, const std::string &source, const char *entry_point,
                         const PayloadProducer &produce);

} // namespace usage_archive::pg
