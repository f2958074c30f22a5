// One archive run, from a payload's text to archived rows and a run-log row. The same engine
// serves archive_payload (payload given) and archive_usage (payload fetched over HTTP).
#pragma once

#include "run_log.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace usage_archive::pg {

struct ArchiveResult {
    std::int64_t run_id;
    RunCounters counters;
};

// Must run with SPI connected. Any failure raises and, the transaction being aborted, leaves
// nothing of the payload (nor its run row) behind.
ArchiveResult run_archive(const std::string &source, std::string_view payload, const char *entry_point);

} // namespace usage_archive::pg
