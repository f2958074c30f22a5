#include "core/json_sax_frame.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <set>
#include <string>

namespace usage_archive::core {
namespace {

// Shape errors say "expected X, found <name>": every type needs a name of its own, and the
// catch-all "a value" would mean a type was added without one.
TEST(JsonTypeName, EveryTypeHasItsOwnName) {
    const JsonType all[] = {JsonType::null,   JsonType::boolean, JsonType::number,
                            JsonType::string, JsonType::object,  JsonType::array};
    std::set<std::string> names;
    for (JsonType type : all) {
        const std::string name = json_type_name(type);
        EXPECT_NE(name, "a value");
        names.insert(name);
    }
    EXPECT_EQ(names.size(), std::size(all));
    EXPECT_STREQ(json_type_name(JsonType::array), "an array");
    EXPECT_STREQ(json_type_name(JsonType::null), "null");
}

} // namespace
} // namespace usage_archive::core
