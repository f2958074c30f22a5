// libFuzzer target: the starlink payload parser (the V2 data-usage response shape). Any input
// either parses into records that keep every invariant or raises PayloadError; anything
// else (another exception, a crash, a sanitizer report, a broken invariant) is a finding.
#include "payload_invariants.hpp"

#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    using namespace usage_archive;
    const core::ValidationLimits limits;
    try {
        const core::ParsedPayload parsed = core::parse_payload(
            core::SourceKind::starlink, std::string_view(reinterpret_cast<const char *>(data), size), limits);
        fuzz::check_parsed(parsed, limits);
    } catch (const core::PayloadError &) {
    }
    return 0;
}
