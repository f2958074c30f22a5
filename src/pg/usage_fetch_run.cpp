#include "usage_fetch_run.hpp"

#include "backend_environment.hpp"
#include "error_bridge.hpp"
#include "extension_version.hpp"
#include "run_feed.hpp"
#include "settings.hpp"
#include "shared_request_budget.hpp"

#include "core/calendar_date.hpp"
#include "core/payload_error.hpp"
#include "http/api_error_text.hpp"
#include "http/curl_transport.hpp"
#include "http/secret_file.hpp"
#include "http/token_cache.hpp"
#include "http/usage_fetch.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

namespace usage_archive::pg {
namespace {

// The API returns the current cycle plus this many earlier ones; a decade is plenty.
constexpr int kMaxPreviousCycles = 120;
// A page's parse error names the request and quotes a little of the page: room for both.
constexpr std::size_t kMaxPageErrorBytes = 4000;

// Per backend, across runs: tokens are reused until shortly before they expire.
http::TokenCache &token_cache() {
    static http::TokenCache cache;
    return cache;
}


[[noreturn]] void cannot_fetch(const SourceConfig &source, const std::string &why, const std::string &hint) {
    throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, "source \"" + source.name + "\" cannot be fetched: " + why, {},
                   hint);
}

http::HostPolicy host_policy() {
    if (settings.allowed_hosts && settings.allowed_hosts[0] != '\0')
        return http::HostPolicy(http::split_host_list(settings.allowed_hosts));
    std::vector<std::string> hosts;
    for (const std::string &url : registered_source_urls()) {
        std::string why;
        if (auto parts = http::parse_http_url(url, &why))
            hosts.push_back(parts->host);
    }
    return http::HostPolicy(std::move(hosts));
}

// The client secret stored for the source: in the secret table, or in a file on the server.
std::string client_secret(const SourceConfig &source) {
    const StoredSecret stored = load_client_secret(source);
    if (stored.client_secret_file) {
        const http::SecretFileResult file = http::read_secret_file(*stored.client_secret_file);
        if (!file.secret)
            throw SqlError(file.missing ? ERRCODE_UNDEFINED_FILE : ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                           "source \"" + source.name + "\" cannot be fetched: its client secret file \"" +
                               *stored.client_secret_file + "\" cannot be used: " + file.problem,
                           {}, "A superuser sets it with usage_archive.set_client_secret_file().");
        return *file.secret;
    }
    if (!stored.client_secret)
        cannot_fetch(source, "it has a token_url but no client secret",
                     "Set client_secret with usage_archive.add_source(), or a file with "
                     "usage_archive.set_client_secret_file(). Changing a source's URLs to another host drops its "
                     "stored secret.");
    return *stored.client_secret;
}

std::optional<http::ClientCredentials> credentials(const SourceConfig &source) {
    if (!source.token_url) {
        if (source.kind == core::SourceKind::starlink)
            cannot_fetch(source, "a starlink source needs token_url, client_id and client_secret",
                         "usage_archive.add_source(name, 'starlink', base_url => ..., token_url => ..., client_id => ..., "
                         "client_secret => ...)");
        return std::nullopt; // a simple feed without OAuth
    }
    if (!source.client_id)
        cannot_fetch(source, "it has a token_url but no client_id", "Set client_id with usage_archive.add_source().");
    return http::ClientCredentials{*source.token_url, *source.client_id, client_secret(source)};
}

// How many pages to request before page 0 says how many there are: as many as the lines
// this run asks for fill, by what the archive knows of the source (its registered lines, or
// the lines named), at most max_concurrent_requests. A source's first run asks for page 0
// alone: requests past the last page cost the API's rate limit and are thrown away.
int speculative_pages(const SourceConfig &source, const UsageQuery &query) {
    std::int64_t lines = 0;
    if (query.service_lines && !query.service_lines->empty()) {
        lines = static_cast<std::int64_t>(query.service_lines->size());
    } else {
        spi_execute("SELECT pg_catalog.count(*) FROM usage_archive.service_lines WHERE source = $1",
                    {text_arg(source.name)});
        lines = spi_int64(0, 1);
        spi_free_result();
    }
    const std::int64_t limit = std::max(1, source.page_limit);
    return static_cast<int>(std::clamp<std::int64_t>((lines + limit - 1) / limit, 1, settings.max_concurrent_requests));
}

// The starlink query of a run; the run log records the body it sends.
http::StarlinkQuery starlink_query(const SourceConfig &source, const UsageQuery &query, RunCounters &counters) {
    http::StarlinkQuery q{*source.base_url, source.page_limit, query.previous_billing_cycles, query.service_lines,
                          std::nullopt, source.active_service_lines_only, speculative_pages(source, query)};
    if (query.since)
        q.query_start_date = core::format_date(*query.since);
    counters.api_request = http::starlink_request_record(q, 1000);
    return q;
}

void fetch_and_parse(const SourceConfig &source, const UsageQuery &query, RunFeed &feed, RunCounters &counters) {
    if (!source.base_url)
        cannot_fetch(source, "it has no base_url", "Set base_url with usage_archive.add_source().");
    std::optional<http::ClientCredentials> creds = credentials(source);

    BackendEnvironment env(source.name);
    http::CurlOptions options;
    options.connect_timeout_ms = settings.connect_timeout_ms;
    options.request_timeout_ms = settings.request_timeout_ms;
    options.max_response_bytes = static_cast<std::uint64_t>(settings.max_response_bytes);
    options.ca_file = settings.ca_file ? settings.ca_file : "";
    options.user_agent = std::string("usage_archive/") + kLibraryVersion;
    options.hosts = host_policy();
    http::CurlTransport transport(std::move(options), env);

    http::RunnerConfig config;
    config.max_parallel = settings.max_concurrent_requests;
    config.retry.max_retries = settings.max_retries;
    http::FetchStats stats;
    http::RequestRunner runner(transport, env, config, stats);
    std::unique_ptr<http::OAuthAuthorizer> auth;
    if (creds)
        auth = std::make_unique<http::OAuthAuthorizer>(token_cache(), *creds, runner, env);

    // A page's parse error can quote the page (the API's errorMessage, a token of invalid
    // JSON): it is scrubbed of every credential the run sent, like the runner's own errors,
    // and made printable (the parser quotes bytes of invalid UTF-8 as they are).
    const http::PageSink sink = [&feed, &runner](std::string_view body, const std::string &where) {
        check_for_interrupts();
        try {
            return feed.add(body);
        } catch (const core::PayloadError &e) {
            throw core::PayloadError(
                e.kind(),
                http::printable_text(runner.scrubber().scrub(std::string(e.what()) + " (in the response to " + where + ")"),
                                     kMaxPageErrorBytes),
                e.byte_offset(), e.json_path());
        }
    };
    const auto started = std::chrono::steady_clock::now();
    // However the fetch ends, the run log gets what it did. Chunks are written while pages
    // are in flight: the fetch's own time is its wall time less the writing.
    struct CopyStats {
        const http::FetchStats &stats;
        RunCounters &counters;
        const RunFeed &feed;
        std::chrono::steady_clock::time_point started;
        ~CopyStats() {
            counters.fetch_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count() -
                feed.write_ms();
            counters.http_requests = stats.requests;
            counters.http_retries = stats.retries;
            counters.bytes_received = stats.bytes_received;
            counters.payload_bytes = stats.bytes_received;
        }
    } copy_stats{stats, counters, feed, started};
    if (query.since && source.kind != core::SourceKind::starlink)
        throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                       "source \"" + source.name + "\" is of kind simple, whose API has no start date to ask for", {},
                       "Backfill by date is for starlink sources; archive_payload() takes any body you have.");
    try {
        if (source.kind == core::SourceKind::starlink)
            http::fetch_starlink_usage(runner, auth.get(), request_budget_for(source),
                                       starlink_query(source, query, counters),
                                       sink);
        else
            http::fetch_simple_usage(runner, auth.get(), request_budget_for(source), *source.base_url, sink);
    } catch (const http::HttpError &e) {
        if (e.kind() == http::HttpError::Kind::aborted) {
            check_for_interrupts(); // raises the cancel or timeout error PostgreSQL has pending
            throw SqlError(ERRCODE_QUERY_CANCELED, "canceling statement: the HTTP fetch was interrupted");
        }
        throw SqlError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, "source \"" + source.name + "\": " + e.what(),
                       "Nothing of this run was archived.");
    }
}

} // namespace

void check_usage_query(const UsageQuery &query) {
    if (query.previous_billing_cycles < 0 || query.previous_billing_cycles > kMaxPreviousCycles)
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                       "previous_billing_cycles must be between 0 and " + std::to_string(kMaxPreviousCycles));
    if (query.since) {
        const TimestampTz now = pg_call([]() noexcept { return GetCurrentTransactionStartTimestamp(); });
        if (*query.since > static_cast<std::int32_t>(now / USECS_PER_DAY) || *query.since < 0)
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                           "since must be a day between 2000-01-01 and today, not " + core::format_date(*query.since));
    }
}

PayloadProducer usage_fetch_producer(UsageQuery query) {
    check_usage_query(query);
    return [query](const SourceConfig &source, RunFeed &feed, RunCounters &counters) {
        fetch_and_parse(source, query, feed, counters);
    };
}

} // namespace usage_archive::pg
