#include "core/api_messages.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace usage_archive::core;

TEST(ApiMessages, JoinedInOrder) {
    EXPECT_EQ(join_api_messages({"a", "b"}), "a; b");
    EXPECT_EQ(join_api_messages({"only"}), "only");
    EXPECT_EQ(join_api_messages({}), "no error message given");
}

TEST(ApiMessages, EachTextBoundedAndWithoutControlCharacters) {
    const std::string joined = join_api_messages({std::string(2000, 'x'), std::string("a\0b", 3)});
    EXPECT_LT(joined.size(), 600u);
    EXPECT_EQ(joined.find('\0'), std::string::npos);
    EXPECT_NE(joined.find("; a"), std::string::npos);
}
