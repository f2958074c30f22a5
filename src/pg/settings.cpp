#include "settings.hpp"

#include "pg_prelude.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace usage_archive::pg {

Settings settings = {0.01, 10000.0, static_cast<int>(WriteMethod::automatic), 4, 5, 10000, 60000, 256 << 20, nullptr, nullptr};

namespace {
const struct config_enum_entry kWriteMethods[] = {
    {"auto", static_cast<int>(WriteMethod::automatic), false},
    {"sql", static_cast<int>(WriteMethod::sql), false},
    {nullptr, 0, false},
};
} // namespace

void define_settings() {
    DefineCustomRealVariable("usage_archive.tolerance_gb",
                             "Differences up to this many GB between an archived and a re-fetched value count as unchanged.",
                             "Compared on every value column; unchanged rows are not written at all.",
                             &settings.tolerance_gb, 0.01, 0.0, 1000.0, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomRealVariable("usage_archive.max_daily_gb",
                             "Largest plausible value, in GB, of one usage field for one day; larger values are rejected.",
                             "Guards against unit mix-ups and corrupt records.", &settings.max_daily_gb, 10000.0, 1.0,
                             1.0e10, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomEnumVariable("usage_archive.write_method",
                             "How new rows are inserted: auto (COPY machinery where it is safe) or sql (INSERT statements).",
                             "auto falls back to sql by itself when the table has row-level security, rules, or is "
                             "managed by another extension.",
                             &settings.write_method, static_cast<int>(WriteMethod::automatic), kWriteMethods, PGC_USERSET,
                             0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.max_concurrent_requests",
                            "Pages of one archive_usage run fetched at the same time.", nullptr,
                            &settings.max_concurrent_requests, 4, 1, 64, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.max_retries",
                            "Retries of a request answered with 429 or 5xx before the run fails.", nullptr,
                            &settings.max_retries, 5, 0, 20, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("usage_archive.connect_timeout_ms", "Time allowed to connect to the vendor API.", nullptr,
                            &settings.connect_timeout_ms, 10000, 1, 600000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
                            nullptr);
    DefineCustomIntVariable("usage_archive.request_timeout_ms", "Time allowed for one whole HTTP request.", nullptr,
                            &settings.request_timeout_ms, 60000, 1, 3600000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
                            nullptr);
    DefineCustomIntVariable("usage_archive.max_response_bytes",
                            "Largest response body accepted; a larger one aborts the transfer and fails the run.",
                            nullptr, &settings.max_response_bytes, 256 << 20, 1024, INT_MAX, PGC_SUSET, GUC_UNIT_BYTE,
                            nullptr, nullptr, nullptr);
    DefineCustomStringVariable("usage_archive.allowed_hosts",
                               "Hosts archive_usage may connect to, comma-separated; empty: the hosts of the "
                               "registered sources' URLs.",
                               nullptr, &settings.allowed_hosts, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable("usage_archive.ca_file",
                               "CA certificates file for verifying the vendor API's TLS certificate; empty: the "
                               "system's. Verification is always on.",
                               nullptr, &settings.ca_file, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("usage_archive");
}

} // namespace usage_archive::pg
