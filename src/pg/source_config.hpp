// A registered source (usage_archive.sources) as an archive run needs it.
#pragma once

#include "core/usage_record.hpp"

#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

struct SourceConfig {
    std::string name; // as stored in the row, not as the caller spelled the argument
    core::SourceKind kind;
    bool register_new_service_lines; // options.register_new_service_lines, default true
    std::optional<std::string> base_url;
    std::optional<std::string> token_url;
    std::optional<std::string> client_id;
    int page_limit;            // options.page_limit, default 50 (starlink: lines per page)
    int rate_limit_per_minute; // options.rate_limit_per_minute, default 250
    bool active_service_lines_only; // options.active_service_lines_only, default false
};

// Raises 42704 when the source does not exist and 55000 when it is disabled. Reads with the
// caller's rights (SELECT on sources is part of archiving).
SourceConfig load_source(const std::string &name);

// Serialises archive runs of one source until the transaction ends, so two runs of the same
// source never race to insert the same (service line, day). Runs of different sources
// proceed in parallel: a service line belongs to one source.
void lock_source_for_archive(const std::string &name);

// Where a source's client secret is kept: in the secret table, or in a file on the server
// (set by a superuser with usage_archive.set_client_secret_file). Neither, when none is set.
struct StoredSecret {
    std::optional<std::string> client_secret;
    std::optional<std::string> client_secret_file;
};

// The secret stored for exactly the row `source` was loaded from, read with the rights of the
// secret table's owner (the caller may archive without being able to read secrets). The same
// statement reads the row's URLs and client id again: if they are no longer those of
// `source` (the row changed since it was loaded), the run fails with 40001 rather than send
// a secret to URLs it was not stored for.
StoredSecret load_client_secret(const SourceConfig &source);

// The hosts of all registered sources' URLs: what archive_usage may reach when
// usage_archive.allowed_hosts is empty.
std::vector<std::string> registered_source_urls();

} // namespace usage_archive::pg
