#include "curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <memory>

namespace usage_archive::http {
namespace {

// How often a waiting transfer checks for cancellation: the bound on cancel latency.
constexpr int kPollMs = 100;

// Everything one transfer's callbacks touch. The callbacks are called from libcurl's C code:
// they never throw (allocation failures become an aborted transfer) and never raise.
struct Transfer {
    const HttpRequest *request = nullptr;
    HttpResponse *response = nullptr;
    CURL *easy = nullptr;
    curl_slist *headers = nullptr;
    std::uint64_t max_bytes = 0;
    std::size_t header_bytes = 0;
    bool too_large = false;
    bool headers_too_large = false;
    bool out_of_memory = false;
    RunEnvironment *env = nullptr;
    // libcurl's own words for a failure ("SSL certificate problem: self-signed certificate",
    // "Illegal or missing hexadecimal sequence in chunked-encoding"): curl_easy_strerror()
    // only names the error code's class ("Failure when receiving data from the peer").
    char error[CURL_ERROR_SIZE] = {};
};

extern "C" size_t on_body(char *data, size_t size, size_t count, void *user) noexcept {
    auto *t = static_cast<Transfer *>(user);
    const size_t n = size * count;
    if (t->response->body.size() + n > t->max_bytes) {
        t->too_large = true;
        return 0; // makes libcurl stop with CURLE_WRITE_ERROR
    }
    try {
        t->response->body.append(data, n);
    } catch (...) {
        t->out_of_memory = true;
        return 0;
    }
    return n;
}

extern "C" size_t on_header(char *data, size_t size, size_t count, void *user) noexcept {
    auto *t = static_cast<Transfer *>(user);
    const size_t n = size * count;
    // Bounded before anything is kept: a server can send headers without end.
    t->header_bytes += n;
    if (t->header_bytes > kMaxResponseHeaderBytes) {
        t->headers_too_large = true;
        return 0; // makes libcurl stop with CURLE_WRITE_ERROR
    }
    try {
        std::string line(data, n);
        if (line.rfind("HTTP/", 0) == 0) {
            t->response->headers.clear(); // a new response (after 100 Continue): its own headers
            return n;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            return n;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string value = line.substr(colon + 1);
        const auto first = value.find_first_not_of(" \t");
        const auto last = value.find_last_not_of(" \t\r\n");
        t->response->headers[name] = first == std::string::npos ? "" : value.substr(first, last - first + 1);
    } catch (...) {
        t->out_of_memory = true;
        return 0;
    }
    return n;
}

extern "C" int on_progress(void *user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
    auto *t = static_cast<Transfer *>(user);
    return t->env->should_abort() ? 1 : 0; // non-zero: CURLE_ABORTED_BY_CALLBACK
}

void init_curl_once() {
    static const bool done = [] {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        return true;
    }();
    (void)done;
}

bool start(CURLM *multi, Transfer &t, const CurlOptions &o) {
    if (auto why = o.hosts.check(t.request->url)) {
        t.response->failure = TransportFailure::refused_url;
        t.response->failure_detail = *why;
        return false;
    }
    t.easy = curl_easy_init();
    if (!t.easy) {
        t.response->failure = TransportFailure::other;
        t.response->failure_detail = "could not create a libcurl handle";
        return false;
    }
    CURL *e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, t.request->url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); // redirects are checked and followed by the runner
    // Should anything ever turn following on, libcurl still goes nowhere but http(s).
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);       // no SIGALRM inside a PostgreSQL backend
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o.request_timeout_ms);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!o.ca_file.empty())
        curl_easy_setopt(e, CURLOPT_CAINFO, o.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); // gzip etc.; the size limit applies to the decoded body
    // A body announced (Content-Length) over the limit fails before it is read; one that does
    // not say, or is compressed, is cut off by on_body.
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                     static_cast<curl_off_t>(std::min<std::uint64_t>(t.max_bytes, std::numeric_limits<curl_off_t>::max())));
    curl_easy_setopt(e, CURLOPT_USERAGENT, o.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    if (t.request->method == "POST") {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request->body.c_str());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.request->body.size()));
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    t.headers = curl_slist_append(t.headers, "Expect:"); // no 100-continue round trip for small bodies
    for (const auto &h : t.request->headers)
        t.headers = curl_slist_append(t.headers, (h.first + ": " + h.second).c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
    curl_multi_add_handle(multi, e);
    return true;
}

// Which limit a CURLE_OPERATION_TIMEDOUT hit. libcurl reports both the same way; what tells
// them apart is whether the connect phase (TCP, and the TLS handshake for https) finished:
// libcurl records the pre-transfer time only once it has. (A request timeout shorter than the
// connect timeout also ends a connect: that is the request timeout's doing.)
std::string timeout_detail(CURL *easy, const CurlOptions &o) {
    curl_off_t pretransfer_us = 0;
    curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    if (pretransfer_us == 0 && o.connect_timeout_ms < o.request_timeout_ms)
        return "could not connect within usage_archive.connect_timeout_ms (" + std::to_string(o.connect_timeout_ms) +
               " ms)";
    return "no complete response within usage_archive.request_timeout_ms (" + std::to_string(o.request_timeout_ms) +
           " ms)";
}

// libcurl's specific message when it left one, else the error code's.
std::string curl_detail(const Transfer &t, CURLcode code) {
    std::string detail = t.error[0] ? std::string(t.error) : std::string(curl_easy_strerror(code));
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r'))
        detail.pop_back();
    return detail;
}

void finish(CURLM *multi, Transfer &t, CURLcode code, const CurlOptions &o) {
    HttpResponse &r = *t.response;
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    r.status = status;
    if (t.headers_too_large) {
        r.failure = TransportFailure::too_large;
        r.failure_detail = "more than " + std::to_string(kMaxResponseHeaderBytes) + " bytes of response headers";
    } else if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
        r.failure = TransportFailure::too_large;
        r.failure_detail = "more than " + std::to_string(t.max_bytes) + " bytes (usage_archive.max_response_bytes)";
    } else if (t.out_of_memory) {
        r.failure = TransportFailure::other;
        r.failure_detail = "out of memory while receiving";
    } else if (code == CURLE_ABORTED_BY_CALLBACK) {
        r.failure = TransportFailure::aborted;
        r.failure_detail = "cancelled";
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        r.failure = TransportFailure::timeout;
        r.failure_detail = timeout_detail(t.easy, o);
    } else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST) {
        r.failure = TransportFailure::connect;
        r.failure_detail = curl_detail(t, code);
    } else if (code != CURLE_OK) {
        r.failure = TransportFailure::other;
        r.failure_detail = curl_detail(t, code);
    }
    if (r.failure != TransportFailure::none) {
        r.discarded_bytes = r.body.size();
        r.body.clear();
        r.body.shrink_to_fit(); // up to max_response_bytes, held until the run ends otherwise
    }
    curl_multi_remove_handle(multi, t.easy);
    curl_easy_cleanup(t.easy);
    curl_slist_free_all(t.headers);
    t.easy = nullptr;
    t.headers = nullptr;
}

} // namespace

CurlTransport::CurlTransport(CurlOptions options, RunEnvironment &env) : options_(std::move(options)), env_(env) {
    init_curl_once();
    multi_ = curl_multi_init();
}

CurlTransport::~CurlTransport() {
    if (multi_)
        curl_multi_cleanup(static_cast<CURLM *>(multi_));
}

void CurlTransport::perform(const std::vector<HttpRequest> &requests, int max_parallel,
                            const ResponseHandler &on_response) {
    // One multi loop at a time: a handler that fetched through this transport again would
    // read the outer loop's completions.
    if (performing_)
        throw HttpError(HttpError::Kind::transport, "internal error: the HTTP transport was re-entered");
    struct Performing {
        bool &flag;
        explicit Performing(bool &f) : flag(f) { flag = true; }
        ~Performing() { flag = false; }
    } performing(performing_);
    CURLM *multi = static_cast<CURLM *>(multi_);
    std::vector<HttpResponse> responses(requests.size());
    std::vector<Transfer> transfers(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        transfers[i].request = &requests[i];
        transfers[i].response = &responses[i];
        transfers[i].max_bytes = options_.max_response_bytes;
        transfers[i].env = &env_;
    }
    // Whatever ends this call (a handler's exception included), no transfer stays behind.
    struct Cleanup {
        CURLM *multi;
        std::vector<Transfer> &transfers;
        ~Cleanup() {
            for (Transfer &t : transfers)
                if (t.easy) {
                    curl_multi_remove_handle(multi, t.easy);
                    curl_easy_cleanup(t.easy);
                    curl_slist_free_all(t.headers);
                    t.easy = nullptr;
                }
        }
    } cleanup{multi, transfers};
    auto deliver = [&](Transfer &t) { on_response(static_cast<std::size_t>(&t - transfers.data()), *t.response); };
    if (!multi) {
        for (Transfer &t : transfers) {
            t.response->failure = TransportFailure::other;
            t.response->failure_detail = "could not create a libcurl multi handle";
            deliver(t);
        }
        return;
    }
    const std::size_t parallel = static_cast<std::size_t>(std::max(1, max_parallel));
    std::size_t next = 0, active = 0;
    auto start_more = [&] {
        // Transfers are started only when a slot is free, so a queued one's timeout does not
        // run while it waits for its turn. A refused URL never starts: its answer is immediate.
        while (active < parallel && next < transfers.size()) {
            Transfer &t = transfers[next++];
            if (start(multi, t, options_))
                ++active;
            else
                deliver(t);
        }
    };
    start_more();
    while (active > 0) {
        if (env_.should_abort()) {
            for (std::size_t i = 0; i < transfers.size(); ++i) {
                Transfer &t = transfers[i];
                if (t.easy)
                    finish(multi, t, CURLE_ABORTED_BY_CALLBACK, options_);
                else if (i >= next)
                    t.response->failure = TransportFailure::aborted, t.response->failure_detail = "cancelled";
                else
                    continue; // already delivered
                deliver(t);
            }
            return;
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        int queued = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            Transfer *t = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char **>(&t));
            finish(multi, *t, msg->data.result, options_);
            --active;
            start_more(); // keep the slots full before spending time on this response
            deliver(*t);
        }
        start_more();
        if (active > 0) {
            env_.waiting_for(RunEnvironment::Wait::response);
            curl_multi_poll(multi, nullptr, 0, kPollMs, nullptr);
            env_.waiting_ends();
        }
    }
}

} // namespace usage_archive::http
