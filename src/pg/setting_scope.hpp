// Settings for a stretch of statements, the way a function's SET clause works: pushed on a
// new GUC nest level when the scope begins, popped exactly once when it ends, however it
// ends. When a (sub)transaction rollback has already popped the level (an error that
// aborted the transaction the scope began in), the scope leaves it alone: popping a level
// twice would corrupt the GUC stack of whoever comes next.
#pragma once

#include "pg_prelude.hpp"

#include "core/non_copyable.hpp"

#include <initializer_list>

extern "C" {
#include "utils/guc.h"
}

namespace usage_archive::pg {

struct SettingValue {
    const char *name;
    const char *value;
};

class SettingScope : core::NonCopyable {
  public:
    // `context` is the privilege the change is made with (PGC_SUSET for a superuser-only
    // setting the extension itself needs changed).
    explicit SettingScope(std::initializer_list<SettingValue> values, GucContext context = PGC_USERSET);
    ~SettingScope();

    // Pops now (raises PgError if that fails); the destructor then does nothing.
    void end();

  private:
    int guc_level_;
    int transaction_level_; // the (sub)transaction whose rollback would pop guc_level_
    bool pushed_ = true;
};

} // namespace usage_archive::pg
