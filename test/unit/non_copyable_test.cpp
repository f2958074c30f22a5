#include "core/non_copyable.hpp"

#include <gtest/gtest.h>

#include <type_traits>

using namespace usage_archive::core;

namespace {

// An owner of something to release once, as the extension's scopes are.
class Scope : NonCopyable {
  public:
    explicit Scope(int *released) : released_(released) {}
    ~Scope() { ++*released_; }

  private:
    int *released_;
};

class Derived : public Scope {
    using Scope::Scope;
};

} // namespace

TEST(NonCopyable, RefusesCopiesAndMoves) {
    static_assert(!std::is_copy_constructible_v<Scope>);
    static_assert(!std::is_copy_assignable_v<Scope>);
    static_assert(!std::is_move_constructible_v<Scope>);
    static_assert(!std::is_move_assignable_v<Scope>);
    static_assert(!std::is_copy_constructible_v<Derived>);
    // Private inheritance: nothing outside sees the base, nor can delete through it.
    static_assert(!std::is_convertible_v<Scope *, NonCopyable *>);
    static_assert(sizeof(Scope) == sizeof(int *), "the empty base costs nothing");
    int released = 0;
    { Scope scope(&released); }
    EXPECT_EQ(released, 1);
}
