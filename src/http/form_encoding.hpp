// application/x-www-form-urlencoded, the encoding of an OAuth2 token request's body.
#pragma once

#include <string>

namespace usage_archive::http {

// One value, encoded: unreserved characters as they are, space as '+', the rest as %XX.
std::string form_encode(const std::string &value);

} // namespace usage_archive::http
