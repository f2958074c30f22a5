#include "setting_scope.hpp"

#include "error_bridge.hpp"

namespace usage_archive::pg {

int push_settings(std::initializer_list<SettingValue> values, GucContext context) {
    const SettingValue *v = values.begin(); // the list's array outlives this call
    const std::size_t n = values.size();
    return pg_call([v, n, context] {
        const int nest_level = NewGUCNestLevel();
        for (std::size_t i = 0; i < n; ++i)
            (void)set_config_option(v[i].name, v[i].value, context, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
        return nest_level;
    });
}

void pop_settings(int nest_level) {
    pg_call([nest_level] { AtEOXact_GUC(true, nest_level); });
}

} // namespace usage_archive::pg
