// Memory for the arguments of statements a run makes once per chunk. After each statement SPI
// puts the caller back into the procedure's memory context, where arrays built for arguments
// would stay until the archive call returns: a 10,000,000-record run kept about 80 MB of
// billing-cycle arrays so. Arguments built inside the scope live in a context of their own,
// deleted by end(); if an error ends the scope first, the procedure's context takes the
// memory with it when the call ends.
#pragma once

#include "pg_prelude.hpp"

#include "core/non_copyable.hpp"

namespace usage_archive::pg {

class ArgumentMemory : core::NonCopyable {
  public:
    ArgumentMemory();
    ~ArgumentMemory();

    // Back to the caller's context, and the arguments' memory freed.
    void end();

  private:
    MemoryContext caller_;
    MemoryContext arguments_;
    bool ended_ = false;
};

} // namespace usage_archive::pg
