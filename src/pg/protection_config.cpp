#include "protection_config.hpp"

#include "owner_rights.hpp"
#include "spi_support.hpp"

extern "C" {
#include "utils/lsyscache.h"
}

namespace usage_archive::pg {

std::optional<ProtectionConfig> find_protection(Oid table) {
    std::optional<ProtectionConfig> config;
    with_owner_rights("usage_archive_private", "protections", [&] {
        if (spi_execute("SELECT keys, compare, tolerance::pg_catalog.text FROM usage_archive_private.protections "
                        "WHERE table_name OPERATOR(pg_catalog.=) $1",
                        {SpiArg{OIDOID, ObjectIdGetDatum(table)}}) == 1)
            config = ProtectionConfig{spi_text_array(0, 1), spi_text_array(0, 2), spi_text(0, 3)};
        spi_free_result();
    });
    return config;
}

ProtectionConfig load_protection(Oid table) {
    std::optional<ProtectionConfig> config = find_protection(table);
    if (!config) {
        const char *name = pg_call([table]() noexcept { return get_rel_name(table); });
        throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                       std::string("table \"") + (name ? name : "?") + "\" has usage_archive's guard trigger but is not "
                       "registered as protected",
                       {}, "Run usage_archive.protect() on it again, or usage_archive.unprotect().");
    }
    return *config;
}

} // namespace usage_archive::pg
