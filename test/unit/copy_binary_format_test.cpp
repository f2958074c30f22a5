#include "core/copy_binary_format.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace usage_archive::core;

namespace {
std::vector<int> bytes_of_milli(MilliGb v) {
    char buf[64];
    CopyBinaryTuple t(buf, 1);
    t.milli(v);
    return std::vector<int>(reinterpret_cast<unsigned char *>(buf) + 2, reinterpret_cast<unsigned char *>(buf) + t.size());
}
} // namespace

TEST(CopyBinaryFormat, HeaderAndTrailer) {
    char buf[32];
    ASSERT_EQ(write_copy_binary_header(buf), kCopyBinaryHeaderSize);
    EXPECT_EQ(std::string(buf, 11), std::string("PGCOPY\n\377\r\n\0", 11));
    ASSERT_EQ(write_copy_binary_trailer(buf), 2u);
    EXPECT_EQ(static_cast<unsigned char>(buf[0]), 0xFF);
}

TEST(CopyBinaryFormat, NumericAsNumericSendWritesIt) {
    // SELECT numeric_send(12.345::numeric(14,3)): ndigits 2, weight 0, sign 0, dscale 3, 12, 3450
    EXPECT_EQ(bytes_of_milli(12345), (std::vector<int>{0, 0, 0, 12, 0, 2, 0, 0, 0, 0, 0, 3, 0, 12, 0x0D, 0x7A}));
    // 0.007: one digit 70 at weight -1
    EXPECT_EQ(bytes_of_milli(7), (std::vector<int>{0, 0, 0, 10, 0, 1, 0xFF, 0xFF, 0, 0, 0, 3, 0, 70}));
    // 0: no digits
    EXPECT_EQ(bytes_of_milli(0), (std::vector<int>{0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 3}));
    // 20000.000: one digit 2 at weight 1, trailing zero groups dropped
    EXPECT_EQ(bytes_of_milli(20000000), (std::vector<int>{0, 0, 0, 10, 0, 1, 0, 1, 0, 0, 0, 3, 0, 2}));
    // -1.5
    EXPECT_EQ(bytes_of_milli(-1500), (std::vector<int>{0, 0, 0, 12, 0, 2, 0, 0, 0x40, 0, 0, 3, 0, 1, 0x13, 0x88}));
}

TEST(CopyBinaryFormat, LargestValueFitsTheReservedSize) {
    char buf[64];
    CopyBinaryTuple t(buf, 1);
    t.milli(99999999999999); // numeric(14,3)'s maximum
    EXPECT_LE(t.size() - 2, kCopyBinaryMaxMilliField);
}

TEST(CopyBinaryFormat, IntegersAndDatesAreBigEndian) {
    char buf[64];
    CopyBinaryTuple t(buf, 3);
    t.int8(258);
    t.date(-1);
    t.null();
    const std::vector<int> got(reinterpret_cast<unsigned char *>(buf), reinterpret_cast<unsigned char *>(buf) + t.size());
    EXPECT_EQ(got, (std::vector<int>{0, 3, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0xFF, 0xFF, 0xFF}));
}
