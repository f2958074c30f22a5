#include "settings.hpp"

#include "pg_prelude.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace usage_archive::pg {

Settings settings = {0.01, 10000.0, static_cast<int>(WriteMethod::automatic)};

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
    MarkGUCPrefixReserved("usage_archive");
}

} // namespace usage_archive::pg
