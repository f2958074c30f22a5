// One-dimensional SQL arrays built from C++ columns, for set-based statements
// (SELECT ... FROM unnest($1::int8[], $2::date[], ...)).
//
// Statements name functions with their schema (pg_catalog.now()), except this form of
// unnest: with more than one argument in FROM it is syntax, which the parser always expands
// to pg_catalog.unnest of each array whatever the search_path; a qualified name would turn
// the expansion off.
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
// Column `column` (1-based) of the first `rows` rows of SPI_tuptable as an array, NULLs kept:
// a statement's result handed on to the next statement without converting its values.
SpiArg result_column_array_arg(int column, Oid array_type, Oid element_type, std::uint64_t rows);

} // namespace usage_archive::pg
