// A subtransaction of our own (BeginInternalSubTransaction), left exactly once.
//
// commit() releases it, rollback() rolls it back, and the destructor rolls it back when
// neither ran (an exception, an early return). Each leaves only while the subtransaction is
// still the current one: when releasing it raises halfway, or an enclosing rollback already
// ended it, nothing is left twice, so a cleanup can never end the caller's transaction.
// Afterwards the caller's memory context and resource owner are current again, as
// BeginInternalSubTransaction's callers must restore them.
#pragma once

#include "pg_prelude.hpp"

#include "core/non_copyable.hpp"

namespace usage_archive::pg {

class InternalSubtransaction : core::NonCopyable {
  public:
    InternalSubtransaction();
    ~InternalSubtransaction();

    void commit();   // raises PgError if the release fails (the subtransaction is then rolled back)
    void rollback(); // raises PgError if the rollback fails

  private:
    bool still_current() const;
    void leave(bool commit);

    MemoryContext caller_context_;
    ResourceOwner caller_owner_;
    int nest_level_ = 0; // the subtransaction's, once begun
    bool open_ = false;
};

} // namespace usage_archive::pg
