// The API's own words about a failed request, for error messages: the envelope's
// errors[].errorMessage, an OAuth2 error/error_description, or the start of a non-JSON body.
// Messages built from them still pass through SecretScrubber.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace usage_archive::http {

std::string api_error_text(const std::string &body);

// A token endpoint's words: only the OAuth2 "error" and "error_description" fields. Nothing
// else of its body is ever quoted: a token endpoint may echo the request, secret included.
std::string oauth_error_text(const std::string &body);

// Text a server chose (a body, a header), made fit for an error message and the run log:
// valid UTF-8 (each byte of an invalid sequence becomes '?'; PostgreSQL would refuse the
// message or store text a dump cannot restore), line breaks and tabs as spaces, other control
// characters (terminal escapes, NUL) as '?', and at most max_bytes, cut between characters
// and marked "...".
std::string printable_text(std::string_view text, std::size_t max_bytes);

} // namespace usage_archive::http
