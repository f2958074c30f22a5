// parse_bench: MB/s of the payload parsers over one payload file, the median of several runs
// of the whole parse (PayloadParser::add and finish: JSON, validation, records).
//
//   build/cmake/parse_bench [--runs N] [--mode all|reference|fast|padded[,...]] [--kind starlink|simple] FILE
//
//   reference  the nlohmann/json SAX parser alone (parse_starlink_body / parse_simple_body)
//   fast       PayloadParser::add as the extension calls it (starlink: simdjson, with its
//              padded copy of the body; falls back to the reference when it must)
//   padded     the same with the body in a buffer padded for simdjson (no copy)
//
// The modes take turns, run by run, so that a machine shared with other work slows them
// alike; wall time and this thread's CPU time are both reported, and the process's peak RSS.
// Not run by ctest. `python3 test/mock_api/starlink_data.py payload --lines 5000 --days 200
// --out /tmp/p.json` writes the 1,000,000-record benchmark payload (122 MB).
#include "core/fast_starlink_parser.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace usage_archive::core;

namespace {

struct Result {
    double seconds;
    double cpu_seconds; // this thread's CPU time: less disturbed by other processes on a shared machine
    std::size_t records;
    std::uint64_t rejected;
};

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Result run_once(const std::string &mode, SourceKind kind, std::string_view body) {
    const ValidationLimits limits;
    const double cpu_start = thread_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    ParsedPayload parsed;
    if (mode == "reference") {
        PayloadBuilder builder;
        builder.expect_bytes(body.size());
        if (kind == SourceKind::starlink)
            parse_starlink_body(body, limits, builder);
        else
            parse_simple_body(body, limits, builder);
        parsed = builder.take();
    } else {
        PayloadParser parser(kind, limits);
        parser.add(body, mode == "padded" ? kPayloadPadding : 0);
        parsed = parser.finish();
    }
    const auto end = std::chrono::steady_clock::now();
    return {std::chrono::duration<double>(end - start).count(), thread_cpu_seconds() - cpu_start, parsed.records.size(),
            parsed.rejected};
}

long peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

int usage() {
    std::fprintf(stderr, "usage: parse_bench [--runs N] [--mode all|reference|fast|padded] [--kind starlink|simple] FILE\n");
    return 2;
}

} // namespace

int main(int argc, char **argv) {
    int runs = 5;
    std::string mode = "all", file;
    SourceKind kind = SourceKind::starlink;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--runs" && i + 1 < argc)
            runs = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--mode" && i + 1 < argc)
            mode = argv[++i];
        else if (arg == "--kind" && i + 1 < argc) {
            auto k = parse_source_kind(argv[++i]);
            if (!k)
                return usage();
            kind = *k;
        } else if (!arg.empty() && arg[0] != '-' && file.empty())
            file = arg;
        else
            return usage();
    }
    if (file.empty())
        return usage();
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "parse_bench: cannot read %s\n", file.c_str());
        return 1;
    }
    // The body with room after it, so that "padded" can promise kPayloadPadding readable bytes.
    std::string storage((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t size = storage.size();
    storage.append(kPayloadPadding, '\0');
    const std::string_view body(storage.data(), size);

    std::vector<std::string> modes;
    for (std::size_t start = 0; start <= mode.size();) {
        const std::size_t comma = std::min(mode.find(',', start), mode.size());
        const std::string m = mode.substr(start, comma - start);
        if (m == "all")
            modes.insert(modes.end(), {"reference", "fast", "padded"});
        else if (m == "reference" || m == "fast" || m == "padded")
            modes.push_back(m);
        else
            return usage();
        start = comma + 1;
    }

    std::printf("%s: %.1f MB, %s kind, median of %d runs (the modes take turns)\n", file.c_str(), size / 1e6,
                source_kind_name(kind), runs);
    const long rss_before = peak_rss_mb();
    std::vector<std::vector<Result>> results(modes.size());
    try {
        for (int r = 0; r < runs; ++r)
            for (std::size_t m = 0; m < modes.size(); ++m)
                results[m].push_back(run_once(modes[m], kind, body));
    } catch (const PayloadError &e) {
        std::printf("payload error: %s\n", e.what());
        return 1;
    }
    for (std::size_t m = 0; m < modes.size(); ++m) {
        std::vector<double> seconds, cpu_seconds;
        for (const Result &result : results[m]) {
            seconds.push_back(result.seconds);
            cpu_seconds.push_back(result.cpu_seconds);
        }
        std::sort(seconds.begin(), seconds.end());
        std::sort(cpu_seconds.begin(), cpu_seconds.end());
        const double median = seconds[seconds.size() / 2], cpu_median = cpu_seconds[cpu_seconds.size() / 2];
        std::printf("%-9s  %5.0f MB/s (%6.1f ms, best %6.1f ms)   CPU time %5.0f MB/s (%6.1f ms)   %zu records, %llu rejected\n",
                    modes[m].c_str(), size / median / 1e6, median * 1e3, seconds.front() * 1e3, size / cpu_median / 1e6,
                    cpu_median * 1e3, results[m].back().records,
                    static_cast<unsigned long long>(results[m].back().rejected));
    }
    std::printf("peak RSS %ld MB, %ld MB of it before parsing (one --mode at a time for its own peak)\n", peak_rss_mb(),
                rss_before);
    return 0;
}
