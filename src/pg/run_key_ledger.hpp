// What an archive run has done so far with each (service line, day) it has seen. A large run
// is written a chunk at a time; a day that comes again in a later chunk (the same line on two
// pages) must still collapse as if the whole payload had been in hand: the later record wins,
// it is counted once, and an identical re-run writes nothing. The ledger tells the later
// chunk how the earlier record was counted and where it stands.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace usage_archive::pg {

enum class KeyOutcome : std::uint8_t {
    none,      // not seen in this run
    inserted,  // written as a new row by this run
    unchanged, // matched the archived row: nothing written
    deferred,  // differs from the archived row: the update waits for the end of the run
    skipped,   // not archived (unknown line, or a trigger of the user's suppressed it)
};

// One byte per day between a line's first and last day seen: a 10,000,000-record run keeps
// about 10 MB. A line whose days spread over more than a few years (a hostile payload's
// 2000-01-01 and 9999-12-31) keeps a map instead, so the span cannot blow memory up.
class RunKeyLedger {
  public:
    KeyOutcome get(std::uint32_t line, std::int32_t day) const;
    void set(std::uint32_t line, std::int32_t day, KeyOutcome outcome);

  private:
    struct LineDays {
        std::int32_t first_day = 0;
        std::vector<KeyOutcome> dense; // by day - first_day
        std::map<std::int32_t, KeyOutcome> sparse;
        bool is_sparse = false;
    };
    std::vector<LineDays> lines_;
};

} // namespace usage_archive::pg
