// One-dimensional SQL arrays built from C++ columns, for set-based statements
// (SELECT ... FROM unnest($1::int8[], $2::date[], ...)).
#pragma once

#include "spi_support.hpp"

#include "core/usage_record.hpp"

#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

SpiArg int8_array_arg(const std::vector<std::int64_t> &values);
// Days since 2000-01-01 as date[].
SpiArg date_array_arg(const std::vector<std::int32_t> &values);
// Thousandths of a GB as numeric[] with exact decimal values; nullopt becomes NULL.
SpiArg milli_array_arg(const std::vector<std::optional<core::MilliGb>> &values);
SpiArg text_array_arg(const std::vector<std::optional<std::string>> &values);
SpiArg float8_array_arg(const std::vector<std::optional<double>> &values);

} // namespace usage_archive::pg
