// One archive run, from a payload's text to archived rows and a run-log row. The same engine
// serves archive_payload (payload given) and archive_usage (payload fetched over HTTP).
#pragma once

#include "run_log.hpp"
#include "source_config.hpp"

#include "core/payload_parser.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace usage_archive::pg {

struct ArchiveResult {
    std::int64_t run_id;
    RunCounters counters;
};

// Puts the run's payload into the parser: one body given by the caller, or the pages of an
// HTTP fetch. It may also fill the counters it knows (bytes, HTTP figures). PayloadErrors it
// lets escape become the run's error.
using PayloadProducer = std::function<void(const SourceConfig &, core::PayloadParser &, RunCounters &)>;

// Must run with SPI connected. The whole payload is in hand before anything is written, and
// any failure raises: the transaction being aborted, nothing of the run (nor its run row)
// stays behind.
ArchiveResult run_archive(const std::string &source, const char *entry_point, const PayloadProducer &produce);

} // namespace usage_archive::pg
