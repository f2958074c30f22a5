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

class RunFeed;

// Puts the run's payload into the feed: one body given by the caller, or the pages of an
// HTTP fetch (each written a chunk at a time as it is parsed). It may also fill the counters
// it knows (bytes, HTTP figures). PayloadErrors it lets escape become the run's error.
using PayloadProducer = std::function<void(const SourceConfig &, RunFeed &, RunCounters &)>;

// What a call archives: its source, and what puts its payload into the parser.
struct ArchiveCall {
    std::string source;
    PayloadProducer produce;
};

// One archive call, logged from its first step: its archive_runs row (under `source_for_log`,
// the source argument as given), then `read_arguments` (whose errors, like every later one,
// are recorded in the run log), then the run. Must run with SPI connected. The payload is
// written a chunk at a time while it is parsed or fetched (run_feed.hpp), all in the caller's
// transaction, and any failure raises: the caller's transaction being aborted, nothing of the
// run stays behind but its run-log row (see run_log.hpp).
ArchiveResult archive_call(const std::string &source_for_log, const char *entry_point,
                           const std::function<ArchiveCall()> &read_arguments);

// What archive_call does around any archive call (archive_records too): the SQL objects'
// version checked, nesting refused (55006), the run-log row, any failure recorded in it.
// `run` does the work and fills log.counters; its result is logged as succeeded.
ArchiveResult logged_call(const std::string &source_for_log, const char *entry_point,
                          const std::function<ArchiveResult(RunLog &log)> &run);

} // namespace usage_archive::pg
