// Entry point of the payload parsers: API response bodies in, validated records out.
#pragma once

#include "payload_builder.hpp"
#include "record_validation.hpp"
#include "usage_record.hpp"

#include <cstdint>
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

// One archive run's parse: any number of response bodies (the pages of one fetch) into one
// set of records, with service lines shared across pages and ordinals continuing, so that a
// day repeated on a later page collapses like one repeated within a page.
class PayloadParser {
  public:
    PayloadParser(SourceKind kind, const ValidationLimits &limits, ProgressHook progress = nullptr)
        : kind_(kind), limits_(limits), builder_(progress) {}

    // Throws PayloadError when the text is not JSON, not of the kind's shape, or (starlink)
    // an envelope whose isValid is false. Invalid days are counted as rejections.
    PageInfo add(std::string_view body);
    ParsedPayload finish() { return builder_.take(); }
    // What a streaming run reads between bodies (take_chunk, lines, rejections).
    PayloadBuilder &builder() { return builder_; }

  private:
    SourceKind kind_;
    ValidationLimits limits_;
    PayloadBuilder builder_;
};

// One body, one run: PayloadParser(kind, limits).add(text), then finish().
ParsedPayload parse_payload(SourceKind kind, std::string_view text, const ValidationLimits &limits,
                            ProgressHook progress = nullptr);

// The two shapes, adding one body to a builder.
PageInfo parse_starlink_body(std::string_view text, const ValidationLimits &limits, PayloadBuilder &builder);
void parse_simple_body(std::string_view text, const ValidationLimits &limits, PayloadBuilder &builder);

} // namespace usage_archive::core
