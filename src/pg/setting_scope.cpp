#include "setting_scope.hpp"

#include "error_bridge.hpp"

namespace usage_archive::pg {

SettingScope::SettingScope(std::initializer_list<SettingValue> values, GucContext context) {
    const SettingValue *v = values.begin(); // the list's array outlives this call
    const std::size_t n = values.size();
    transaction_level_ = GetCurrentTransactionNestLevel();
    guc_level_ = pg_call([v, n, context]() noexcept {
        const int nest_level = NewGUCNestLevel();
        for (std::size_t i = 0; i < n; ++i)
            (void)set_config_option(v[i].name, v[i].value, context, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
        return nest_level;
    });
}

void SettingScope::end() {
    if (!pushed_)
        return;
    pushed_ = false;
    // Still in the (sub)transaction the level was pushed in: nothing has popped it. A lower
    // nest level means a rollback ended that subtransaction and popped the level with it.
    if (!IsTransactionState() || GetCurrentTransactionNestLevel() != transaction_level_)
        return;
    const int level = guc_level_;
    pg_call([level]() noexcept { AtEOXact_GUC(true, level); });
}

SettingScope::~SettingScope() {
    try {
        end();
    } catch (...) {
        // Restoring the values failed: the error on its way out aborts the transaction, whose
        // rollback pops the level.
    }
}

} // namespace usage_archive::pg
