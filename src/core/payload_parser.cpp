#include "payload_parser.hpp"

namespace usage_archive::core {

ParsedPayload parse_payload(SourceKind kind, std::string_view text, const ValidationLimits &limits,
                            ProgressHook progress) {
    return kind == SourceKind::starlink ? parse_starlink_payload(text, limits, progress)
                                        : parse_simple_payload(text, limits, progress);
}

} // namespace usage_archive::core
