#include "source_config.hpp"

#include "spi_support.hpp"

namespace usage_archive::pg {

SourceConfig load_source(const std::string &name) {
    const std::uint64_t n = spi_execute(
        "SELECT kind, enabled, coalesce((options->>'register_new_service_lines')::boolean, true) "
        "FROM usage_archive.sources WHERE name = $1",
        {text_arg(name)}, true);
    if (n == 0)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT, "source \"" + name + "\" does not exist", {},
                       "Register it first with usage_archive.add_source().");
    const std::string kind = spi_text(0, 1);
    if (!spi_bool(0, 2))
        throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "source \"" + name + "\" is disabled", {},
                       "UPDATE usage_archive.sources SET enabled = true WHERE name = '...' to archive it again.");
    auto parsed = core::parse_source_kind(kind);
    if (!parsed) // the table's CHECK constraint makes this unreachable, unless someone dropped it
        throw SqlError(ERRCODE_DATA_EXCEPTION, "source \"" + name + "\" has unknown kind \"" + kind + "\"");
    return SourceConfig{name, *parsed, spi_bool(0, 3)};
}

void lock_source_for_archive(const std::string &name) {
    // Two-key advisory lock: the first key is this extension's, so the lock cannot collide
    // with advisory locks the application takes on plain bigint keys of its own.
    spi_execute("SELECT pg_catalog.pg_advisory_xact_lock(hashtext('usage_archive'), hashtext($1))", {text_arg(name)});
}

} // namespace usage_archive::pg
