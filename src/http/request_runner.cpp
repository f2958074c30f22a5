#include "request_runner.hpp"

#include "api_error_text.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>

namespace usage_archive::http {
namespace {

// Bounds an error message whatever a server puts into it (a long redirect URL): the same
// message goes to the client, the server log and archive_runs.error.
constexpr std::size_t kMaxMessageBytes = 2000;

// What a response may say about itself in a message: the API's messages, or for a token
// endpoint only the OAuth2 error fields.
std::string quoted_error(const HttpRequest &request, const HttpResponse &response) {
    return request.error_quoting == ErrorQuoting::oauth_fields ? oauth_error_text(response.body)
                                                               : api_error_text(response.body);
}

void set_header(HttpRequest &request, const std::string &name, const std::string &value) {
    for (auto &h : request.headers)
        if (h.first == name) {
            h.second = value;
            return;
        }
    request.headers.emplace_back(name, value);
}

bool is_redirect(long status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

[[noreturn]] void fail_transport(const HttpRequest &request, const HttpResponse &response) {
    const std::string where = describe_request(request);
    switch (response.failure) {
    case TransportFailure::aborted:
        throw HttpError(HttpError::Kind::aborted, "request cancelled: " + where);
    case TransportFailure::refused_url:
        throw HttpError(HttpError::Kind::refused, "request refused before connecting: " + where + ": " + response.failure_detail);
    case TransportFailure::timeout:
        throw HttpError(HttpError::Kind::transport, "timeout: " + where + ": " + response.failure_detail);
    case TransportFailure::too_large:
        throw HttpError(HttpError::Kind::transport, "response too large: " + where + ": " + response.failure_detail);
    default:
        throw HttpError(HttpError::Kind::transport, "request failed: " + where + ": " + response.failure_detail);
    }
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

std::string describe_request(const HttpRequest &request) { return request.method + " " + redact_url(request.url); }

void RequestRunner::wait(std::int64_t ms, RunEnvironment::Wait why) {
    struct Waiting {
        RunEnvironment &env;
        ~Waiting() { env.waiting_ends(); }
    } waiting{env_};
    env_.waiting_for(why);
    const std::int64_t until = env_.now_ms() + ms;
    for (std::int64_t left = ms; left > 0; left = until - env_.now_ms()) {
        if (env_.should_abort())
            throw HttpError(HttpError::Kind::aborted, "request cancelled while waiting to retry");
        env_.sleep_ms(left);
    }
}

std::vector<HttpResponse> RequestRunner::run(std::vector<HttpRequest> requests, Authorizer *auth, RequestBudget *budget,
                                             const SuccessHandler &on_success, const NeededCheck &still_needed) {
    for (const HttpRequest &r : requests)
        for (const std::string &secret : r.secrets)
            scrubber_.add(secret);
    try {
        return run_unscrubbed(std::move(requests), auth, budget, on_success, still_needed);
    } catch (const HttpError &e) {
        // Scrubbed first (a secret is matched byte for byte), then made printable: a message
        // quotes what the server sent (its text, a Location's host, libcurl's words).
        throw HttpError(e.kind(), printable_text(scrubber_.scrub(e.what()), kMaxMessageBytes), e.status());
    }
}

std::vector<HttpResponse> RequestRunner::run_unscrubbed(std::vector<HttpRequest> requests, Authorizer *auth,
                                                        RequestBudget *budget, const SuccessHandler &on_success,
                                                        const NeededCheck &still_needed) {
    const std::size_t n = requests.size();
    std::vector<HttpResponse> results(n);
    std::vector<int> retries(n, 0), redirects(n, 0);
    std::vector<bool> reauthorized(n, false);
    auto authorize = [&](const std::vector<std::size_t> &which, bool refresh) {
        const std::string value = auth->authorization(refresh);
        scrubber_.add(value);
        if (const auto space = value.find(' '); space != std::string::npos)
            scrubber_.add(value.substr(space + 1)); // the token without its scheme
        for (std::size_t i : which)
            set_header(requests[i], "Authorization", value);
    };
    std::vector<std::size_t> pending(n);
    for (std::size_t i = 0; i < n; ++i)
        pending[i] = i;
    if (auth)
        authorize(pending, false);


    // Errors of requests whose need is not known yet, by request index (see NeededCheck).
    std::map<std::size_t, std::exception_ptr> held;
    auto need = [&](std::size_t i) { return still_needed ? still_needed(i) : Need::yes; };
    // Drops the held errors of requests not needed, raises the first of those needed.
    auto settle_held = [&](bool finished) {
        for (auto it = held.begin(); it != held.end();) {
            const Need n = need(it->first);
            if (n == Need::no) {
                it = held.erase(it);
            } else if (n == Need::yes || finished) {
                std::rethrow_exception(it->second);
            } else {
                ++it;
            }
        }
    };
    while (true) {
        pending.erase(std::remove_if(pending.begin(), pending.end(), [&](std::size_t i) { return need(i) == Need::no; }),
                      pending.end());
        settle_held(pending.empty());
        if (pending.empty())
            break;
        if (env_.should_abort())
            throw HttpError(HttpError::Kind::aborted, "request cancelled");
        std::size_t take = pending.size();
        if (budget) {
            std::int64_t retry_ms = 0;
            int granted;
            while ((granted = budget->take(static_cast<int>(std::min<std::size_t>(take, 1 << 20)), env_.now_ms(),
                                           &retry_ms)) == 0)
                wait(retry_ms, RunEnvironment::Wait::rate_limit);
            take = static_cast<std::size_t>(granted);
        }
        std::vector<std::size_t> batch(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(take));
        std::vector<std::size_t> later(pending.begin() + static_cast<std::ptrdiff_t>(take), pending.end());
        std::vector<HttpRequest> sending;
        for (std::size_t i : batch)
            sending.push_back(requests[i]);
        stats_.requests += sending.size();

        std::int64_t backoff = 0;
        bool refresh_token = false;
        // One response: delivered, queued for another try, or an HttpError.
        auto handle = [&](std::size_t i, HttpResponse &response) {
            if (response.failure != TransportFailure::none)
                fail_transport(requests[i], response);
            if (response.ok())
                return true;
            const long status = response.status;
            if (is_redirect(status) && response.header("location")) {
                if (++redirects[i] > config_.max_redirects)
                    throw HttpError(HttpError::Kind::status,
                                    "too many redirects (more than " + std::to_string(config_.max_redirects) + "): " +
                                        describe_request(requests[i]),
                                    status);
                auto target = resolve_redirect(requests[i].url, *response.header("location"));
                if (!target)
                    throw HttpError(HttpError::Kind::refused, "redirect to an unusable Location refused: " + describe_request(requests[i]), status);
                if (auto why = check_redirect(requests[i].url, *target))
                    throw HttpError(HttpError::Kind::refused, *why + ": " + describe_request(requests[i]), status);
                requests[i].url = *target;
                if (status == 301 || status == 302 || status == 303) {
                    requests[i].method = "GET"; // what browsers and libcurl do; 307/308 keep the method
                    requests[i].body.clear();
                }
                later.push_back(i);
                return false;
            }
            if (status == 401 && auth && !reauthorized[i]) {
                // An expired or revoked token: one new token (fetched once the transfers of this
                // round are done: the transport is busy), one more try (per request).
                refresh_token = true;
                reauthorized[i] = true;
                ++stats_.retries;
                later.push_back(i);
                return false;
            }
            if (is_retryable_status(status) && retries[i] < config_.retry.max_retries) {
                ++retries[i];
                ++stats_.retries;
                std::optional<std::int64_t> retry_after;
                if (const std::string *h = response.header("retry-after"))
                    retry_after = parse_retry_after_ms(*h, unix_now_ms());
                backoff = std::max(backoff, retry_delay_ms(config_.retry, retries[i], env_.random_unit(), retry_after));
                later.push_back(i);
                return false;
            }
            std::string message = "HTTP " + std::to_string(status) + " from " + describe_request(requests[i]);
            if (retries[i] > 0)
                message += " after " + std::to_string(retries[i]) + " retries";
            throw HttpError(HttpError::Kind::status, message + ": " + quoted_error(requests[i], response), status);
        };
        transport_.perform(sending, config_.max_parallel, [&](std::size_t k, HttpResponse &response) {
            const std::size_t i = batch[k];
            stats_.bytes_received += response.body.size() + response.discarded_bytes;
            if (need(i) == Need::no)
                return; // answered, or failed, after it stopped mattering
            bool ok = false;
            try {
                ok = handle(i, response);
            } catch (const HttpError &) {
                if (need(i) == Need::yes)
                    throw;
                held.emplace(i, std::current_exception());
                return;
            }
            if (!ok)
                return;
            if (on_success)
                on_success(i, response);
            else
                results[i] = std::move(response);
        });
        if (refresh_token)
            authorize(later, true);
        if (backoff > 0)
            wait(backoff, RunEnvironment::Wait::retry_delay);
        std::sort(later.begin(), later.end());
        pending.swap(later);
    }
    return results;
}

} // namespace usage_archive::http
