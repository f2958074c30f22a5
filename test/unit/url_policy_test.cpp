#include "http/url_policy.hpp"

#include <gtest/gtest.h>

using namespace usage_archive::http;

TEST(UrlPolicy, OnlyHttpToAllowedHosts) {
    HostPolicy policy({"API.test", "auth.test"});
    EXPECT_FALSE(policy.check("https://api.test/x"));
    EXPECT_FALSE(policy.check("http://AUTH.test:8080/token"));
    EXPECT_EQ(*policy.check("https://other.test/x"),
              "host other.test is not allowed (usage_archive.allowed_hosts, or the hosts of registered sources)");
    EXPECT_EQ(*policy.check("file:///etc/passwd"), "only http and https URLs are fetched, not file");
    EXPECT_EQ(*policy.check("ftp://api.test/x"), "only http and https URLs are fetched, not ftp");
    EXPECT_EQ(split_host_list(" a.test,B.test  c.test,"), (std::vector<std::string>{"a.test", "b.test", "c.test"}));
    EXPECT_EQ(redact_url("https://user:secret@api.test/x?page=1"), "https://api.test/x?page=1");
}

TEST(UrlPolicy, RefusesUrlsWithSpacesOrControlCharacters) {
    std::string why;
    for (const char *url : {"https://api.test/a b", "https://api.test/x\r\nX-Injected: 1", "https://api.test/\tx",
                            " https://api.test/", "https://api.test/x\x7f"}) {
        EXPECT_FALSE(parse_http_url(url, &why)) << url;
        EXPECT_EQ(why, "a URL must not contain spaces, line breaks or other control characters");
    }
    EXPECT_FALSE(parse_http_url("https://", &why));
    EXPECT_FALSE(parse_http_url("mailto:someone@api.test", &why));
}

TEST(UrlPolicy, OriginIsSchemeHostAndPort) {
    std::string why;
    EXPECT_EQ(origin_of(*parse_http_url("HTTPS://API.test/x?y", &why)), "https://api.test:443");
    EXPECT_EQ(origin_of(*parse_http_url("http://api.test:8080/", &why)), "http://api.test:8080");
    EXPECT_EQ(origin_of(*parse_http_url("http://user:pw@api.test/", &why)), "http://api.test:80");
}
