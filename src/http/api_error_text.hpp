// The API's own words about a failed request, for error messages: the envelope's
// errors[].errorMessage, an OAuth2 error/error_description, or the start of a non-JSON body.
// Messages built from them still pass through SecretScrubber.
#pragma once

#include <string>

namespace usage_archive::http {

std::string api_error_text(const std::string &body);

// A token endpoint's words: only the OAuth2 "error" and "error_description" fields. Nothing
// else of its body is ever quoted: a token endpoint may echo the request, secret included.
std::string oauth_error_text(const std::string &body);

} // namespace usage_archive::http
