// Entry point of the payload parsers: API response bodies in, validated records out.
#pragma once

#include "payload_builder.hpp"
#include "record_validation.hpp"
#include "usage_record.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace usage_archive::core {

// Called every megabyte of text the parser reads (whatever it holds) so that a long parse can
// be cancelled: it may throw, and the exception leaves the parser cleanly.
using ProgressHook = void (*)();

// Paging facts a starlink response states about itself (content.pageIndex, limit,
// isLastPage, totalCount); the HTTP pager plans the remaining pages from them.
struct PageInfo {
    std::optional<std::int64_t> page_index;
    std::optional<std::int64_t> limit;
    std::optional<bool> is_last_page;
    std::optional<std::int64_t> total_count;
};

// Bytes after a body that add() may read when its caller says they are readable (padded_by):
// then a starlink body is parsed where it is, without the copy the fast parser makes otherwise.
inline constexpr std::size_t kPayloadPadding = 64;

// The largest body the fast parser takes. It indexes a whole body before reading it (about
// 0.8 bytes of index per byte of this payload, plus a padded copy when the caller has no
// padding), and a body it takes is added to the run at once; the reference parser streams, and
// a run writes a chunk between two service lines of even a 1 GB body. API pages are a few
// megabytes; a huge body handed to archive_payload keeps the run's memory near its own size.
inline constexpr std::size_t kMaxFastParseBytes = 64u << 20;

class FastStarlinkParser;

// One archive run's parse: any number of response bodies (the pages of one fetch) into one
// set of records, with service lines shared across pages and ordinals continuing, so that a
// day repeated on a later page collapses like one repeated within a page.
//
// A starlink body goes to the fast parser (simdjson, fast_starlink_parser.hpp) first; what
// it does not decide exactly, every error included, is parsed again from the start by the
// reference parser (nlohmann/json SAX), which reports it.
class PayloadParser {
  public:
    PayloadParser(SourceKind kind, const ValidationLimits &limits, ProgressHook progress = nullptr);
    ~PayloadParser();
    PayloadParser(PayloadParser &&) noexcept;
    PayloadParser &operator=(PayloadParser &&) noexcept;

    // Throws PayloadError when the text is not JSON, not of the kind's shape, or (starlink)
    // an envelope whose isValid is false. Invalid days are counted as rejections.
    // `padded_by`: how many bytes after the body may be read (kPayloadPadding or more spares
    // the fast parser its copy of the body); their content does not matter.
    PageInfo add(std::string_view body, std::size_t padded_by = 0);
    ParsedPayload finish();
    // What a streaming run reads between bodies (take_chunk, lines, rejections).
    PayloadBuilder &builder() { return builder_; }

  private:
    SourceKind kind_;
    ValidationLimits limits_;
    PayloadBuilder builder_;
    std::unique_ptr<FastStarlinkParser> fast_; // starlink only; its buffers go with finish()
};

// One body, one run: PayloadParser(kind, limits).add(text), then finish().
ParsedPayload parse_payload(SourceKind kind, std::string_view text, const ValidationLimits &limits,
                            ProgressHook progress = nullptr);

// The two shapes, adding one body to a builder.
PageInfo parse_starlink_body(std::string_view text, const ValidationLimits &limits, PayloadBuilder &builder);
void parse_simple_body(std::string_view text, const ValidationLimits &limits, PayloadBuilder &builder);

} // namespace usage_archive::core
