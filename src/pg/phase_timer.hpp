// Where a run's time went, for `SET client_min_messages = debug1` and for profiling: one
// DEBUG1 line per run ("parse 850 ms, lines 30 ms, diff 4 ms, insert 3400 ms ...").
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace usage_archive::pg {

class PhaseTimer {
  public:
    // Ends the current phase (if any) and starts `name`.
    void start(const char *name) {
        stop();
        current_ = name;
        started_ = std::chrono::steady_clock::now();
    }
    void stop() {
        if (!current_)
            return;
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
        for (auto &p : phases_)
            if (p.first == current_) {
                p.second += ms;
                current_ = nullptr;
                return;
            }
        phases_.emplace_back(current_, ms);
        current_ = nullptr;
    }
    std::string summary() const {
        std::string out;
        for (const auto &p : phases_) {
            if (!out.empty())
                out += ", ";
            out += std::string(p.first) + " " + std::to_string(static_cast<long long>(p.second + 0.5)) + " ms";
        }
        return out;
    }

  private:
    const char *current_ = nullptr;
    std::chrono::steady_clock::time_point started_;
    std::vector<std::pair<const char *, double>> phases_;
};

} // namespace usage_archive::pg
