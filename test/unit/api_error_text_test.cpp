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
