#include "subtransaction.hpp"

#include "error_bridge.hpp"

namespace usage_archive::pg {

InternalSubtransaction::InternalSubtransaction()
    : caller_context_(CurrentMemoryContext), caller_owner_(CurrentResourceOwner) {
    nest_level_ = pg_call([]() noexcept {
        BeginInternalSubTransaction(nullptr);
        return GetCurrentTransactionNestLevel();
    });
    open_ = true;
    MemoryContextSwitchTo(caller_context_);
}

InternalSubtransaction::~InternalSubtransaction() {
    if (!open_)
        return;
    try {
        leave(false);
    } catch (...) {
        // The rollback itself failed: the error on its way out aborts the enclosing
        // (sub)transaction, which ends this one too.
    }
}

void InternalSubtransaction::commit() {
    try {
        leave(true);
    } catch (...) {
        // A release that raised can leave the subtransaction current (an error in a step of
        // its commit): it is rolled back, once, before the error goes on.
        try {
            leave(false);
        } catch (...) {
        }
        throw;
    }
}

void InternalSubtransaction::rollback() { leave(false); }

bool InternalSubtransaction::still_current() const {
    return IsTransactionState() && GetCurrentTransactionNestLevel() == nest_level_;
}

void InternalSubtransaction::leave(bool commit) {
    if (!open_ || !still_current()) {
        open_ = false;
        return;
    }
    // Not open any more whatever happens below: a failure inside the release or rollback is
    // handled by the caller once, never by leaving again from here.
    open_ = commit;
    struct Restore {
        InternalSubtransaction *self;
        ~Restore() {
            MemoryContextSwitchTo(self->caller_context_);
            CurrentResourceOwner = self->caller_owner_;
        }
    } restore{this};
    if (commit) {
        pg_call([]() noexcept { ReleaseCurrentSubTransaction(); });
        open_ = false;
    } else {
        pg_call([]() noexcept { RollbackAndReleaseCurrentSubTransaction(); });
    }
}

} // namespace usage_archive::pg
