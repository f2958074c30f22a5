#include "run_feed.hpp"

#include "settings.hpp"

#include <chrono>

namespace usage_archive::pg {

// Records per chunk (usage_archive.write_chunk_records, 65536): enough that a chunk's
// statements (diff, COPY, lines, cycles) cost little per record, few enough that a chunk
// stays a few megabytes (about 100 bytes per record between the record, its batch item and
// its key). A chunk ends between two service lines, so it can be larger.
RunFeed::RunFeed(core::PayloadParser &parser, ChunkWriter &writer, RunPhases &timer)
    : parser_(parser), writer_(writer), timer_(timer),
      chunk_records_(static_cast<std::size_t>(settings.write_chunk_records)) {
    core::PayloadBuilder &builder = parser_.builder();
    builder.cap_reservation(2 * chunk_records_);
    builder.on_group_end([this] {
        if (parser_.builder().pending_records() >= chunk_records_)
            write_chunk();
    });
}

void RunFeed::write_chunk() {
    const auto started = std::chrono::steady_clock::now();
    core::PayloadBuilder &builder = parser_.builder();
    builder.take_chunk(chunk_);
    writer_.write(chunk_, builder.lines());
    timer_.start("parse");
    write_ms_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

core::PageInfo RunFeed::add(std::string_view body, std::size_t padded_by) {
    // The chunk the previous body completed, written now rather than right after that body
    // was parsed: its caller could free the body first (archive_payload's one large text).
    if (parser_.builder().pending_records() >= chunk_records_)
        write_chunk();
    timer_.start("parse");
    return parser_.add(body, padded_by);
}

void RunFeed::finish() {
    const auto started = std::chrono::steady_clock::now();
    core::PayloadBuilder &builder = parser_.builder();
    builder.on_group_end({});
    builder.take_chunk(chunk_);
    writer_.write(chunk_, builder.lines());
    chunk_ = {};
    writer_.finish();
    write_ms_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

} // namespace usage_archive::pg
