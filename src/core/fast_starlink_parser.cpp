// The starlink fast path (see fast_starlink_parser.hpp). It walks the body with simdjson's On
// Demand API in document order, member by member, duplicates included, and applies the
// reference handler's rules (starlink_payload_parser.cpp) to each: same state, same builder
// calls in the same order, so records, ordinals, rejections and cycles come out identical.
//
// Validation: On Demand checks only what it is asked to read. simdjson's first stage checks
// the whole text for UTF-8, unescaped control characters and unclosed strings; every value
// is then read here -- including the members the archive ignores, which a SAX parser also
// reads -- so every number, literal, escape, comma and colon is checked, and after the root
// object nothing may follow. Where the reference would fail (a syntax, shape, range or API
// error) the walk gives up and the body goes to the reference parser, which reports it.
#include "fast_starlink_parser.hpp"

#include "calendar_date.hpp"
#include "json_decimal.hpp"
#include "padded_copy.hpp"

#include <cmath>
#include <cstring>
#include <optional>

#include <simdjson.h>

namespace usage_archive::core {

static_assert(kPayloadPadding >= simdjson::SIMDJSON_PADDING, "kPayloadPadding must cover simdjson's padding");

struct FastStarlinkParser::Buffers {
    simdjson::ondemand::parser parser;
    PaddedCopy copy;
};

namespace {

namespace od = simdjson::ondemand;
using od::json_type;

// Thrown to give a body back to the reference parser: `why` is a static string.
struct GiveUp {
    const char *why;
};

[[noreturn]] void give_up(const char *why) { throw GiveUp{why}; }

template <typename T> T take(simdjson::simdjson_result<T> &&result) {
    T out;
    if (const simdjson::error_code error = std::move(result).get(out))
        give_up(simdjson::error_message(error));
    return out;
}

// The field or element an iterator yields, where it is: copying it out (take) costs a
// store-forwarding stall per member, a fifth of the walk.
template <typename T> T &in_place(simdjson::simdjson_result<T> &result) {
    if (const simdjson::error_code error = result.error())
        give_up(simdjson::error_message(error));
    return result.value_unsafe();
}

// Deeper than this, the walk's recursion stops and the reference (no recursion) takes over.
constexpr int kMaxDepth = 200;

class StarlinkWalker {
  public:
    StarlinkWalker(const char *text, std::size_t size, const ValidationLimits &limits, PayloadBuilder &builder)
        : text_(text), size_(size), limits_(limits), builder_(builder), hook_(builder.progress()),
          next_check_(hook_ ? text + kProgressBytes : text + size + kPayloadPadding) {}

    PageInfo run(od::document &doc) {
        if (take(doc.type()) != json_type::object)
            give_up("shape: the body is not an object");
        members(take(doc.get_object()), [this](const char *k, od::value &v) {
            if (is(k, "content")) {
                // null is acceptable only with isValid false: the check below gives up without content.
                if (container_or_null(v, json_type::object, "shape: content"))
                    content(v);
            } else if (is(k, "errors")) {
                // The messages matter only with isValid false, which the reference reports.
                if (container_or_null(v, json_type::array, "shape: errors"))
                    validate(v, 1);
            } else if (is(k, "isValid")) {
                if (type(v) != json_type::boolean)
                    give_up("shape: isValid");
                if (!take(v.get_bool()))
                    give_up("isValid is false");
            } else {
                unknown(k);
                validate(v, 1);
            }
        });
        const char *trailing = nullptr;
        if (doc.current_location().get(trailing) == simdjson::SUCCESS)
            give_up("text after the document");
        if (!content_seen_)
            give_up("shape: no content");
        progress_at(text_ + size_ - 1); // the checkpoints of the text's tail, as the reference passes them
        return page_;
    }

  private:
    static constexpr std::size_t kProgressBytes = 1u << 20; // as ProgressIterator (sax_runner.hpp)

    // The reference calls the hook at every megabyte boundary it reads past; so does this,
    // at the start of every value and member.
    void progress_at(const char *at) {
        if (at >= next_check_)
            pass_checkpoints(at);
    }
    void pass_checkpoints(const char *at) {
        while (at >= next_check_) {
            next_check_ += kProgressBytes;
            hook_();
        }
    }

    static json_type type(od::value &v) { return take(v.type()); }

    // Calls visit(name, value) for each member of the object, in order.
    template <typename Visit> void members(od::object object, Visit &&visit) {
        for (auto member : object) {
            od::field &field = in_place(member);
            visit(name(field), field.value());
        }
    }

    // Calls visit(element) for each element of the array, which must be an object (else the
    // reference has a shape error to report).
    template <typename Visit> void objects(od::value &v, const char *shape, Visit &&visit) {
        for (auto element : take(v.get_array())) {
            od::value &value = in_place(element);
            progress_at(value.raw_json_token().data());
            if (type(value) != json_type::object)
                give_up(shape);
            visit(value);
        }
    }

    // A member that holds a container of type `wanted` or null: true for the container, for
    // the caller to read; false for a null, read here; anything else is a shape error.
    static bool container_or_null(od::value &v, json_type wanted, const char *shape) {
        const json_type t = type(v);
        if (t == wanted)
            return true;
        if (t != json_type::null)
            give_up(shape);
        null(v);
        return false;
    }

    // The end of a string's content (its closing quote, which the first stage found), or
    // nullptr at its first backslash.
    static const char *unescaped_end(const char *begin) {
        for (const char *end = begin;; ++end) {
            if (*end == '"')
                return end;
            if (*end == '\\')
                return nullptr;
        }
    }

    // A member name as written, after its opening quote. Names are compared as written: one
    // the archive reads matches exactly (its closing quote included); any other is checked for
    // escapes by unknown(), because "\u0064ate" is "date" to the reference.
    const char *name(od::field &field) {
        const char *begin = field.key().raw();
        progress_at(begin);
        return begin;
    }
    // The comparison may read past a shorter name: the text goes on at least to the padding.
    template <std::size_t N> static bool is(const char *name, const char (&literal)[N]) {
        return std::memcmp(name, literal, N - 1) == 0 && name[N - 1] == '"';
    }
    static void unknown(const char *name) {
        if (!unescaped_end(name))
            give_up("an escaped member name");
    }

    // A string's content: in place when it has no escape (the first stage checked its bytes),
    // else unescaped (and its escapes checked) by simdjson. Valid until the walk ends.
    static std::string_view string(od::value &v) {
        // The token runs from the opening quote to the next token: the closing quote is its
        // last character but whitespace. Without a backslash before it, it closes the string.
        const std::string_view token = v.raw_json_token();
        std::size_t close = token.size() - 1;
        while (close > 0 && is_json_whitespace(token[close]))
            --close;
        const char *begin = token.data() + 1;
        const std::size_t length = close > 0 ? close - 1 : 0;
        if (close > 0 && token[close] == '"' && !std::memchr(begin, '\\', length)) {
            take(v.get_raw_json_string());
            return {begin, length};
        }
        return take(v.get_string());
    }

    // A number as the reference's handler sees it: the correctly rounded double of a decimal
    // (nlohmann uses strtod), an integer converted to double.
    static double number(od::value &v) {
        const std::string_view token = v.raw_json_token(); // the number and any whitespace after it
        JsonDecimal decimal;
        if (read_json_decimal(token, decimal))
            return decimal.value(); // the value is left for the iterator to skip
        const double d = take(v.get_double());
        // nlohmann reads "-0" as the integer 0, simdjson as the double -0.0.
        if (d == 0 && std::signbit(d) && token.find_first_of(".eE") == std::string_view::npos)
            return 0.0;
        return d;
    }

    static void null(od::value &v) {
        if (!take(v.is_null()))
            give_up("an invalid literal");
    }

    // Reads (and so checks) a value nobody needs, as the reference's parser reads it.
    void validate(od::value &v, int depth) {
        progress_at(v.raw_json_token().data());
        switch (type(v)) {
        case json_type::object: {
            if (depth > kMaxDepth)
                give_up("deep nesting");
            for (auto member : take(v.get_object())) {
                od::field &field = in_place(member);
                if (!unescaped_end(name(field)))
                    take(field.unescaped_key()); // checks its escapes
                validate(field.value(), depth + 1);
            }
            break;
        }
        case json_type::array: {
            if (depth > kMaxDepth)
                give_up("deep nesting");
            for (auto element : take(v.get_array()))
                validate(in_place(element), depth + 1);
            break;
        }
        case json_type::string:
            string(v);
            break;
        case json_type::number:
            number(v);
            break;
        case json_type::boolean:
            take(v.get_bool());
            break;
        case json_type::null:
            null(v);
            break;
        }
    }

    void content(od::value &v) {
        members(take(v.get_object()), [this](const char *k, od::value &value) {
            const json_type t = type(value);
            std::optional<std::int64_t> *paging = is(k, "totalCount") ? &page_.total_count
                                                  : is(k, "pageIndex") ? &page_.page_index
                                                  : is(k, "limit")     ? &page_.limit
                                                                       : nullptr;
            if (is(k, "results")) {
                if (container_or_null(value, json_type::array, "shape: results"))
                    objects(value, "shape: a service line that is not an object",
                            [this](od::value &line) { result(line); });
            } else if (t == json_type::boolean && is(k, "isLastPage")) {
                page_.is_last_page = take(value.get_bool());
            } else if (t == json_type::number && paging) {
                // Paging facts are advisory: a value out of range leaves them unknown.
                const double n = number(value);
                if (n >= 0 && n < 9.0e15)
                    *paging = static_cast<std::int64_t>(n);
            } else {
                unknown(k);
                validate(value, 2);
            }
        });
        content_seen_ = true;
    }

    // What a result says about its service line, bound to it at the result's end (the number
    // may come after the rest). Strings point into the text or simdjson's string buffer.
    struct LineFacts {
        std::optional<std::string_view> number, account_number, product_id;
        std::optional<double> usage_limit_gb;
        std::optional<std::int32_t> last_updated_day;
        std::optional<bool> opted_into_overage;
    };

    void result(od::value &v) {
        builder_.begin_group();
        LineFacts facts;
        members(take(v.get_object()), [this, &facts](const char *k, od::value &value) {
            if (is(k, "billingCycles")) {
                if (container_or_null(value, json_type::array, "shape: billingCycles"))
                    objects(value, "shape: a billing cycle that is not an object", [this](od::value &c) { cycle(c); });
            } else if (is(k, "servicePlan")) {
                if (container_or_null(value, json_type::object, "shape: servicePlan"))
                    plan(value, facts);
            } else if (is(k, "serviceLineNumber")) {
                if (type(value) != json_type::string)
                    give_up("shape: serviceLineNumber");
                facts.number = string(value);
                if (facts.number->empty() || service_line_id_problem(*facts.number))
                    give_up("shape: serviceLineNumber");
            } else if (is(k, "accountNumber")) {
                const json_type t = type(value);
                if (t == json_type::string)
                    facts.account_number = stored_text(value);
                else if (t == json_type::null)
                    null(value);
                else
                    give_up("shape: accountNumber");
            } else if (is(k, "lastUpdated")) {
                // Advisory: a scalar that is not a date leaves it unknown, a container unchanged.
                const json_type t = type(value);
                if (t == json_type::string) {
                    facts.last_updated_day = parse_usage_date(string(value)).day;
                } else {
                    validate(value, 4);
                    if (t != json_type::object && t != json_type::array)
                        facts.last_updated_day.reset();
                }
            } else {
                unknown(k);
                validate(value, 4);
            }
        });
        if (!facts.number)
            give_up("shape: a service line without serviceLineNumber");

        const std::uint32_t line = builder_.intern_line(*facts.number);
        ServiceLineInfo &info = builder_.line(line);
        if (facts.account_number)
            info.account_number = std::string(*facts.account_number);
        if (facts.usage_limit_gb)
            info.usage_limit_gb = facts.usage_limit_gb;
        if (facts.last_updated_day)
            info.last_updated_day = facts.last_updated_day;
        if (facts.product_id)
            info.product_id = std::string(*facts.product_id);
        if (facts.opted_into_overage)
            info.opted_into_overage = facts.opted_into_overage;
        builder_.end_group(line);
    }

    // A string for a text column: one with a NUL ("\u0000") is an error to the reference.
    static std::string_view stored_text(od::value &v) {
        const std::string_view text = string(v);
        if (stored_text_problem(text))
            give_up("a NUL in a stored string");
        return text;
    }

    void plan(od::value &v, LineFacts &facts) {
        members(take(v.get_object()), [this, &facts](const char *k, od::value &value) {
            const json_type t = type(value);
            if (t == json_type::number && is(k, "usageLimitGB")) {
                facts.usage_limit_gb = number(value);
            } else if (t == json_type::string && is(k, "productId")) {
                facts.product_id = stored_text(value);
            } else if (t == json_type::boolean && is(k, "isOptedIntoOverage")) {
                facts.opted_into_overage = take(value.get_bool());
            } else {
                unknown(k);
                validate(value, 5);
            }
        });
    }

    // A total or date member given a scalar of another type reads as unknown; given a
    // container, it is left as it was (the reference skips containers there).
    void cycle(od::value &v) {
        BillingCycle totals;
        std::optional<std::int32_t> start, end;
        builder_.begin_cycle();
        members(take(v.get_object()), [&](const char *k, od::value &value) {
            if (is(k, "dailyDataUsage")) {
                if (container_or_null(value, json_type::array, "shape: dailyDataUsage"))
                    objects(value, "shape: a day that is not an object", [this](od::value &d) { day(d); });
                return;
            }
            std::optional<std::int32_t> *date = is(k, "startDate") ? &start : is(k, "endDate") ? &end : nullptr;
            std::optional<MilliGb> *total = date                              ? nullptr
                                            : is(k, "totalPriorityGB")      ? &totals.total_priority
                                            : is(k, "totalStandardGB")      ? &totals.total_standard
                                            : is(k, "totalOptInPriorityGB") ? &totals.total_opt_in_priority
                                            : is(k, "totalNonBillableGB")   ? &totals.total_non_billable
                                                                            : nullptr;
            const json_type t = type(value);
            if (!date && !total) {
                unknown(k);
                validate(value, 6);
            } else if (t == json_type::object || t == json_type::array) {
                validate(value, 6);
            } else if (date) {
                if (t == json_type::string)
                    *date = parse_usage_date(string(value)).day;
                else
                    validate(value, 6), date->reset();
            } else if (t == json_type::number) {
                // The totals' columns are numeric(14,3): a total they cannot hold is unknown.
                constexpr double kMaxTotalGb = 99999999999.0;
                const double gb = number(value);
                *total = std::isfinite(gb) && std::fabs(gb) <= kMaxTotalGb ? std::optional<MilliGb>(to_milli_gb(gb))
                                                                           : std::nullopt;
            } else {
                validate(value, 6), total->reset();
            }
        });
        builder_.end_cycle(start, end, totals);
    }

    // One day's members as read: each numeric member is absent, null, a quick value (below),
    // or anything else, kept in day_ as the reference would hold it.
    //
    // The quick lane: a positive decimal (or 0) with at most three decimals whose thousandths N
    // are below quick_limit_ is what validate_starlink_day accepts, and its MilliGb is N:
    // llround(fl(fl(N / 1000) * 1000)) = N exactly, since two roundings move N by at most
    // N * 2^-52 < 0.5 for N < 2^50; and N < 1000 * max_daily_gb - 2 keeps the double below
    // the bound. A day whose members all take the quick lane (and whose date is of the usual
    // form) becomes its record here; any other day goes through validate_starlink_day, which
    // gives the reference's reason for a rejection.
    enum class Slot : std::uint8_t { absent, null, quick, raw };

    static std::int64_t compute_quick_limit(const ValidationLimits &limits) {
        constexpr std::int64_t kExactBelow = std::int64_t{1} << 50;
        const double bound = limits.max_daily_gb * 1000.0;
        if (!(bound > 4)) // NaN or tiny: no quick lane
            return 0;
        if (bound >= static_cast<double>(kExactBelow))
            return kExactBelow;
        return static_cast<std::int64_t>(std::floor(bound)) - 2;
    }

    int day_slot(const char *k) const {
        switch (*k) {
        case 'p':
            return is(k, "priorityGB") ? 0 : -1;
        case 'o':
            return is(k, "optInPriorityGB") ? 1 : -1;
        case 's':
            return is(k, "standardGB") ? 2 : -1;
        case 'n':
            return is(k, "nonBillableGB") ? 3 : -1;
        default:
            return -1;
        }
    }
    RawNumber &raw_number(int slot) {
        RawNumber *fields[] = {&day_.priority, &day_.opt_in_priority, &day_.standard, &day_.non_billable};
        return *fields[slot];
    }

    void day_number(int slot, od::value &value) {
        switch (type(value)) {
        case json_type::number: {
            JsonDecimal decimal;
            if (!read_json_decimal(value.raw_json_token(), decimal)) {
                raw_number(slot).set_number(number(value));
                break;
            }
            static constexpr std::int64_t kScale[] = {1000, 100, 10, 1};
            if (decimal.decimals <= 3 && !decimal.negative) {
                const std::int64_t milli = static_cast<std::int64_t>(decimal.digits) * kScale[decimal.decimals];
                if (milli < quick_limit_) {
                    slots_[slot] = Slot::quick;
                    quick_[slot] = milli;
                    return;
                }
            }
            raw_number(slot).set_number(decimal.value());
            break;
        }
        case json_type::null:
            null(value);
            slots_[slot] = Slot::null;
            return;
        case json_type::string:
            raw_number(slot).set_text(string(value));
            break;
        default: // a boolean, an object or an array makes the day invalid, not the payload
            validate(value, 8);
            raw_number(slot).state = RawNumber::State::other;
        }
        slots_[slot] = Slot::raw;
    }

    void day(od::value &v) {
        day_.reset();
        slots_[0] = slots_[1] = slots_[2] = slots_[3] = Slot::absent;
        RawDate::State date_state = RawDate::State::absent;
        std::string_view date_text;

        members(take(v.get_object()), [&](const char *k, od::value &value) {
            if (const int slot = day_slot(k); slot >= 0) {
                day_number(slot, value);
            } else if (is(k, "date")) {
                if (type(value) == json_type::string) {
                    date_state = RawDate::State::text;
                    date_text = string(value);
                } else {
                    validate(value, 8);
                    date_state = RawDate::State::other;
                }
            } else {
                unknown(k);
                validate(value, 8);
            }
        });

        UsageRecord record;
        if (date_state == RawDate::State::text && quick_day(date_text, record.day) && quick_day_values(record)) {
            builder_.add_record(record);
            return;
        }
        // The reference's way, with its reasons.
        for (int slot = 0; slot < 4; ++slot) {
            if (slots_[slot] == Slot::quick) // the same rational as the text's digits: the same double
                raw_number(slot).set_number(static_cast<double>(quick_[slot]) / 1000.0);
            else if (slots_[slot] == Slot::null)
                raw_number(slot).state = RawNumber::State::null;
        }
        day_.date.state = date_state;
        if (date_state == RawDate::State::text)
            day_.date.text.assign(date_text);
        if (auto why = validate_starlink_day(day_, limits_, record))
            builder_.add_rejection(date_state == RawDate::State::text ? date_text : "", *why);
        else
            builder_.add_record(record);
    }

    // validate_starlink_day for a day whose members are all quick, null or absent.
    bool quick_day_values(UsageRecord &out) const {
        MilliGb values[4];
        for (int slot = 0; slot < 4; ++slot) {
            if (slots_[slot] == Slot::raw)
                return false;
            values[slot] = slots_[slot] == Slot::quick ? quick_[slot] : 0; // null and absent are zero
        }
        if (values[1] > values[0]) // optInPriorityGB exceeds priorityGB: the reference words it
            return false;
        out.priority = values[0];
        out.opt_in_priority = values[1];
        out.standard = values[2];
        out.non_billable = values[3];
        out.has_breakdown = true;
        out.consumed = out.priority + out.standard;
        return true;
    }

    // parse_usage_date's day for the two usual forms, "YYYY-MM-DD" and "YYYY-MM-DDT00:00:00Z",
    // on a day up to the 28th; false for anything else, which parse_usage_date then judges.
    // Days come in runs of the same month: the last month's first day is kept.
    bool quick_day(std::string_view text, std::int32_t &day) {
        if (text.size() != 10 && !(text.size() == 20 && std::memcmp(text.data() + 10, "T00:00:00Z", 10) == 0))
            return false;
        const char *t = text.data();
        auto digit = [t](int i) { return static_cast<unsigned>(static_cast<unsigned char>(t[i]) - '0'); };
        for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
            if (digit(i) > 9)
                return false;
        if (t[4] != '-' || t[7] != '-')
            return false;
        const int year = static_cast<int>(digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3));
        const unsigned month = digit(5) * 10 + digit(6), mday = digit(8) * 10 + digit(9);
        if (year < kMinYear || year > kMaxYear || month < 1 || month > 12 || mday < 1 || mday > 28)
            return false;
        if (year != month_year_ || month != month_) {
            month_year_ = year;
            month_ = month;
            month_first_day_ = days_since_2000({year, month, 1});
        }
        day = month_first_day_ + static_cast<std::int32_t>(mday) - 1;
        return true;
    }

    const char *text_;
    std::size_t size_;
    const ValidationLimits &limits_;
    PayloadBuilder &builder_;
    void (*hook_)();
    const char *next_check_;
    PageInfo page_;
    bool content_seen_ = false;
    const std::int64_t quick_limit_ = compute_quick_limit(limits_);
    StarlinkDayFields day_;
    Slot slots_[4] = {};
    MilliGb quick_[4] = {};
    int month_year_ = 0;
    unsigned month_ = 0;
    std::int32_t month_first_day_ = 0;
};

bool starts_with_bom(std::string_view body) { return body.size() >= 3 && body.compare(0, 3, "\xEF\xBB\xBF") == 0; }

} // namespace

FastStarlinkParser::FastStarlinkParser() = default;
FastStarlinkParser::~FastStarlinkParser() = default;

bool FastStarlinkParser::parse(std::string_view body, const ValidationLimits &limits, PayloadBuilder &builder,
                               PageInfo &page, std::size_t padded_by) {
    last_fallback_reason_ = nullptr;
    if (void (*hook)() = builder.progress())
        hook(); // the start of the text, where the reference calls it first
    auto fall_back = [this](const char *why) {
        last_fallback_reason_ = why;
        ++fallbacks_;
        return false;
    };
    // nlohmann skips a byte order mark, simdjson refuses it: the reference decides.
    if (starts_with_bom(body))
        return fall_back("a byte order mark");
    if (!buffers_)
        buffers_ = std::make_unique<Buffers>();
    Buffers &b = *buffers_;

    const char *text = body.data();
    if (padded_by < kPayloadPadding && !(text = b.copy.copy(body)))
        return fall_back("no memory for the padded copy");

    bool parsed = false;
    {
        od::document doc;
        if (const simdjson::error_code error =
                b.parser.iterate(text, body.size(), body.size() + kPayloadPadding).get(doc)) {
            fall_back(simdjson::error_message(error));
        } else {
            builder.begin_attempt();
            try {
                StarlinkWalker walker(text, body.size(), limits, builder);
                page = walker.run(doc);
                builder.keep_attempt();
                parsed = true;
            } catch (const GiveUp &g) {
                builder.undo_attempt();
                fall_back(g.why);
            } catch (...) {
                builder.undo_attempt();
                throw;
            }
        }
    }
    if (body.size() > kKeepBuffersUpTo)
        buffers_.reset();
    return parsed;
}

} // namespace usage_archive::core
