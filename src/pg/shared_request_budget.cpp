#include "shared_request_budget.hpp"

#include "error_bridge.hpp"
#include "shared_state.hpp"

#include "http/rate_limiter.hpp"

#include <map>

namespace usage_archive::pg {
namespace {

// An entry unused this long holds nothing of the last minute and may serve another source.
constexpr long kStaleEntryMs = 2 * 60 * 1000;

class SharedRequestBudget : public http::RequestBudget {
  public:
    void use(const std::string &source, int per_minute) {
        source_ = source;
        per_minute_ = per_minute;
    }
    // false when no shared entry could be had for the source.
    bool take_shared(int wanted, std::int64_t now_ms, std::int64_t *retry_ms, int *granted) {
        SharedState *shared = shared_state();
        const char *name = source_.c_str();
        const int limit = per_minute_;
        bool found = false;
        pg_call([&]() noexcept {
            const TimestampTz now = GetCurrentTimestamp();
            LWLockAcquire(shared->lock, LW_EXCLUSIVE);
            BudgetEntry *entry = nullptr, *spare = nullptr;
            for (BudgetEntry &e : shared->budgets) {
                if (e.used && e.database == MyDatabaseId && std::strcmp(e.source, name) == 0) {
                    entry = &e;
                    break;
                }
                if (!spare && (!e.used || TimestampDifferenceExceeds(e.last_used, now, kStaleEntryMs)))
                    spare = &e;
            }
            if (!entry && spare) {
                entry = spare;
                entry->used = true;
                entry->database = MyDatabaseId;
                copy_to_buffer(entry->source, sizeof entry->source, name);
                http::reset_window(entry->window);
            }
            if (entry) {
                entry->last_used = now;
                *granted = http::take_from_window(entry->window, limit, wanted, now_ms, retry_ms);
                found = true;
            }
            LWLockRelease(shared->lock);
        });
        return found;
    }
    int take(int wanted, std::int64_t now_ms, std::int64_t *retry_ms) override {
        int granted = 0;
        if (take_shared(wanted, now_ms, retry_ms, &granted))
            return granted;
        return local().take(wanted, now_ms, retry_ms);
    }

  private:
    http::RateLimiter &local();
    std::string source_;
    int per_minute_ = 1;
};

// This backend's own budgets, kept across runs: the per-minute window spans them.
http::RateLimiter &local_budget(const std::string &source, int per_minute) {
    static std::map<std::string, std::pair<int, http::RateLimiter>> budgets; // limit, budget
    auto it = budgets.find(source);
    if (it == budgets.end() || it->second.first != per_minute) // new, or the option changed
        it = budgets.insert_or_assign(source, std::make_pair(per_minute, http::RateLimiter(per_minute))).first;
    return it->second.second;
}

http::RateLimiter &SharedRequestBudget::local() { return local_budget(source_, per_minute_); }

} // namespace

http::RequestBudget &request_budget_for(const SourceConfig &source) {
    if (!shared_state() || source.name.size() >= kSlotSourceBytes)
        return local_budget(source.name, source.rate_limit_per_minute);
    static SharedRequestBudget shared; // one fetch at a time per backend
    shared.use(source.name, source.rate_limit_per_minute);
    return shared;
}

} // namespace usage_archive::pg
