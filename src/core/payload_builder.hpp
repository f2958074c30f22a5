// Collects what a payload parser finds: interned service lines, valid records and counted
// rejections. Records are gathered per group (one service line's object in the payload),
// because the line's number may come after its days: JSON objects have no key order.
#pragma once

#include "json_sax_frame.hpp"
#include "record_validation.hpp"
#include "usage_record.hpp"

#include <functional>
#include <string>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace usage_archive::core {

// The longest service line id a payload may name, in bytes. Real ones are ~20 bytes; the
// unique index on (source, service_line_number) refuses entries over ~2.7 kB (after
// compression), so without a limit whether a long id could be archived would depend on how
// well it compresses.
inline constexpr std::size_t kMaxServiceLineIdBytes = 1024;

// Why a string cannot be a service line id ("expected ..., found ..."), or nothing.
std::optional<std::string> service_line_id_problem(std::string_view id);
// Why a string cannot be stored in a text column (it holds a NUL, from "\u0000"), or nothing.
std::optional<std::string> stored_text_problem(std::string_view text);

// Records one JSON scalar into a raw field; judgement is left to validation.
void assign_raw(RawNumber &field, JsonType type, double number, const std::string *text);
void assign_raw(RawDate &field, JsonType type, const std::string *text);

class PayloadBuilder {
  public:
    explicit PayloadBuilder(void (*progress)() = nullptr) : progress_(progress) {}

    // Called while the parsers read the text (see ProgressIterator in sax_runner.hpp), so a
    // long parse can be cancelled: it may throw.
    void (*progress() const)() { return progress_; }

    std::uint32_t intern_line(std::string_view number);
    ServiceLineInfo &line(std::uint32_t index) {
        if (attempt_ && index < attempt_->lines)
            attempt_->changed_lines.emplace_back(index, payload_.lines[index]); // a line of an earlier body
        return payload_.lines[index];
    }

    // Room for the records a body of this size may hold, so a large payload's records are not
    // copied over and over as the vector grows (reserved pages stay virtual until used).
    void expect_bytes(std::size_t body_bytes);

    void begin_group();
    // A valid record of the current group (line and ordinal are set here).
    void add_record(const UsageRecord &record);
    // A rejected record of the current group; `date_text` is the day as the payload wrote it.
    void add_rejection(std::string_view date_text, const std::string &reason);
    // A billing cycle of the current group: the records added between begin_cycle() and
    // end_cycle() are its listed days. A cycle without valid dates is not recorded.
    void begin_cycle();
    void end_cycle(std::optional<std::int32_t> start, std::optional<std::int32_t> end, const BillingCycle &totals);

    // Binds the group's records, cycles and rejection reasons to their service line.
    void end_group(std::uint32_t line);

    // The payload; of cycles reported more than once (pages, repeats), the last report.
    ParsedPayload take();

    // Streaming: an archive run writes the records of a large payload a chunk at a time, so
    // that it holds one chunk, not the whole fleet. take_chunk() moves out the records and
    // cycles completed since the last call (only between groups: a group's records are bound
    // to their line when it ends) and hands back `into`'s old buffers for reuse; lines,
    // ordinals and rejection counts stay the run's. Of a cycle reported twice in one chunk,
    // the chunk holds the last report; across chunks, the later chunk's report comes later.
    void take_chunk(ParsedChunk &into);
    std::size_t pending_records() const { return payload_.records.size(); }
    const std::vector<ServiceLineInfo> &lines() const { return payload_.lines; }
    std::uint64_t rejected() const { return payload_.rejected; }
    const std::vector<std::string> &rejection_reasons() const { return payload_.rejection_reasons; }
    // Called after each group ends, between groups: where a chunk may be taken in the middle
    // of one large body. Not called within an attempt (below): a chunk taken then could not
    // be undone. May throw (the parse then ends with that exception).
    void on_group_end(std::function<void()> hook) { group_end_ = std::move(hook); }
    // Caps what expect_bytes() reserves: a streaming run never holds more than a chunk.
    void cap_reservation(std::size_t records) { reservation_cap_ = records; }
    // A body added tentatively: a parser that may give up half-way through a body (the fast
    // starlink parser, which leaves what it cannot decide exactly to the reference parser)
    // adds it between begin_attempt() and keep_attempt(); undo_attempt() puts the builder back
    // as it was at begin_attempt(): lines, records, rejections, cycles, ordinals, and the
    // metadata the body set on lines of earlier bodies. Attempts do not nest.
    void begin_attempt();
    void keep_attempt() { attempt_.reset(); }
    void undo_attempt();

  private:
    // How long the lists a group adds to were at one moment: where the current group's
    // entries begin (end_group binds them to its line), and what an attempt cuts back to.
    struct ListEnds {
        std::size_t records = 0, cycles = 0, reasons = 0;
    };
    ListEnds list_ends() const;
    struct Attempt {
        std::size_t lines;
        ListEnds lists;
        std::uint64_t rejected;
        std::uint32_t next_ordinal, next_cycle_ordinal;
        std::vector<std::pair<std::uint32_t, ServiceLineInfo>> changed_lines; // as they were, oldest first
    };
    std::optional<Attempt> attempt_;
    ParsedPayload payload_;
    std::unordered_map<std::string, std::uint32_t> line_index_;
    ListEnds group_start_;
    std::size_t cycle_first_record_ = 0;
    std::uint32_t next_cycle_ordinal_ = 0;
    std::uint32_t next_ordinal_ = 0;
    void (*progress_)();
    std::function<void()> group_end_;
    std::size_t reservation_cap_ = SIZE_MAX;
};

} // namespace usage_archive::core
