// Memory for the arguments of statements a run makes once per chunk. SPI's own procedure
// context lives until the archive call returns: arrays built there for each chunk's
// statements piled up (a 10,000,000-record run kept about 80 MB of billing-cycle arrays so).
// Inside the scope the current memory context is one of its own, across statements too (the
// SPI wrappers of spi_support leave the caller's context current), so every argument, and
// every array built from a statement's result for the next one, lands there: reset() frees
// a chunk's and keeps the scope for the next, end() frees all and leaves it. If an error ends
// the scope first, the context stays with its parent, which takes it along when the call
// ends: the error's own data may lie in it.
#pragma once

#include "pg_prelude.hpp"

#include "core/non_copyable.hpp"

namespace usage_archive::pg {

class ArgumentMemory : core::NonCopyable {
  public:
    // A context under the current one, made current.
    ArgumentMemory();
    // The caller's context current again; the memory is freed only by end().
    ~ArgumentMemory();

    // Frees what the scope has built so far; the scope goes on.
    void reset();
    // Back to the caller's context, and the arguments' memory freed.
    void end();

  private:
    MemoryContext caller_;
    MemoryContext arguments_;
    bool ended_ = false;
};

} // namespace usage_archive::pg
