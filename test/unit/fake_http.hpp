// Test doubles for the HTTP layer: virtual time, and a transport that answers from a script.
#pragma once

#include "http/transport.hpp"

#include <deque>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace usage_archive::test {

class FakeEnvironment : public http::RunEnvironment {
  public:
    bool should_abort() override { return abort_after_ms >= 0 && now >= abort_after_ms; }
    void sleep_ms(std::int64_t ms) override {
        slept.push_back(ms);
        now += ms;
    }
    std::int64_t now_ms() override { return now; }
    double random_unit() override { return 0.5; }

    std::int64_t now = 0;
    std::int64_t abort_after_ms = -1;
    std::vector<std::int64_t> slept;
};

// Answers each request with handler(request); records what was sent and how.
class ScriptedTransport : public http::HttpTransport {
  public:
    using Handler = std::function<http::HttpResponse(const http::HttpRequest &)>;
    explicit ScriptedTransport(Handler handler) : handler_(std::move(handler)) {}

    void perform(const std::vector<http::HttpRequest> &requests, int max_parallel,
                 const http::ResponseHandler &on_response) override {
        // Like the libcurl transport, one call at a time: a handler must not fetch again.
        if (performing)
            throw std::logic_error("ScriptedTransport::perform re-entered");
        performing = true;
        struct Done {
            bool &flag;
            ~Done() { flag = false; }
        } done{performing};
        batches.push_back(requests.size());
        parallel.push_back(max_parallel);
        for (std::size_t i = 0; i < requests.size(); ++i) {
            sent.push_back(requests[i]);
            http::HttpResponse response = handler_(requests[i]);
            on_response(i, response);
        }
    }

    // The scripted answer to one request, outside any transfer.
    http::HttpResponse perform_one(const http::HttpRequest &request) { return handler_(request); }

    bool performing = false;
    std::vector<http::HttpRequest> sent;
    std::vector<std::size_t> batches;
    std::vector<int> parallel;

  private:
    Handler handler_;
};

inline http::HttpResponse respond(long status, std::string body = "{}", std::map<std::string, std::string> headers = {}) {
    http::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

inline std::string header_of(const http::HttpRequest &r, const std::string &name) {
    for (const auto &h : r.headers)
        if (h.first == name)
            return h.second;
    return {};
}

} // namespace usage_archive::test
