#include "http/secret_scrubber.hpp"

#include <gtest/gtest.h>

using usage_archive::http::SecretScrubber;

TEST(SecretScrubber, RemovesKnownSecretsInEveryEncoding) {
    SecretScrubber s;
    s.add("p@ss word/\"1\"");
    EXPECT_EQ(s.scrub("raw p@ss word/\"1\" end"), "raw [redacted] end");
    EXPECT_EQ(s.scrub("form p%40ss+word%2F%221%22 end"), "form [redacted] end");
    EXPECT_EQ(s.scrub("url p%40ss%20word%2F%221%22 end"), "url [redacted] end");
    EXPECT_EQ(s.scrub(R"(json "p@ss word/\"1\"" end)"), R"(json "[redacted]" end)");
    EXPECT_EQ(s.scrub("twice p@ss word/\"1\"p@ss word/\"1\""), "twice [redacted][redacted]");
}

TEST(SecretScrubber, RemovesWhatLooksLikeACredential) {
    const SecretScrubber s; // knows nothing: patterns alone
    EXPECT_EQ(s.scrub("Authorization: Bearer abc.def-123"), "Authorization: [redacted] [redacted]");
    EXPECT_EQ(s.scrub("got bearer abc123 from you"), "got bearer [redacted] from you");
    EXPECT_EQ(s.scrub("grant_type=client_credentials&client_id=me&client_secret=hunter2&x=1"),
              "grant_type=client_credentials&client_id=me&client_secret=[redacted]&x=1");
    EXPECT_EQ(s.scrub(R"({"access_token": "eyJ.abc", "token_type": "Bearer"})"),
              R"({"access_token": "[redacted]", "token_type": "Bearer"})");
    EXPECT_EQ(s.scrub(R"({\"client_secret\":\"x\"})"), R"({\"client_secret\":\"[redacted]\"})");
    EXPECT_EQ(s.scrub("HTTP 422: Failed to query data usage"), "HTTP 422: Failed to query data usage");
}

TEST(SecretScrubber, EmptySecretsAreIgnored) {
    SecretScrubber s;
    s.add("");
    EXPECT_EQ(s.scrub("nothing to hide"), "nothing to hide");
}
