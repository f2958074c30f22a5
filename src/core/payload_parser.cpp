#include "payload_parser.hpp"

#include "fast_starlink_parser.hpp"

namespace usage_archive::core {

PayloadParser::PayloadParser(SourceKind kind, const ValidationLimits &limits, ProgressHook progress)
    : kind_(kind), limits_(limits), builder_(progress),
      fast_(kind == SourceKind::starlink ? std::make_unique<FastStarlinkParser>() : nullptr) {}

PayloadParser::~PayloadParser() = default;
PayloadParser::PayloadParser(PayloadParser &&) noexcept = default;
PayloadParser &PayloadParser::operator=(PayloadParser &&) noexcept = default;

PageInfo PayloadParser::add(std::string_view body, std::size_t padded_by) {
    builder_.expect_bytes(body.size());
    if (kind_ == SourceKind::starlink) {
        PageInfo page;
        if (fast_ && body.size() <= kMaxFastParseBytes && fast_->parse(body, limits_, builder_, page, padded_by))
            return page;
        return parse_starlink_body(body, limits_, builder_);
    }
    parse_simple_body(body, limits_, builder_);
    return PageInfo{};
}

ParsedPayload PayloadParser::finish() {
    fast_.reset();
    return builder_.take();
}

ParsedPayload parse_payload(SourceKind kind, std::string_view text, const ValidationLimits &limits,
                            ProgressHook progress) {
    PayloadParser parser(kind, limits, progress);
    parser.add(text);
    return parser.finish();
}

} // namespace usage_archive::core
