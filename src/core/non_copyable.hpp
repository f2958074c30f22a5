// A base for classes that own something only one object may hold: a resource to release
// once (a memory context, a subtransaction, a GUC nest level, a cursor, a libcurl handle), or
// a scope whose end must happen exactly once. Copying such an object would release or end
// it twice, so copies are refused; derive privately: `class Scope : core::NonCopyable`.
// Moves are refused too (a user-declared copy suppresses them): none of these objects moves.
#pragma once

namespace usage_archive::core {

class NonCopyable {
  protected:
    NonCopyable() = default;
    ~NonCopyable() = default; // not virtual: never deleted through this base

  public:
    NonCopyable(const NonCopyable &) = delete;
    NonCopyable &operator=(const NonCopyable &) = delete;
};

} // namespace usage_archive::core
