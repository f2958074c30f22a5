// Entry point of the payload parsers: one API response body in, validated records out.
#pragma once

#include "record_validation.hpp"
#include "usage_record.hpp"

#include <string_view>

namespace usage_archive::core {

// Called every few tens of thousands of records so that a long parse can be cancelled: it
// may throw, and the exception leaves the parser cleanly.
using ProgressHook = void (*)();

// Throws PayloadError when the text is not JSON, not of the kind's shape, or (starlink) an
// envelope whose isValid is false. Invalid days are counted in ParsedPayload::rejected.
ParsedPayload parse_payload(SourceKind kind, std::string_view text, const ValidationLimits &limits,
                            ProgressHook progress = nullptr);

// The two shapes, for tests and for callers that know the kind statically.
ParsedPayload parse_starlink_payload(std::string_view text, const ValidationLimits &limits,
                                     ProgressHook progress = nullptr);
ParsedPayload parse_simple_payload(std::string_view text, const ValidationLimits &limits,
                                   ProgressHook progress = nullptr);

} // namespace usage_archive::core
