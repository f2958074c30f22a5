#include "core/padded_copy.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace usage_archive::core;

TEST(PaddedCopy, TheBodyThenZeroPadding) {
    PaddedCopy copy;
    for (std::size_t size : {std::size_t{0}, std::size_t{5}, std::size_t{9} << 20}) { // the last one is mapped
        const std::string body(size, 'b');
        const char *p = copy.copy(body);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(std::string(p, size), body);
        for (std::size_t i = 0; i < kPayloadPadding; ++i)
            ASSERT_EQ(p[size + i], '\0') << i;
    }
}
