// SQL entry points usage_archive.archive_payload(source, payload text | jsonb): archive one
// response body given directly, no HTTP.
#include "entry_support.hpp"
#include "jsonb_text.hpp"
#include "run_feed.hpp"

#include <cstring>

namespace usage_archive::pg {
namespace {

// The payload text stays where PostgreSQL detoasted it: parsed in place, never copied. Once
// parsed, the memory `owned` points to (a detoasted or rendered copy, or nullptr when the
// text is the argument itself) is released: the writing phase needs only the records, and
// a large payload would otherwise double the run's peak memory.
//
// Memory of our own is first grown by core::kPayloadPadding zeroed bytes, so that the
// starlink fast parser (simdjson reads up to 64 bytes past its input) need not copy the
// payload either: growing a large allocation remaps its pages rather than copying them.
PayloadProducer parse_in_place(std::string_view payload, void *owned) {
    return [payload, owned](const SourceConfig &, RunFeed &feed, RunCounters &counters) mutable {
        counters.payload_bytes = payload.size();
        std::size_t padded_by = 0;
        if (owned && payload.size() <= core::kMaxFastParseBytes) { // the fast parser reads past the end
            const std::size_t offset = static_cast<std::size_t>(payload.data() - static_cast<const char *>(owned));
            const std::size_t size = offset + payload.size() + core::kPayloadPadding;
            owned = pg_call([owned, size]() noexcept { return repalloc(owned, size); });
            char *text = static_cast<char *>(owned) + offset;
            std::memset(text + payload.size(), 0, core::kPayloadPadding);
            payload = std::string_view(text, payload.size());
            padded_by = core::kPayloadPadding;
        }
        feed.add(payload, padded_by);
        if (owned)
            pg_call([owned]() noexcept { pfree(owned); });
    };
}

Datum archive_payload_text_body(FunctionCallInfo fcinfo) {
    return archive_and_report(fcinfo, "archive_payload", [fcinfo] {
        ArchiveCall call{required_text_arg(fcinfo, 0, "source"), {}};
        if (PG_ARGISNULL(1))
            throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "payload must not be null");
        text *payload = pg_call([fcinfo]() noexcept { return PG_GETARG_TEXT_PP(1); });
        void *owned = payload != reinterpret_cast<text *>(DatumGetPointer(PG_GETARG_DATUM(1))) ? payload : nullptr;
        call.produce = parse_in_place(std::string_view(VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload)), owned);
        return call;
    });
}

Datum archive_payload_jsonb_body(FunctionCallInfo fcinfo) {
    return archive_and_report(fcinfo, "archive_payload", [fcinfo] {
        ArchiveCall call{required_text_arg(fcinfo, 0, "source"), {}};
        if (PG_ARGISNULL(1))
            throw SqlError(ERRCODE_NULL_VALUE_NOT_ALLOWED, "payload must not be null");
        // Rendered back to JSON text so both overloads go through the one streaming parser.
        char *json = pg_call([fcinfo]() noexcept {
            Jsonb *jb = PG_GETARG_JSONB_P(1);
            char *rendered = jsonb_to_text_interruptibly(jb); // cancellable, unlike JsonbToCString
            if (jb != reinterpret_cast<Jsonb *>(DatumGetPointer(PG_GETARG_DATUM(1))))
                pfree(jb); // the detoasted copy: the rendered text is all we need
            return rendered;
        });
        call.produce = parse_in_place(std::string_view(json), json);
        return call;
    });
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_payload_text, usage_archive::pg::archive_payload_text_body)
USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_archive_payload_jsonb, usage_archive::pg::archive_payload_jsonb_body)
