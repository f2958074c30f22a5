// The API's own words about a failed request, for error messages: the envelope's
// errors[].errorMessage, an OAuth2 error/error_description, or the start of a non-JSON body.
#pragma once

#include <string>

namespace usage_archive::http {

std::string api_error_text(const std::string &body);

} // namespace usage_archive::http
