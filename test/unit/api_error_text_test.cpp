#include "http/api_error_text.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::http;

TEST(ApiErrorText, FindsTheApisWords) {
    EXPECT_EQ(api_error_text(R"({"isValid": false, "errors": [{"errorMessage": "a"}, {"errorMessage": "b"}]})"), "a; b");
    EXPECT_EQ(api_error_text(R"({"error": "invalid_client", "error_description": "bad secret"})"), "invalid_client: bad secret");
    EXPECT_EQ(api_error_text("<html>\nBad Gateway</html>"), "<html> Bad Gateway</html>");
    EXPECT_EQ(api_error_text(""), "(empty body)");
    EXPECT_EQ(api_error_text(std::string(1000, 'x')).size(), 303u);
}

TEST(ApiErrorText, ATokenEndpointIsQuotedOnlyByItsOAuthFields) {
    EXPECT_EQ(oauth_error_text(R"({"error": "invalid_client", "error_description": "bad", "echo": "client_secret=x"})"),
              "invalid_client: bad");
    EXPECT_EQ(oauth_error_text("grant_type=client_credentials&client_id=a&client_secret=x"), "(no OAuth error in the response)");
    EXPECT_EQ(oauth_error_text(R"({"errors": [{"errorMessage": "client_secret=x"}]})"), "(no OAuth error in the response)");
    EXPECT_EQ(oauth_error_text(""), "(no OAuth error in the response)");
}

// A hostile server's bytes reach messages (and archive_runs.error) only as valid UTF-8 without
// control characters, cut between characters.
TEST(ApiErrorText, WhatAServerSentIsMadePrintable) {
    EXPECT_EQ(printable_text("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 100), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    EXPECT_EQ(printable_text("a\xFF\xFE" "b", 100), "a??b") << "bytes of no UTF-8 sequence";
    EXPECT_EQ(printable_text("\xC0\xAF|\xED\xA0\x80|\xF4\x90\x80\x80|\xE2\x82", 100), "??|???|????|??")
        << "overlong, surrogate, above U+10FFFF, truncated";
    EXPECT_EQ(printable_text(std::string("x\0y\x1b[31mz\x7f", 10), 100), "x?y?[31mz?") << "NUL, ESC, DEL";
    EXPECT_EQ(printable_text("a\r\nb\tc", 100), "a  b c");
    EXPECT_EQ(printable_text("ab\xE2\x82\xAC", 4), "ab...") << "never half a character";
    EXPECT_EQ(printable_text("abcd", 4), "abcd");
    EXPECT_EQ(printable_text("abcde", 4), "abcd...");
    EXPECT_EQ(api_error_text("\xFF\xFE<html>\x1b]0;pwned\x07</html>"), "?" "?<html>?]0;pwned?</html>");
    EXPECT_EQ(oauth_error_text("{\"error\": \"bad\\u0000\\u001b\"}"), "bad??");
}
