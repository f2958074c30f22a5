// The libcurl transport against a hostile server on 127.0.0.1 (loopback_server.hpp): every
// answer ends as a clear failure within the configured limits, and a URL the policy refuses
// never opens a connection.
#include "loopback_server.hpp"

#include "http/curl_transport.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <thread>
#include <vector>

using namespace usage_archive;
using namespace usage_archive::http;
using test::LoopbackServer;
using test::send_all;

namespace {

class RealTime : public RunEnvironment {
  public:
    bool should_abort() override { return false; }
    void sleep_ms(std::int64_t ms) override { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
    std::int64_t now_ms() override {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    double random_unit() override { return 0.5; }
};

struct Outcome {
    HttpResponse response;
    double seconds = 0;
};

// One GET through a CurlTransport with these limits.
Outcome fetch(const std::string &url, long request_timeout_ms = 5000, std::uint64_t max_bytes = 1 << 20,
              long connect_timeout_ms = 2000) {
    RealTime env;
    CurlOptions options;
    options.request_timeout_ms = request_timeout_ms;
    options.connect_timeout_ms = connect_timeout_ms;
    options.max_response_bytes = max_bytes;
    options.hosts = HostPolicy({"127.0.0.1"});
    CurlTransport transport(options, env);
    Outcome out;
    const auto start = std::chrono::steady_clock::now();
    transport.perform({HttpRequest{"GET", url, {}, {}}}, 1, [&](std::size_t, HttpResponse &r) { out.response = r; });
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

// `size` bytes of spaces, gzip-compressed (about a thousandth of that on the wire).
std::string gzip_of_spaces(std::size_t size) {
    z_stream z{};
    deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
    const std::string in(1 << 20, ' ');
    std::string out;
    char buf[65536];
    for (std::size_t left = size; left > 0 || z.avail_in > 0;) {
        if (z.avail_in == 0) {
            const std::size_t n = std::min(left, in.size());
            z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
            z.avail_in = static_cast<uInt>(n);
            left -= n;
        }
        do {
            z.next_out = reinterpret_cast<Bytef *>(buf);
            z.avail_out = sizeof buf;
            deflate(&z, Z_NO_FLUSH);
            out.append(buf, sizeof buf - z.avail_out);
        } while (z.avail_out == 0);
    }
    int rc;
    do {
        z.next_out = reinterpret_cast<Bytef *>(buf);
        z.avail_out = sizeof buf;
        rc = deflate(&z, Z_FINISH);
        out.append(buf, sizeof buf - z.avail_out);
    } while (rc != Z_STREAM_END);
    deflateEnd(&z);
    return out;
}

} // namespace

TEST(CurlTransport, EndlessHeadersAreCutOffAtTheirBound) {
    LoopbackServer server([](int fd) {
        if (!send_all(fd, "HTTP/1.1 200 OK\r\n"))
            return;
        const std::string line = "X-Padding: " + std::string(1000, 'h') + "\r\n";
        for (int i = 0; i < 10000; ++i) // 10 MB, unless the client hangs up first
            if (!send_all(fd, line))
                return;
        send_all(fd, "Content-Length: 2\r\n\r\n{}");
    });
    const Outcome o = fetch(server.url("/"));
    EXPECT_EQ(o.response.failure, TransportFailure::too_large);
    EXPECT_EQ(o.response.failure_detail, "more than 262144 bytes of response headers");
    EXPECT_LE(o.response.headers.size(), 1u) << "nothing much kept";
}

TEST(CurlTransport, BrokenChunkedEncodingSaysWhatBroke) {
    LoopbackServer server([](int fd) {
        send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nzz-not-hex\r\n{}\r\n0\r\n\r\n");
    });
    const Outcome o = fetch(server.url("/"));
    EXPECT_EQ(o.response.failure, TransportFailure::other);
    EXPECT_EQ(o.response.failure_detail, "Illegal or missing hexadecimal sequence in chunked-encoding");
    EXPECT_TRUE(o.response.body.empty());
}

TEST(CurlTransport, AGzipBombIsBoundedByItsDecodedSize) {
    const std::string bomb = gzip_of_spaces(64u << 20); // 64 MB of spaces in ~64 kB
    LoopbackServer server([&](int fd) {
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + std::to_string(bomb.size()) +
                         "\r\n\r\n" + bomb);
    });
    const Outcome o = fetch(server.url("/"), 5000, 1 << 20);
    EXPECT_EQ(o.response.failure, TransportFailure::too_large);
    EXPECT_EQ(o.response.failure_detail, "more than 1048576 bytes (usage_archive.max_response_bytes)");
    EXPECT_GT(o.response.discarded_bytes, 0u);
    EXPECT_LE(o.response.discarded_bytes, 1u << 20);
}

TEST(CurlTransport, ABodyAnnouncedOverTheLimitIsNotWaitedFor) {
    LoopbackServer server([](int fd) {
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(3000)); // and then nothing
    });
    const Outcome o = fetch(server.url("/"), 10000, 1 << 20);
    EXPECT_EQ(o.response.failure, TransportFailure::too_large);
    EXPECT_LT(o.seconds, 2.0);
}

TEST(CurlTransport, ASlowlorisEndsAtTheRequestTimeout) {
    LoopbackServer server([](int fd) {
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        for (char c : answer) { // one byte every 100 ms: data keeps coming, never all of it
            if (!send_all(fd, std::string_view(&c, 1)))
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    const Outcome o = fetch(server.url("/"), 700);
    EXPECT_EQ(o.response.failure, TransportFailure::timeout);
    EXPECT_EQ(o.response.failure_detail, "no complete response within usage_archive.request_timeout_ms (700 ms)");
    EXPECT_GE(o.seconds, 0.6);
    EXPECT_LT(o.seconds, 2.0);
}

TEST(CurlTransport, ARefusedUrlNeverConnects) {
    LoopbackServer server([](int fd) { send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"); });
    const std::string port = server.url("").substr(std::string("http://127.0.0.1").size());
    for (const std::string &url : {"http://localhost" + port + "/", "http://127.0.0.2" + port + "/",
                                   std::string("file:///etc/passwd")}) {
        const Outcome o = fetch(url);
        EXPECT_EQ(o.response.failure, TransportFailure::refused_url) << url;
    }
    EXPECT_EQ(server.connections(), 0);
    EXPECT_TRUE(fetch(server.url("/")).response.ok()) << "the server itself works";
    EXPECT_EQ(server.connections(), 1);
}

// A listener whose accept queue is full drops new connection attempts: the connect timeout.
TEST(CurlTransport, TheConnectTimeoutIsToldFromTheRequestTimeout) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 0), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len), 0);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) { // never accepted
        fillers.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        ::connect(fillers.back(), reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const Outcome o = fetch("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", 5000, 1 << 20, 400);
    EXPECT_EQ(o.response.failure, TransportFailure::timeout);
    EXPECT_EQ(o.response.failure_detail, "could not connect within usage_archive.connect_timeout_ms (400 ms)");
    EXPECT_LT(o.seconds, 2.0);
    for (int fd : fillers)
        ::close(fd);
    ::close(listener);
}
