// Giving a large run's memory back to the operating system when the run ends.
//
// A run holds its payload's records, batch and keys in C++ containers (tens to hundreds of
// MB for a large payload) and frees them at its end. glibc's malloc then keeps much of it:
// after it frees a large block it raises its mmap threshold to that block's size, so the
// next run's blocks below that size come from the heap, and freed heap memory is returned
// only when it sits at the top of the heap. An idle backend (a pooled connection, a worker's
// job) kept 18 MB more after its second archive run of 100,000 records than after its first
// (test/t/012_memory_flat.pl), and hundreds of MB after a run of millions. malloc_trim gives
// every free page back, wherever it is.
#pragma once

#include <cstdint>

namespace usage_archive::pg {

// Calls malloc_trim when the run was large enough for it to matter (a trim walks the free
// lists: cheap next to a large run, not free for a loop of tiny ones). Never raises or throws.
void release_run_memory(std::uint64_t records, std::uint64_t payload_bytes) noexcept;

} // namespace usage_archive::pg
