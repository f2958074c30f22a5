// The vendor API's own words about a failed request (the envelope's errors[].errorMessage),
// joined for one error message. Both readers of an envelope use it: the payload parser
// (isValid: false) and the HTTP client (an error status with an envelope body).
#pragma once

#include <string>
#include <vector>

namespace usage_archive::core {

// "a; b", each text bounded and stripped of control characters (the API's texts are quoted,
// not trusted); "no error message given" for none.
std::string join_api_messages(const std::vector<std::string> &messages);

} // namespace usage_archive::core
