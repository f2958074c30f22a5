#include "source_config.hpp"

#include "owner_rights.hpp"
#include "spi_support.hpp"

namespace usage_archive::pg {
namespace {

std::optional<std::string> optional_text(std::uint64_t row, int column) {
    bool is_null;
    std::string v = spi_text(row, column, &is_null);
    return is_null ? std::nullopt : std::optional<std::string>(std::move(v));
}

} // namespace

SourceConfig load_source(const std::string &name) {
    // Operators are qualified: the row is found by text equality and nothing else, whatever
    // the caller's search_path holds.
    const std::uint64_t n = spi_execute(
        "SELECT name, kind, enabled, "
        "       coalesce((options OPERATOR(pg_catalog.->>) 'register_new_service_lines')::boolean, true), "
        "       base_url, token_url, client_id, "
        "       coalesce((options OPERATOR(pg_catalog.->>) 'page_limit')::int, 50), "
        "       coalesce((options OPERATOR(pg_catalog.->>) 'rate_limit_per_minute')::int, 250), "
        "       coalesce((options OPERATOR(pg_catalog.->>) 'active_service_lines_only')::boolean, false) "
        "FROM usage_archive.sources WHERE name OPERATOR(pg_catalog.=) $1",
        {text_arg(name)});
    if (n == 0)
        throw SqlError(ERRCODE_UNDEFINED_OBJECT, "source \"" + name + "\" does not exist", {},
                       "Register it first with usage_archive.add_source().");
    const std::string stored_name = spi_text(0, 1);
    const std::string kind = spi_text(0, 2);
    if (!spi_bool(0, 3))
        throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "source \"" + stored_name + "\" is disabled", {},
                       "UPDATE usage_archive.sources SET enabled = true WHERE name = '...' to archive it again.");
    auto parsed = core::parse_source_kind(kind);
    if (!parsed) // the table's CHECK constraint makes this unreachable, unless someone dropped it
        throw SqlError(ERRCODE_DATA_EXCEPTION, "source \"" + stored_name + "\" has unknown kind \"" + kind + "\"");
    return SourceConfig{stored_name,
                        *parsed,
                        spi_bool(0, 4),
                        optional_text(0, 5),
                        optional_text(0, 6),
                        optional_text(0, 7),
                        static_cast<int>(spi_int32(0, 8)),
                        static_cast<int>(spi_int32(0, 9)),
                        spi_bool(0, 10)};
}

void lock_source_for_archive(const std::string &name) {
    // Two-key advisory lock: the first key is this extension's, so the lock cannot collide
    // with advisory locks the application takes on plain bigint keys of its own.
    spi_execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('usage_archive'), pg_catalog.hashtext($1))",
                {text_arg(name)});
}

StoredSecret load_client_secret(const SourceConfig &source) {
    StoredSecret secret;
    bool same_row = false;
    with_owner_rights("usage_archive_private", "source_secrets", [&] {
        const std::uint64_t n = spi_execute(
            "SELECT s.base_url, s.token_url, s.client_id, k.client_secret, k.client_secret_file "
            "FROM usage_archive.sources s "
            "LEFT JOIN usage_archive_private.source_secrets k ON k.source OPERATOR(pg_catalog.=) s.name "
            "WHERE s.name OPERATOR(pg_catalog.=) $1",
            {text_arg(source.name)});
        if (n == 1) {
            same_row = optional_text(0, 1) == source.base_url && optional_text(0, 2) == source.token_url &&
                       optional_text(0, 3) == source.client_id;
            secret.client_secret = optional_text(0, 4);
            secret.client_secret_file = optional_text(0, 5);
        }
        spi_free_result();
    });
    if (!same_row)
        throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                       "source \"" + source.name + "\" changed while the archive run was starting", {},
                       "Retry the archive run.");
    return secret;
}

std::vector<std::string> registered_source_urls() {
    return spi_text_column(
        "SELECT u FROM usage_archive.sources, LATERAL (VALUES (base_url), (token_url)) AS v(u) WHERE u IS NOT NULL", {});
}

} // namespace usage_archive::pg
