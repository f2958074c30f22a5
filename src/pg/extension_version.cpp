#include "extension_version.hpp"

#include "spi_support.hpp"

namespace usage_archive::pg {

const char *const kLibraryVersion = USAGE_ARCHIVE_VERSION;

std::string installed_version() {
    std::string version;
    if (spi_execute("SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'usage_archive'",
                    {}) == 1)
        version = spi_text(0, 1);
    spi_free_result();
    return version;
}

void require_current_sql_objects() {
    const std::string installed = installed_version();
    if (installed == kLibraryVersion)
        return;
    throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                   "usage_archive's SQL objects in this database are version " + installed + ", its library is " +
                       kLibraryVersion,
                   {}, "Run ALTER EXTENSION usage_archive UPDATE.");
}

} // namespace usage_archive::pg
