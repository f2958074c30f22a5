// libFuzzer target: the starlink fast parser (simdjson, with its fallback) against the
// reference parser (nlohmann/json SAX). For any input both must give the same records,
// counters, reasons, cycles, lines and page facts, or the same error (kind, message, path,
// byte offset); anything else aborts with both outcomes on stderr. Seeded, like the others,
// with test/corpus.
#include "payload_invariants.hpp"

#include "core/payload_builder.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>

namespace {

using namespace usage_archive::core;

template <typename T> void put(std::string &out, const char *name, const std::optional<T> &v) {
    out += name;
    if (!v) {
        out += "=none ";
    } else if constexpr (std::is_same_v<T, std::string>) {
        out += "=" + *v + " ";
    } else if constexpr (std::is_same_v<T, double>) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "=%a ", *v); // exact, sign of zero included
        out += buf;
    } else {
        out += "=" + std::to_string(*v) + " ";
    }
}

std::string describe(const PageInfo &page) {
    std::string out = "page: ";
    put(out, "index", page.page_index);
    put(out, "limit", page.limit);
    put(out, "last", page.is_last_page);
    put(out, "total", page.total_count);
    return out + "\n";
}

std::string describe(const ParsedPayload &p) {
    std::string out;
    for (const ServiceLineInfo &l : p.lines) {
        out += "line " + l.number + ": ";
        put(out, "account", l.account_number);
        put(out, "limit", l.usage_limit_gb);
        put(out, "updated", l.last_updated_day);
        put(out, "product", l.product_id);
        put(out, "overage", l.opted_into_overage);
        out += "\n";
    }
    for (const UsageRecord &r : p.records)
        out += "record " + std::to_string(r.line) + " " + std::to_string(r.day) + " " + std::to_string(r.ordinal) + " " +
               std::to_string(r.has_breakdown) + " " + std::to_string(r.consumed) + " " + std::to_string(r.priority) + " " +
               std::to_string(r.opt_in_priority) + " " + std::to_string(r.standard) + " " + std::to_string(r.non_billable) + "\n";
    for (const BillingCycle &c : p.cycles) {
        out += "cycle " + std::to_string(c.line) + " " + std::to_string(c.start) + " " + std::to_string(c.end) + " " +
               std::to_string(c.ordinal) + " ";
        put(out, "p", c.total_priority);
        put(out, "s", c.total_standard);
        put(out, "o", c.total_opt_in_priority);
        put(out, "n", c.total_non_billable);
        for (std::int32_t d : c.reported_days)
            out += std::to_string(d) + ",";
        out += "\n";
    }
    out += "rejected " + std::to_string(p.rejected) + "\n";
    for (const std::string &r : p.rejection_reasons)
        out += "reason " + r + "\n";
    return out;
}

std::string describe(const PayloadError &e) {
    return "error " + std::to_string(static_cast<int>(e.kind())) + " at " + std::to_string(e.byte_offset()) + " " +
           e.json_path() + ": " + e.what() + "\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const ValidationLimits limits;
    const std::string_view body(reinterpret_cast<const char *>(data), size);

    std::string reference;
    try {
        PayloadBuilder builder;
        builder.expect_bytes(size);
        reference = describe(parse_starlink_body(body, limits, builder));
        reference += describe(builder.take());
    } catch (const PayloadError &e) {
        reference = describe(e);
    }

    std::string fast;
    try {
        PayloadParser parser(SourceKind::starlink, limits);
        fast = describe(parser.add(body));
        const ParsedPayload parsed = parser.finish();
        usage_archive::fuzz::check_parsed(parsed, limits);
        fast += describe(parsed);
    } catch (const PayloadError &e) {
        fast = describe(e);
    }

    if (fast != reference) {
        std::fprintf(stderr, "fast parser and reference differ\n--- reference\n%s--- fast\n%s", reference.c_str(), fast.c_str());
        std::abort();
    }
    return 0;
}
