#include "core/json_decimal.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

using namespace usage_archive::core;

namespace {

// The token followed by padding, as in a body: the reader loads 8 bytes at a time.
bool read(const std::string &token, JsonDecimal &out) {
    static std::string buffer;
    buffer = token + std::string(64, ' ');
    return read_json_decimal(std::string_view(buffer.data(), token.size()), out);
}

} // namespace

TEST(JsonDecimal, ReadsShortDecimalsAsStrtodDoes) {
    for (const char *text : {"0", "12.34", "-1.5", "0.1", "9999999.9999999", "1234567", "0.001", "10.75"}) {
        JsonDecimal d;
        ASSERT_TRUE(read(text, d)) << text;
        EXPECT_EQ(d.value(), std::strtod(text, nullptr)) << text;
    }
    JsonDecimal d;
    ASSERT_TRUE(read("12.34", d));
    EXPECT_EQ(d.digits, 1234u);
    EXPECT_EQ(d.decimals, 2);
}

TEST(JsonDecimal, LeavesEverythingElseToSimdjson) {
    for (const char *text : {"1e5", "01", "12345678", "0.12345678", "-", "1.", ".5", "1x", "\"1\""}) {
        JsonDecimal d;
        EXPECT_FALSE(read(text, d)) << text;
    }
}

TEST(JsonDecimal, MinusZeroIsTheIntegerZeroButMinusZeroPointZeroIsNegative) {
    JsonDecimal d;
    ASSERT_TRUE(read("-0", d));
    EXPECT_FALSE(std::signbit(d.value()));
    ASSERT_TRUE(read("-0.0", d));
    EXPECT_TRUE(std::signbit(d.value()));
}
