#include "payload_parser.hpp"

namespace usage_archive::core {

PageInfo PayloadParser::add(std::string_view body) {
    builder_.expect_bytes(body.size());
    if (kind_ == SourceKind::starlink)
        return parse_starlink_body(body, limits_, builder_);
    parse_simple_body(body, limits_, builder_);
    return PageInfo{};
}

ParsedPayload parse_payload(SourceKind kind, std::string_view text, const ValidationLimits &limits,
                            ProgressHook progress) {
    PayloadParser parser(kind, limits, progress);
    parser.add(text);
    return parser.finish();
}

} // namespace usage_archive::core
