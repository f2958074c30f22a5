// Settings for a stretch of statements, the way a function's SET clause works: pushed on a
// new GUC nest level, popped afterwards. If an error ends the stretch early, the aborting
// (sub)transaction pops them.
#pragma once

#include "pg_prelude.hpp"

#include <initializer_list>

extern "C" {
#include "utils/guc.h"
}

namespace usage_archive::pg {

struct SettingValue {
    const char *name;
    const char *value;
};

// Returns the nest level to pass to pop_settings. `context` is the privilege the change is
// made with (PGC_SUSET for a superuser-only setting the extension itself needs changed).
int push_settings(std::initializer_list<SettingValue> values, GucContext context = PGC_USERSET);
void pop_settings(int nest_level);

} // namespace usage_archive::pg
