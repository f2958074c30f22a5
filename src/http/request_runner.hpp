// Turns requests into successful responses or one clear HttpError: retries 429/5xx with
// backoff, re-authenticates once on 401, follows same-host redirects (at most 3), keeps to
// the source's rate limit, and counts what it did.
#pragma once

#include "request_budget.hpp"
#include "retry_policy.hpp"
#include "secret_scrubber.hpp"
#include "transport.hpp"
#include "url_policy.hpp"

#include <functional>
#include <string>
#include <vector>

namespace usage_archive::http {

// Supplies the Authorization header value of API requests.
class Authorizer {
  public:
    virtual ~Authorizer() = default;
    // refresh: the last value was refused (401); get a new one.
    virtual std::string authorization(bool refresh) = 0;
};

struct RunnerConfig {
    int max_parallel = 4; // usage_archive.max_concurrent_requests
    RetryPolicy retry;
    int max_redirects = 3;
};

class RequestRunner {
  public:
    RequestRunner(HttpTransport &transport, RunEnvironment &env, RunnerConfig config, FetchStats &stats)
        : transport_(transport), env_(env), config_(config), stats_(stats) {}

    // Called with each successful (2xx) response as soon as it arrives; its index is the
    // request's position in run()'s list.
    using SuccessHandler = std::function<void(std::size_t index, HttpResponse &response)>;

    // Performs the requests concurrently and returns their 2xx responses in order, or throws
    // HttpError for the first one that cannot succeed. With `auth`, every request carries its
    // Authorization header. With `budget`, requests start only as it grants them. With
    // `on_success`, successful responses go to it as they arrive instead of being returned.
    // Whether a request's answer is wanted: a page requested on speculation may turn out to lie
    // past the last page, which only the pages before it can tell. A request no longer needed
    // is neither retried nor failed on; one not known yet that cannot succeed has its error
    // held until it is known (dropped if it is not needed, raised if it is: the lowest such
    // request's error once nothing before it is pending).
    enum class Need { yes, no, not_known_yet };
    using NeededCheck = std::function<Need(std::size_t index)>;

    std::vector<HttpResponse> run(std::vector<HttpRequest> requests, Authorizer *auth, RequestBudget *budget,
                                  const SuccessHandler &on_success = {}, const NeededCheck &still_needed = {});

    // Knows every credential this runner has sent (request secrets, Authorization values):
    // its HttpErrors are scrubbed already; other messages that quote a response (a page's
    // parse error) go through it too.
    const SecretScrubber &scrubber() const { return scrubber_; }

  private:
    std::vector<HttpResponse> run_unscrubbed(std::vector<HttpRequest> requests, Authorizer *auth, RequestBudget *budget,
                                             const SuccessHandler &on_success, const NeededCheck &still_needed);
    void wait(std::int64_t ms, RunEnvironment::Wait why);
    SecretScrubber scrubber_;
    HttpTransport &transport_;
    RunEnvironment &env_;
    RunnerConfig config_;
    FetchStats &stats_;
};

// "POST https://host/path?query" for messages (credentials removed).
std::string describe_request(const HttpRequest &request);

} // namespace usage_archive::http
