// PostgreSQL's binary COPY format, written into caller-provided memory. The archive feeds
// new rows to the server's own COPY FROM machinery in this format: the server then decodes
// integers and numerics by their binary receive functions, which is cheaper than parsing
// text, and inserts with COPY's multi-insert batching.
//
// Everything here writes into a fixed buffer and never allocates, because it runs inside
// a callback called from PostgreSQL's C code, where no C++ exception may escape.
#pragma once

#include "usage_record.hpp"

#include <cstddef>
#include <cstdint>

namespace usage_archive::core {

// Bytes of the file header and of the end-of-data marker.
inline constexpr std::size_t kCopyBinaryHeaderSize = 19;
inline constexpr std::size_t kCopyBinaryTrailerSize = 2;
// The largest a numeric(14,3) field can take: length word, 4 header words, 5 base-10000 digits.
inline constexpr std::size_t kCopyBinaryMaxMilliField = 4 + 8 + 10;

std::size_t write_copy_binary_header(char *out);
std::size_t write_copy_binary_trailer(char *out);

// Writes one tuple's fields in order; the caller reserves enough room (see the max sizes).
class CopyBinaryTuple {
  public:
    CopyBinaryTuple(char *out, std::int16_t field_count);
    void int8(std::int64_t value);
    void date(std::int32_t days_since_2000);
    // A numeric with scale 3, exact: the value is MilliGb thousandths.
    void milli(MilliGb value);
    void null();
    std::size_t size() const { return static_cast<std::size_t>(p_ - start_); }

  private:
    void put16(std::uint16_t v);
    void put32(std::uint32_t v);
    char *start_;
    char *p_;
};

} // namespace usage_archive::core
