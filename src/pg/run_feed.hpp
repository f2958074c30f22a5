// Where an archive run's payload goes: each body (one given payload, or each page of a fetch)
// is parsed, and whenever a chunk's worth of records is in hand, between two service lines,
// the chunk is written (ChunkWriter) while the rest of the payload is still being parsed or
// fetched. Memory then holds a chunk and the pages in flight, whatever the run's size, and the
// database works while the API answers the next pages.
#pragma once

#include "chunk_writer.hpp"
#include "run_phases.hpp"

#include "core/non_copyable.hpp"
#include "core/payload_parser.hpp"

#include <string_view>

namespace usage_archive::pg {

class RunFeed : core::NonCopyable {
  public:
    RunFeed(core::PayloadParser &parser, ChunkWriter &writer, RunPhases &timer);

    // Parses one body (PayloadError on bad input) and writes the chunks it completes: between
    // its service lines as the reference parser reads them, or (the fast parser adds a body
    // whole, tentatively) before the next body. `padded_by`: see core::PayloadParser::add.
    core::PageInfo add(std::string_view body, std::size_t padded_by = 0);
    // Writes what remains and the run's deferred updates: after the last body.
    void finish();

    // Wall time spent writing so far: a fetch's own time is its wall time less this.
    double write_ms() const { return write_ms_; }

  private:
    void write_chunk();

    core::PayloadParser &parser_;
    ChunkWriter &writer_;
    RunPhases &timer_;
    core::ParsedChunk chunk_;
    std::size_t chunk_records_;
    double write_ms_ = 0;
};

} // namespace usage_archive::pg
