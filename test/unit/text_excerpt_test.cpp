#include "core/text_excerpt.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::core;

TEST(TextExcerpt, ShortTextIsKeptWhole) {
    EXPECT_EQ(text_excerpt("AST-1", 40), "AST-1");
    EXPECT_EQ(quoted_excerpt("", 40), "\"\"");
}

TEST(TextExcerpt, LongTextIsCutWithEllipsis) {
    EXPECT_EQ(text_excerpt(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(TextExcerpt, NeverCutsInsideAUtf8Character) {
    // "é" is two bytes: a cut after byte 5 of "aaaaé" would leave half of it.
    EXPECT_EQ(text_excerpt("aaaa\xc3\xa9zz", 5), "aaaa...");
    EXPECT_EQ(text_excerpt("aaaa\xc3\xa9zz", 6), "aaaa\xc3\xa9...");
    // Four-byte characters: back over all three continuation bytes.
    EXPECT_EQ(text_excerpt("\xf0\x9f\x9b\xb0\xf0\x9f\x9b\xb0", 6), "\xf0\x9f\x9b\xb0...");
}

TEST(TextExcerpt, ControlCharactersAreEscaped) {
    EXPECT_EQ(text_excerpt(std::string("a\0b\n", 4), 40), "a\\u0000b\\u000a");
}

TEST(TextExcerpt, BytesOfNoCharacterAreShownNotPassedOn) {
    // nlohmann quotes the bytes of an invalid literal it read, e.g. the first of a BOM.
    EXPECT_EQ(text_excerpt("\xef", 40), "\\xef");
    EXPECT_EQ(text_excerpt("a\xc3(", 40), "a\\xc3(");
    EXPECT_EQ(text_excerpt("\xed\xa0\x80", 40), "\\xed\\xa0\\x80") << "a surrogate";
    EXPECT_EQ(text_excerpt("\xc0\xaf", 40), "\\xc0\\xaf") << "an overlong form";
}
