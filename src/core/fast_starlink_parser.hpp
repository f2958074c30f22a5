// The fast path of the `starlink` kind: simdjson's On Demand API over the bulk payload shape,
// several times the speed of the nlohmann/json SAX parser (starlink_payload_parser.cpp),
// which stays the reference. The fast path decides only what it can decide exactly like the
// reference: a well-formed body of the expected shape. Anything else -- invalid JSON, a shape
// error, an envelope with isValid false, a number no double holds, an escaped member name,
// nesting deeper than it follows -- it gives back untouched, and the reference parses the
// body again from the start, so that every error keeps the reference's kind, message, JSON
// path and byte offset. test/unit/fast_starlink_parser_test.cpp holds both to the same
// records, counters, rejections, cycles, lines and page facts.
#pragma once

#include "payload_builder.hpp"
#include "non_copyable.hpp"
#include "payload_parser.hpp"
#include "record_validation.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace usage_archive::core {

class FastStarlinkParser : NonCopyable {
  public:
    FastStarlinkParser();
    ~FastStarlinkParser();

    // Adds the body to `builder` exactly as parse_starlink_body() would, sets `page` and
    // returns true; or returns false and leaves `builder` as it was, for parse_starlink_body()
    // to parse and judge. Calls the builder's progress hook at the start and at every megabyte
    // boundary of the text it walks past, as the reference does; what the hook throws passes
    // through (the builder is put back first). Not during simdjson's first pass over the whole
    // text (its structural index) nor the padded copy: about 0.1 s per 100 MB here.
    //
    // simdjson reads up to 64 bytes past the end of its input: the body is copied into a
    // padded buffer (about 10 ms per 100 MB) unless the caller says `padded_by` bytes after
    // the body are readable (kPayloadPadding of them are needed).
    bool parse(std::string_view body, const ValidationLimits &limits, PayloadBuilder &builder, PageInfo &page,
               std::size_t padded_by = 0);

    // Why the last body was given back ("shape", a simdjson error message, ...), for tests
    // and the benchmark; nullptr when it was not.
    const char *last_fallback_reason() const { return last_fallback_reason_; }
    std::uint64_t fallbacks() const { return fallbacks_; }

    // Buffers kept between bodies (the padded copy, simdjson's structural index) are freed
    // after a body larger than this: a run keeps at most that much for its next page.
    static constexpr std::size_t kKeepBuffersUpTo = 32u << 20;

  private:
    struct Buffers;
    std::unique_ptr<Buffers> buffers_;
    const char *last_fallback_reason_ = nullptr;
    std::uint64_t fallbacks_ = 0;
};

} // namespace usage_archive::core
