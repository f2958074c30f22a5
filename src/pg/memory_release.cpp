#include "memory_release.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace usage_archive::pg {
namespace {

// Below this a run's containers are a few hundred kB: what glibc keeps of them is noise.
constexpr std::uint64_t kMinRecords = 10000;
constexpr std::uint64_t kMinPayloadBytes = 1 << 20;

} // namespace

void release_run_memory(std::uint64_t records, std::uint64_t payload_bytes) noexcept {
    if (records < kMinRecords && payload_bytes < kMinPayloadBytes)
        return;
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace usage_archive::pg
