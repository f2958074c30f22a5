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
    const std::uint64_t n = spi_execute(
        "SELECT kind, enabled, coalesce((options->>'register_new_service_lines')::boolean, true), "
        "       base_url, token_url, client_id, "
        "       coalesce((options->>'page_limit')::int, 50), coalesce((options->>'rate_limit_per_minute')::int, 250) "
        "FROM usage_archive.sources WHERE name = $1",
        {text_arg(name)});
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
    return SourceConfig{name,
                        *parsed,
                        spi_bool(0, 3),
                        optional_text(0, 4),
                        optional_text(0, 5),
                        optional_text(0, 6),
                        static_cast<int>(spi_int32(0, 7)),
                        static_cast<int>(spi_int32(0, 8))};
}

void lock_source_for_archive(const std::string &name) {
    // Two-key advisory lock: the first key is this extension's, so the lock cannot collide
    // with advisory locks the application takes on plain bigint keys of its own.
    spi_execute("SELECT pg_catalog.pg_advisory_xact_lock(hashtext('usage_archive'), hashtext($1))", {text_arg(name)});
}

std::optional<std::string> load_client_secret(const std::string &name) {
    std::optional<std::string> secret;
    with_owner_rights("usage_archive_private", "source_secrets", [&] {
        if (spi_execute("SELECT client_secret FROM usage_archive_private.source_secrets "
                        "WHERE source OPERATOR(pg_catalog.=) $1",
                        {text_arg(name)}) > 0)
            secret = spi_text(0, 1);
        spi_free_result();
    });
    return secret;
}

std::vector<std::string> registered_source_urls() {
    std::vector<std::string> urls;
    const std::uint64_t n = spi_execute(
        "SELECT u FROM usage_archive.sources, LATERAL (VALUES (base_url), (token_url)) AS v(u) WHERE u IS NOT NULL", {});
    for (std::uint64_t r = 0; r < n; ++r)
        urls.push_back(spi_text(r, 1));
    spi_free_result();
    return urls;
}

} // namespace usage_archive::pg
