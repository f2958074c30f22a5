#include "argument_memory.hpp"

#include "error_bridge.hpp"

namespace usage_archive::pg {

ArgumentMemory::ArgumentMemory()
    : caller_(CurrentMemoryContext), arguments_(pg_call([]() noexcept {
          return AllocSetContextCreate(CurrentMemoryContext, "usage_archive statement arguments",
                                       ALLOCSET_DEFAULT_SIZES);
      })) {
    MemoryContextSwitchTo(arguments_);
}

ArgumentMemory::~ArgumentMemory() {
    if (!ended_)
        MemoryContextSwitchTo(caller_); // a plain assignment; the context goes with the caller's
}

void ArgumentMemory::reset() {
    MemoryContext arguments = arguments_;
    pg_call([arguments]() noexcept { MemoryContextReset(arguments); });
}

void ArgumentMemory::end() {
    MemoryContextSwitchTo(caller_);
    ended_ = true;
    MemoryContext arguments = arguments_;
    pg_call([arguments]() noexcept { MemoryContextDelete(arguments); });
}

} // namespace usage_archive::pg
