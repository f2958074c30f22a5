// The phases of one archive run, seen from outside while it runs: each phase is timed (the
// run's DEBUG1 summary, PhaseTimer) and named in the process title ("usage_archive fleet:
// inserting"), as the fetch already names what it waits for. A run of a large payload takes
// seconds; ps, top and pg_stat_activity's pid then tell which phase it is in, and a test that
// must cancel a run in a given phase (test/t/011_cancel_and_kill.pl) knows when it is there.
#pragma once

#include "phase_timer.hpp"

#include "core/non_copyable.hpp"

#include <string>

namespace usage_archive::pg {

class RunPhases : core::NonCopyable {
  public:
    explicit RunPhases(const std::string &source);
    ~RunPhases(); // the statement's own title again, however the run ends

    // Ends the current phase and starts `name` (one of the timer's names: parse, collapse,
    // lines, batch, diff, insert, update, cycles).
    void start(const char *name);
    void stop() { timer_.stop(); }
    std::string summary() const { return timer_.summary(); }

  private:
    PhaseTimer timer_;
    std::string source_;
    std::string saved_title_;
    char title_[256] = {};
};

} // namespace usage_archive::pg
