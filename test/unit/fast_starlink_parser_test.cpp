// The starlink fast parser (simdjson) against the reference (nlohmann/json SAX): over every
// payload of the hostile corpus (test/corpus), over generated payloads -- valid and invalid,
// with missing members, wrong types, nulls, big numbers, duplicate members and days, unknown
// members, escapes, invalid UTF-8, truncations at every byte -- and over runs of several
// pages, both must give the same records, ordinals, counters, rejection reasons, billing
// cycles, service lines and page facts, or the same error: kind, message, JSON path, byte
// offset. Where the fast parser gives a body back, the builder must be as it was.
#include "core/fast_starlink_parser.hpp"
#include "core/payload_builder.hpp"
#include "core/payload_error.hpp"
#include "core/payload_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace usage_archive::core;

namespace {

struct Outcome {
    std::vector<PageInfo> pages;
    std::optional<ParsedPayload> parsed; // unless an error
    std::optional<PayloadError> error;
};

template <typename AddPage> Outcome outcome_of(const std::vector<std::string> &bodies, PayloadBuilder &builder,
                                               AddPage &&add_page) {
    Outcome out;
    try {
        for (const std::string &body : bodies) {
            builder.expect_bytes(body.size());
            out.pages.push_back(add_page(body));
        }
        out.parsed = builder.take();
    } catch (const PayloadError &e) {
        out.error = e;
    }
    return out;
}

Outcome reference(const std::vector<std::string> &bodies, const ValidationLimits &limits = {}) {
    PayloadBuilder builder;
    return outcome_of(bodies, builder, [&](const std::string &body) { return parse_starlink_body(body, limits, builder); });
}

void expect_same_payload(const ParsedPayload &want, const ParsedPayload &got);

// The fast parser as PayloadParser uses it, with the builder checked after every give-back.
// `fallbacks` collects why bodies were given back.
Outcome fast(const std::vector<std::string> &bodies, std::vector<std::string> *fallbacks = nullptr,
             const ValidationLimits &limits = {}) {
    PayloadBuilder builder;
    FastStarlinkParser parser;
    return outcome_of(bodies, builder, [&](const std::string &body) {
        PageInfo page;
        const PayloadBuilder before = builder;
        if (parser.parse(body, limits, builder, page))
            return page;
        if (fallbacks)
            fallbacks->push_back(parser.last_fallback_reason());
        PayloadBuilder was = before, is = builder;
        expect_same_payload(was.take(), is.take());
        return parse_starlink_body(body, limits, builder);
    });
}

// What the extension runs: PayloadParser.
Outcome production(const std::vector<std::string> &bodies, const ValidationLimits &limits = {}) {
    Outcome out;
    PayloadParser parser(SourceKind::starlink, limits);
    try {
        for (const std::string &body : bodies)
            out.pages.push_back(parser.add(body));
        out.parsed = parser.finish();
    } catch (const PayloadError &e) {
        out.error = e;
    }
    return out;
}

bool same_bits(const std::optional<double> &a, const std::optional<double> &b) {
    return a.has_value() == b.has_value() && (!a || std::memcmp(&*a, &*b, sizeof(double)) == 0);
}

void expect_same_payload(const ParsedPayload &want, const ParsedPayload &got) {
    ASSERT_EQ(want.lines.size(), got.lines.size());
    for (std::size_t i = 0; i < want.lines.size(); ++i) {
        const ServiceLineInfo &w = want.lines[i], &g = got.lines[i];
        EXPECT_EQ(w.number, g.number) << "line " << i;
        EXPECT_EQ(w.account_number, g.account_number) << "line " << i;
        EXPECT_TRUE(same_bits(w.usage_limit_gb, g.usage_limit_gb)) << "line " << i;
        EXPECT_EQ(w.last_updated_day, g.last_updated_day) << "line " << i;
        EXPECT_EQ(w.product_id, g.product_id) << "line " << i;
        EXPECT_EQ(w.opted_into_overage, g.opted_into_overage) << "line " << i;
    }
    ASSERT_EQ(want.records.size(), got.records.size());
    for (std::size_t i = 0; i < want.records.size(); ++i) {
        const UsageRecord &w = want.records[i], &g = got.records[i];
        EXPECT_TRUE(w.line == g.line && w.day == g.day && w.ordinal == g.ordinal && w.has_breakdown == g.has_breakdown &&
                    w.consumed == g.consumed && w.priority == g.priority && w.opt_in_priority == g.opt_in_priority &&
                    w.standard == g.standard && w.non_billable == g.non_billable)
            << "record " << i << ": day " << w.day << "/" << g.day << ", priority " << w.priority << "/" << g.priority
            << ", standard " << w.standard << "/" << g.standard;
    }
    ASSERT_EQ(want.cycles.size(), got.cycles.size());
    for (std::size_t i = 0; i < want.cycles.size(); ++i) {
        const BillingCycle &w = want.cycles[i], &g = got.cycles[i];
        EXPECT_TRUE(w.line == g.line && w.start == g.start && w.end == g.end && w.ordinal == g.ordinal &&
                    w.total_priority == g.total_priority && w.total_standard == g.total_standard &&
                    w.total_opt_in_priority == g.total_opt_in_priority &&
                    w.total_non_billable == g.total_non_billable && w.reported_days == g.reported_days)
            << "cycle " << i;
    }
    EXPECT_EQ(want.rejected, got.rejected);
    EXPECT_EQ(want.rejection_reasons, got.rejection_reasons);
}

void expect_same_outcome(const Outcome &want, const Outcome &got) {
    ASSERT_EQ(want.error.has_value(), got.error.has_value())
        << (want.error ? want.error->what() : got.error ? got.error->what() : "");
    if (want.error) {
        EXPECT_EQ(want.error->kind(), got.error->kind());
        EXPECT_STREQ(want.error->what(), got.error->what());
        EXPECT_EQ(want.error->byte_offset(), got.error->byte_offset());
        EXPECT_EQ(want.error->json_path(), got.error->json_path());
        return;
    }
    ASSERT_EQ(want.pages.size(), got.pages.size());
    for (std::size_t i = 0; i < want.pages.size(); ++i) {
        EXPECT_EQ(want.pages[i].page_index, got.pages[i].page_index) << "page " << i;
        EXPECT_EQ(want.pages[i].limit, got.pages[i].limit) << "page " << i;
        EXPECT_EQ(want.pages[i].is_last_page, got.pages[i].is_last_page) << "page " << i;
        EXPECT_EQ(want.pages[i].total_count, got.pages[i].total_count) << "page " << i;
    }
    expect_same_payload(*want.parsed, *got.parsed);
}

std::string printable(const std::string &body) {
    std::string out;
    for (char c : body.substr(0, 600)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return body.size() > 600 ? out + "..." : out;
}

// Both parsers and PayloadParser over the bodies (one run's pages); the reasons the fast
// parser gave bodies back are added to `fallbacks`.
void check(const std::vector<std::string> &bodies, std::vector<std::string> *fallbacks = nullptr,
           const ValidationLimits &limits = {}) {
    const Outcome want = reference(bodies, limits);
    {
        SCOPED_TRACE("fast parser");
        expect_same_outcome(want, fast(bodies, fallbacks, limits));
    }
    {
        SCOPED_TRACE("PayloadParser");
        expect_same_outcome(want, production(bodies, limits));
    }
}

bool check_one(const std::string &body, std::vector<std::string> *fallbacks = nullptr, const ValidationLimits &limits = {}) {
    SCOPED_TRACE(printable(body));
    check({body}, fallbacks, limits);
    return !::testing::Test::HasFailure();
}

std::string read_file(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A random starlink payload. `wild` adds what the fast parser leaves to the reference
// (escaped member names, shape errors, isValid false, numbers no double holds, ...); without
// it the payload is one the fast parser must take itself, however odd its values.
class PayloadGenerator {
  public:
    PayloadGenerator(std::uint64_t seed, bool wild) : rng_(seed), wild_(wild) {}

    std::string payload() {
        escape_names_ = wild_ && chance(10);
        Members envelope;
        if (chance(90))
            envelope.push_back({"isValid", wild_ && chance(5) ? one_of({"false", "\"true\"", "null"}) : "true"});
        envelope.push_back({"errors", wild_ && chance(3) ? one_of({"{}", "\"x\"", "1"})
                                                         : chance(80) ? "[]" : array(error_items())});
        if (chance(60))
            envelope.push_back({"warnings", array(error_items())});
        if (!wild_ || chance(97))
            envelope.push_back({"content", content()});
        else
            envelope.push_back({"content", one_of({"null", "[]", "\"c\""})});
        if (chance(5))
            envelope.push_back({"content", content()}); // a second content: both are read
        std::string text = ws() + object(envelope) + ws();
        if (wild_ && chance(2))
            text = "\xEF\xBB\xBF" + text;
        if (wild_ && chance(2))
            text += one_of({"x", "{}", "]", ","});
        return text;
    }

    // Random bytes changed, inserted or removed, or the text cut.
    std::string mutate(std::string text) {
        static const char kChoices[] = "{}[]:,\"\\ \t\n0123456789.eE+-truefalsnu\x01\x1f\x7f\xc3\xa9\xff\xed\xa0\x80\0";
        static const std::string kBytes(kChoices, sizeof kChoices - 1); // the NUL included
        for (unsigned n = 1 + pick(3); n > 0; --n) {
            const std::size_t at = text.empty() ? 0 : pick(static_cast<unsigned>(text.size()));
            const char byte = kBytes[pick(static_cast<unsigned>(kBytes.size()))];
            switch (pick(4)) {
            case 0:
                if (!text.empty())
                    text[at] = byte;
                break;
            case 1:
                text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), byte);
                break;
            case 2:
                if (!text.empty())
                    text.erase(at, 1);
                break;
            default:
                text.resize(at);
            }
        }
        return text;
    }

    unsigned pick(unsigned n) { return static_cast<unsigned>(rng_() % n); }
    bool chance(unsigned percent) { return pick(100) < percent; }

  private:
    using Members = std::vector<std::pair<std::string, std::string>>;

    std::string one_of(std::initializer_list<const char *> choices) {
        return *(choices.begin() + pick(static_cast<unsigned>(choices.size())));
    }

    std::string ws() {
        switch (pick(10)) {
        case 0:
            return " ";
        case 1:
            return "\n  ";
        case 2:
            return "\t\r\n";
        default:
            return "";
        }
    }

    // A member name as written: escaped spellings only when wild.
    std::string name(const std::string &n) {
        if (escape_names_ && chance(10) && !n.empty()) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(n[0]));
            return "\"" + std::string(buf) + n.substr(1) + "\"";
        }
        return "\"" + n + "\"";
    }

    // Members in order, shuffled now and then, with unknown members and duplicates.
    std::string object(Members members) {
        if (chance(20))
            std::shuffle(members.begin(), members.end(), rng_);
        if (chance(15))
            members.insert(members.begin() + pick(static_cast<unsigned>(members.size() + 1)),
                           std::make_pair(escape_names_ ? one_of({"extra", "x\\u00e9", "\\n", ""}) : one_of({"extra", "newVendorField", ""}),
                                          junk(2)));
        if (chance(8) && !members.empty()) {
            const auto copy = members[pick(static_cast<unsigned>(members.size()))];
            members.push_back(copy);
        }
        std::string out = "{" + ws();
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (i)
                out += "," + ws();
            out += name(members[i].first) + ws() + ":" + ws() + members[i].second;
        }
        return out + ws() + "}";
    }

    std::string array(const std::vector<std::string> &elements) {
        std::string out = "[" + ws();
        for (std::size_t i = 0; i < elements.size(); ++i)
            out += (i ? "," + ws() : "") + elements[i];
        return out + ws() + "]";
    }

    std::string string_value() {
        switch (pick(12)) {
        case 0:
            return "\"\"";
        case 1:
            return "\"caf\\u00e9 \\\"quoted\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"";
        case 2:
            return "\"\\ud83d\\ude00 emoji \xf0\x9f\x98\x80\"";
        case 3:
            return "\"caf\xc3\xa9\"";
        case 4:
            return "\"" + std::string(pick(300), 'w') + "\"";
        default:
            return "\"text" + std::to_string(pick(1000)) + "\"";
        }
    }

    std::string number_value() {
        static const char *const kOdd[] = {"0",       "-0",      "-0.0",    "0.0",       "1",       "-1",      "3.0",
                                           "1e3",     "1E-2",    "2.5e-3",  "0.0005",    "0.0015",  "0.0025",  "1.0005",
                                           "10000",   "10000.0", "9999.999", "9999.9995", "10000.001", "1e4",   "12345.678",
                                           "123456789012345678", "12345678901234567890123", "0.1234567890123456789",
                                           "99999999999", "1e11",  "-99999999999", "1e300",  "5e-324",  "1e-400",
                                           "4503599627370.495", "0.1", "0.30000000000000004", "1.7976931348623157e308"};
        if (chance(50)) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%u.%02u", pick(100), pick(100));
            return buf;
        }
        std::string n = kOdd[pick(sizeof kOdd / sizeof *kOdd)];
        if (wild_ && chance(3))
            n = one_of({"1e400", "-1e400", "1e999"});
        return n;
    }

    std::string junk(int depth) {
        switch (pick(depth > 0 ? 8 : 6)) {
        case 0:
            return "null";
        case 1:
            return one_of({"true", "false"});
        case 2:
        case 3:
            return number_value();
        case 4:
        case 5:
            return string_value();
        case 6: {
            std::vector<std::string> elements(pick(4));
            for (std::string &e : elements)
                e = junk(depth - 1);
            return array(elements);
        }
        default: {
            Members members;
            for (unsigned i = pick(4); i > 0; --i)
                members.push_back({"k" + std::to_string(pick(5)), junk(depth - 1)});
            return object(members);
        }
        }
    }

    std::vector<std::string> error_items() {
        std::vector<std::string> items(pick(3));
        for (std::string &item : items)
            item = chance(70) ? object({{"memberNames", array({"\"x\""})}, {"errorMessage", string_value()}}) : junk(2);
        return items;
    }

    std::string content() {
        Members members;
        const char *paging[] = {"pageIndex", "limit", "totalCount"};
        for (const char *p : paging)
            if (chance(60))
                members.push_back({p, chance(80) ? std::to_string(pick(5000)) : junk(1)});
        if (chance(60))
            members.push_back({"isLastPage", chance(85) ? one_of({"true", "false"}) : junk(1)});
        std::vector<std::string> results(pick(4));
        for (std::string &r : results)
            r = wild_ && chance(2) ? one_of({"null", "1", "[]", "\"r\""}) : result();
        if (!wild_ || chance(96))
            members.push_back({"results", chance(95) ? array(results) : "null"});
        else
            members.push_back({"results", one_of({"{}", "1", "\"x\""})});
        return object(members);
    }

    std::string line_number() {
        static const char *const kPool[] = {"AST-1", "AST-2", "AST-3", "KIT-\\u00e9", "\\\"q\\\"", "L\xc3\xa9"};
        if (wild_ && chance(3))
            return one_of({"\"\"", "null", "5", "\"A\\u0000B\"", "{}"});
        if (chance(3))
            return "\"" + std::string(1024, 'L') + "\"";
        return "\"" + std::string(kPool[pick(sizeof kPool / sizeof *kPool)]) + "\"";
    }

    std::string result() {
        Members members;
        if (!wild_ || chance(97))
            members.push_back({"serviceLineNumber", line_number()});
        if (chance(70))
            members.push_back({"accountNumber", wild_ && chance(3) ? one_of({"5", "\"\\u0000\"", "[]"})
                                                : chance(80)       ? "\"ACC-" + std::to_string(pick(9)) + "\""
                                                                   : "null"});
        if (chance(60))
            members.push_back({"lastUpdated", chance(70) ? date_value() : junk(1)});
        if (chance(70))
            members.push_back({"servicePlan", chance(85) ? plan() : wild_ && chance(20) ? "[]" : "null"});
        std::vector<std::string> cycles(pick(4));
        for (std::string &c : cycles)
            c = wild_ && chance(2) ? one_of({"null", "[]", "7"}) : cycle();
        if (chance(90))
            members.push_back({"billingCycles", chance(92) ? array(cycles) : wild_ && chance(30) ? "{}" : "null"});
        return object(members);
    }

    std::string plan() {
        Members members;
        if (chance(80))
            members.push_back({"usageLimitGB", chance(70) ? number_value() : junk(1)});
        if (chance(60))
            members.push_back({"productId", chance(80) ? string_value() : wild_ && chance(20) ? "\"\\u0000\"" : junk(1)});
        if (chance(60))
            members.push_back({"isOptedIntoOverage", chance(80) ? one_of({"true", "false"}) : junk(1)});
        if (chance(30))
            members.push_back({"isMobilePlan", "false"});
        return object(members);
    }

    std::string date_value() {
        char buf[48];
        switch (pick(16)) {
        case 0:
            return one_of({"\"2024-02-29\"", "\"2025-02-29\"", "\"2025-02-30\"", "\"2025-04-31\"", "\"2025-12-31T00:00:00Z\""});
        case 1:
            return one_of({"\"1999-12-31\"", "\"2200-01-01\"", "\"2000-01-01\"", "\"2199-12-31T00:00:00Z\""});
        case 2:
            return one_of({"\"2025-10-01T12:30:00+02:00\"", "\"2025-10-01T25:00:00Z\"", "\"2025-10-01T00:00:00.123Z\"",
                           "\"2025-10-01T00:00:00\"", "\"2025-10-01Z\""});
        case 3:
            return one_of({"\"garbage\"", "\"\"", "\"2025-1-01\"", "\"2025\\u002d10-01\"", "\"20x5-10-01\"", "\"2025-00-10\""});
        case 4:
            return junk(1);
        default:
            std::snprintf(buf, sizeof buf, chance(70) ? "\"2025-%02u-%02uT00:00:00Z\"" : "\"2025-%02u-%02u\"", 1 + pick(12),
                          1 + pick(31));
            return buf;
        }
    }

    std::string gb_value() {
        switch (pick(14)) {
        case 0:
            return "null";
        case 1:
            return one_of({"\"NaN\"", "\"12\"", "\"Infinity\"", "\"\""});
        case 2:
            return junk(1);
        case 3:
            return number_value();
        default: {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%u.%02u", pick(50), pick(100));
            return buf;
        }
        }
    }

    std::string day() {
        Members members;
        if (chance(95))
            members.push_back({"date", date_value()});
        for (const char *field : {"priorityGB", "optInPriorityGB", "standardGB", "nonBillableGB"})
            if (chance(85))
                members.push_back({field, gb_value()});
        return object(members);
    }

    std::string cycle() {
        Members members;
        if (chance(85))
            members.push_back({"startDate", date_value()});
        if (chance(85))
            members.push_back({"endDate", date_value()});
        std::vector<std::string> days(pick(7));
        for (std::string &d : days)
            d = wild_ && chance(2) ? one_of({"null", "[]", "7", "\"d\""}) : day();
        if (chance(90))
            members.push_back({"dailyDataUsage", chance(93) ? array(days) : wild_ && chance(30) ? "{}" : "null"});
        for (const char *total : {"totalPriorityGB", "totalStandardGB", "totalOptInPriorityGB", "totalNonBillableGB"})
            if (chance(60))
                members.push_back({total, chance(70) ? number_value() : junk(1)});
        if (chance(30))
            members.push_back({"overageLines", junk(3)});
        return object(members);
    }

    std::mt19937_64 rng_;
    bool wild_;
    bool escape_names_ = false;
};

std::string summary(const std::vector<std::string> &reasons) {
    std::map<std::string, int> counts;
    for (const std::string &r : reasons)
        ++counts[r];
    std::ostringstream out;
    for (const auto &[reason, n] : counts)
        out << "  " << n << " x " << reason << "\n";
    return out.str();
}

} // namespace

TEST(FastParserDifferential, EveryCorpusPayload) {
    const std::filesystem::path corpus = std::filesystem::path(USAGE_ARCHIVE_SOURCE_DIR) / "test" / "corpus";
    std::vector<std::filesystem::path> files;
    for (const char *dir : {"payloads/starlink", "payloads/simple", "baseline"})
        for (const auto &entry : std::filesystem::directory_iterator(corpus / dir))
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 539u) << "the corpus is missing";
    std::vector<std::string> fallbacks;
    for (const std::filesystem::path &file : files) {
        SCOPED_TRACE(file.string());
        check({read_file(file)}, &fallbacks);
        if (HasFailure())
            return;
    }
    // The corpus is hostile by design: most of it is for the reference to judge; what is
    // well formed, the fast parser must have taken.
    EXPECT_LT(fallbacks.size(), files.size()) << summary(fallbacks);
}

TEST(FastParserDifferential, CorpusPayloadsTooLargeToCommit) {
    // test/t/009_hostile_corpus.pl's gen: recipes of the starlink kind (the string smaller).
    std::string rejected = R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"GEN-R","billingCycles":[{"dailyDataUsage":[)";
    for (int i = 0; i < 300000; ++i)
        rejected += std::string(i ? "," : "") + R"({"date":"2025-10-02","priorityGB":-1})";
    rejected += "]}]}]}}";
    std::vector<std::string> fallbacks;
    check_one(rejected, &fallbacks);
    check_one(R"({"isValid":true,"content":{"results":[{"serviceLineNumber":")" + std::string(3000000, 'L') +
                  R"(","billingCycles":[]}]}})");
    EXPECT_TRUE(fallbacks.empty()) << summary(fallbacks);
}

TEST(FastParserDifferential, GeneratedWellFormedPayloadsStayOnTheFastPath) {
    PayloadGenerator gen(20251127, false);
    std::vector<std::string> fallbacks;
    for (int i = 0; i < 1500; ++i)
        if (!check_one(gen.payload(), &fallbacks))
            return;
    // Only bodies the reference refuses (a 1024-byte line id is fine, one more is not; a
    // number out of range) may go back.
    EXPECT_EQ(fallbacks.size(), 0u) << summary(fallbacks);
}

TEST(FastParserDifferential, GeneratedHostilePayloads) {
    PayloadGenerator gen(7, true);
    std::vector<std::string> fallbacks;
    int errors = 0;
    for (int i = 0; i < 2500; ++i) {
        const std::string body = gen.payload();
        if (!check_one(body, &fallbacks))
            return;
        errors += reference({body}).error.has_value();
    }
    // Both kinds must be well represented for the comparison to mean something.
    EXPECT_GT(errors, 250) << summary(fallbacks);
    EXPECT_LT(fallbacks.size(), 2000u) << summary(fallbacks);
}

TEST(FastParserDifferential, EveryMemberAgainWithEveryKindOfValue) {
    // Each member the parsers read, followed by two more of the same name: the later ones
    // win or are ignored, the same way in both, whatever their types.
    using Members = std::vector<std::pair<std::string, std::string>>;
    const std::map<std::string, Members> base = {
        {"envelope", {{"isValid", "true"}, {"errors", "[]"}}},
        {"content", {{"pageIndex", "1"}, {"limit", "2"}, {"isLastPage", "true"}, {"totalCount", "3"}}},
        {"result", {{"serviceLineNumber", "\"A\""}, {"accountNumber", "\"ACC\""}, {"lastUpdated", "\"2025-10-05\""}}},
        {"plan", {{"usageLimitGB", "50"}, {"productId", "\"p\""}, {"isOptedIntoOverage", "true"}}},
        {"cycle", {{"startDate", "\"2025-10-01\""}, {"endDate", "\"2025-10-30\""}, {"totalPriorityGB", "1"},
                   {"totalStandardGB", "2"}, {"totalOptInPriorityGB", "0.5"}, {"totalNonBillableGB", "0"}}},
        {"day", {{"date", "\"2025-10-02\""}, {"priorityGB", "1"}, {"optInPriorityGB", "0.5"}, {"standardGB", "2"},
                 {"nonBillableGB", "0"}}},
    };
    auto render = [&](const std::string &context, const Members &extra) {
        auto object = [&](const std::string &name, const Members &inner) {
            Members members = base.at(name);
            for (const auto &m : inner)
                members.push_back(m);
            if (name == context)
                members.insert(members.end(), extra.begin(), extra.end());
            std::string out = "{";
            for (const auto &[k, v] : members)
                out += (out.size() > 1 ? "," : "") + ("\"" + k + "\":" + v);
            return out + "}";
        };
        const std::string cycle = object("cycle", {{"dailyDataUsage", "[" + object("day", {}) + "]"}});
        const std::string result =
            object("result", {{"servicePlan", object("plan", {})}, {"billingCycles", "[" + cycle + "]"}});
        return object("envelope", {{"content", object("content", {{"results", "[" + result + "]"}})}});
    };
    const char *const values[] = {"\"2025-10-07\"", "\"x\"", "\"\\u0000\"", "7", "-0", "0.0005", "1e3", "null",
                                  "true", "false", "{}", "[]", "{\"a\":[1]}", "[{}]", "\"NaN\""};
    for (const auto &[context, members] : base)
        for (const auto &member : members)
            for (const char *first : values)
                for (const char *second : values)
                    if (!check_one(render(context, {{member.first, first}, {member.first, second}})))
                        return;
    for (const char *member : {"content", "results", "servicePlan", "billingCycles", "dailyDataUsage"})
        for (const char *first : values)
            for (const char *second : values) {
                const std::string context = std::string(member) == "content"       ? "envelope"
                                            : std::string(member) == "results"     ? "content"
                                            : std::string(member) == "dailyDataUsage" ? "cycle"
                                                                                   : "result";
                if (!check_one(render(context, {{member, first}, {member, second}})))
                    return;
            }
}

TEST(FastParserDifferential, MutatedPayloads) {
    PayloadGenerator gen(99, false);
    for (int i = 0; i < 3000; ++i)
        if (!check_one(gen.mutate(gen.payload())))
            return;
}

TEST(FastParserDifferential, TruncatedAtEveryByte) {
    const std::string body = R"({"isValid": true, "errors": [], "warnings": [{"errorMessage": "caf\u00e9 \"x\""}],
 "content": {"pageIndex": 0, "limit": 50, "isLastPage": true, "totalCount": 1, "results": [
  {"serviceLineNumber": "AST-1", "accountNumber": "ACC-1", "lastUpdated": "2025-10-21T06:00:00Z",
   "servicePlan": {"productId": "p", "usageLimitGB": 1024.0, "isOptedIntoOverage": false},
   "billingCycles": [{"startDate": "2025-09-15T00:00:00Z", "endDate": "2025-10-14T00:00:00Z",
     "dailyDataUsage": [{"date": "2025-10-01T00:00:00Z", "priorityGB": 1.25, "optInPriorityGB": 0.5,
                         "standardGB": 10.75, "nonBillableGB": -0},
                        {"date": "2025-10-02", "priorityGB": null, "standardGB": "NaN", "x": [true, false, null]}],
     "totalPriorityGB": 1.25, "totalStandardGB": 1e1, "overageLines": []}]}]}}
)";
    std::vector<std::string> fallbacks;
    ASSERT_TRUE(check_one(body, &fallbacks));
    ASSERT_TRUE(fallbacks.empty()) << summary(fallbacks);
    for (std::size_t n = 0; n < body.size(); ++n)
        if (!check_one(body.substr(0, n)))
            return;
}

TEST(FastParserDifferential, EncodingsAndLiterals) {
    const std::string head = R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A","x":)";
    const std::string tail = "}]}}";
    for (const std::string value :
         {"\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"", "\"\x01\"", "\"\x7f\"",
          "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"", "\"\\uZZZZ\"", "\"\\x\"", "\"\\u00e9\\ud83d\\ude00\"",
          "tru", "truex", "nul", "nulll", "falsey", "01", "-", "1.", ".5", "1e", "+1", "1x", "1.2.3", "[1 2]", "[1,]",
          "{\"a\" 1}", "{\"a\":1,}", "[,1]", "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0", "-0.0",
          "123456789012345678901234567890", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"})
        check_one(head + value + tail);
    for (const std::string whole : {"", " ", "null", "[]", "{}", "5", "\"s\"", "{} {}", "{}}", "{\"content\":{}} x",
                                    "\xEF\xBB\xBF{\"content\":{}}", "{\"content\":{}}\n\t "})
        check_one(whole);
    check_one(std::string("{\"content\":{}}\0", 15));
    // Deep nesting beyond what the fast parser follows, in a member nobody reads.
    check_one(head + std::string(5000, '[') + std::string(5000, ']') + tail);
    check_one(head + std::string(5000, '[') + tail);
}

TEST(FastParserDifferential, NumbersAtTheValidationBounds) {
    // Every decimal form around the bound and around rounding ties, with a bound of its own.
    for (const double bound : {10000.0, 0.5, 1e-3, 12.3456, 1e20}) {
        ValidationLimits limits;
        limits.max_daily_gb = bound;
        std::string days;
        for (const char *v : {"0", "0.001", "0.0005", "0.0015", "0.4995", "0.5", "0.500", "0.5001", "12.345", "12.3456",
                              "12.3455", "9999.999", "9999.9995", "10000", "10000.000", "10000.0001", "10000.001",
                              "1e4", "99999999999999", "999999999999999", "1125899906842.624", "4503599627370.496"})
            days += std::string(days.empty() ? "" : ",") + R"({"date":"2025-10-02","priorityGB":)" + v +
                    R"(,"optInPriorityGB":)" + v + R"(,"standardGB":)" + v + "}";
        std::vector<std::string> fallbacks;
        check({R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A","billingCycles":[{"dailyDataUsage":[)" +
               days + "]}]}]}}"},
              &fallbacks, limits);
        EXPECT_TRUE(fallbacks.empty()) << summary(fallbacks);
    }
}

TEST(FastParserDifferential, RunsOfSeveralPages) {
    PayloadGenerator gen(424242, true);
    std::vector<std::string> fallbacks;
    for (int run = 0; run < 400; ++run) {
        std::vector<std::string> pages(2 + gen.pick(3));
        for (std::string &page : pages)
            page = gen.payload();
        SCOPED_TRACE("run " + std::to_string(run));
        check(pages, &fallbacks);
        if (HasFailure())
            return;
    }
}

TEST(FastParserDifferential, AGivenBackPageUndoesWhatItChangedOnEarlierLines) {
    // Page 2 changes line A (set on page 1), adds line C and records, then has an escaped
    // member name: the fast parser gives it back, and the reference's reading of it must
    // start from page 1's state exactly.
    const std::string page1 = R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A","accountNumber":"ACC-1",
        "servicePlan":{"usageLimitGB":50,"productId":"p1","isOptedIntoOverage":false},"lastUpdated":"2025-10-01",
        "billingCycles":[{"startDate":"2025-10-01","endDate":"2025-10-30","dailyDataUsage":[{"date":"2025-10-01","standardGB":1}]}]}]}})";
    const std::string page2 = R"({"isValid":true,"content":{"results":[{"serviceLineNumber":"A","accountNumber":"ACC-2",
        "servicePlan":{"usageLimitGB":99,"productId":"p2","isOptedIntoOverage":true},"lastUpdated":"2025-10-05",
        "billingCycles":[{"startDate":"2025-10-01","endDate":"2025-10-30","dailyDataUsage":[{"date":"2025-10-02","standardGB":2},
        {"date":"2025-10-03","priorityGB":-1}]}]},
        {"serviceLineNumber":"C","billingCycles":[{"dailyDataUsage":[{"date":"2025-10-02","standardGB":3}]}]},
        {"serviceLineNumber":"A","accountNumber":"ACC-3","\u0078":1}]}})";
    std::vector<std::string> fallbacks;
    check({page1, page2, page1}, &fallbacks);
    ASSERT_EQ(fallbacks.size(), 1u);
    EXPECT_EQ(fallbacks[0], "an escaped member name");
}

TEST(FastParserDifferential, ProgressHookCalledAsOftenAsByTheReference) {
    static int calls = 0;
    const ProgressHook count = [] { ++calls; };
    for (const std::size_t megabytes : {0, 1, 3}) {
        std::string body = R"({"isValid":true,"warnings":[)";
        while (body.size() < (megabytes << 20) + 12345)
            body += R"({"errorMessage":"a warning"},)";
        body += R"({}],"content":{"results":[{"serviceLineNumber":"A","billingCycles":[]}]}})";
        if (megabytes == 1)
            body += std::string(3u << 20, ' '); // megabytes after the last value count too
        calls = 0;
        PayloadBuilder reference_builder(count);
        parse_starlink_body(body, {}, reference_builder);
        const int by_reference = calls;
        calls = 0;
        PayloadBuilder fast_builder(count);
        FastStarlinkParser parser;
        PageInfo page;
        ASSERT_TRUE(parser.parse(body, {}, fast_builder, page)) << parser.last_fallback_reason();
        EXPECT_EQ(calls, by_reference) << body.size() << " bytes";
    }
}

TEST(FastParserDifferential, PaddedBodiesAreReadInPlace) {
    PayloadGenerator gen(5, false);
    for (int i = 0; i < 200; ++i) {
        std::string storage = gen.payload();
        const std::size_t size = storage.size();
        storage.append(kPayloadPadding, 'x'); // what lies after the body does not matter
        const std::string_view body(storage.data(), size);
        PayloadParser parser(SourceKind::starlink, {});
        Outcome got;
        try {
            got.pages.push_back(parser.add(body, kPayloadPadding));
            got.parsed = parser.finish();
        } catch (const PayloadError &e) {
            got.error = e;
        }
        expect_same_outcome(reference({std::string(body)}), got);
        if (HasFailure())
            return;
    }
}
