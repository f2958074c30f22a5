// The fast parser's copy of a body with simdjson's padding after it (fast_starlink_parser.cpp).
#pragma once

#include "non_copyable.hpp"
#include "payload_parser.hpp"

#include <cstddef>
#include <string_view>

namespace usage_archive::core {

// A copy of the body with simdjson's padding after it, kept for the next page. A large one
// is mapped with transparent huge pages asked for: each fresh 4 kB page costs a page fault,
// and copying the 122 MB benchmark payload into fresh 4 kB pages took 90-105 ms, into huge
// pages 30-45 ms (into pages already mapped, 13 ms).
class PaddedCopy : NonCopyable {
  public:
    PaddedCopy() = default;
    ~PaddedCopy() { release(); }

    // The body followed by kPayloadPadding zero bytes, or nullptr without the memory for it.
    const char *copy(std::string_view body);

  private:
    static constexpr std::size_t kMapFrom = 8u << 20;

    bool allocate(std::size_t size);
    void release();

    char *data_ = nullptr;
    std::size_t capacity_ = 0;
    bool mapped_ = false;
};

} // namespace usage_archive::core
