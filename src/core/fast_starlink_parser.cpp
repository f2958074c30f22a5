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
#include "ondemand_walk.hpp"
#include "quick_day.hpp"
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

using namespace ondemand_walk;

class StarlinkWalker : OnDemandWalk {
  public:
    StarlinkWalker(const char *text, std::size_t size, const ValidationLimits &limits, PayloadBuilder &builder)
        : OnDemandWalk(text, size, builder.progress()), limits_(limits), builder_(builder) {}

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
                    values_.slots[slot] = QuickDayValues::Slot::quick;
                    values_.quick[slot] = milli;
                    return;
                }
            }
            raw_number(slot).set_number(decimal.value());
            break;
        }
        case json_type::null:
            null(value);
            values_.slots[slot] = QuickDayValues::Slot::null;
            return;
        case json_type::string:
            raw_number(slot).set_text(string(value));
            break;
        default: // a boolean, an object or an array makes the day invalid, not the payload
            validate(value, 8);
            raw_number(slot).state = RawNumber::State::other;
        }
        values_.slots[slot] = QuickDayValues::Slot::raw;
    }

    void day(od::value &v) {
        day_.reset();
        values_.reset();
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
        if (date_state == RawDate::State::text && quick_date_.read(date_text, record.day) && values_.to_record(record)) {
            builder_.add_record(record);
            return;
        }
        // The reference's way, with its reasons.
        for (int slot = 0; slot < 4; ++slot) {
            if (values_.slots[slot] == QuickDayValues::Slot::quick) // the same rational as the text's digits: the same double
                raw_number(slot).set_number(static_cast<double>(values_.quick[slot]) / 1000.0);
            else if (values_.slots[slot] == QuickDayValues::Slot::null)
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

    const ValidationLimits &limits_;
    PayloadBuilder &builder_;
    PageInfo page_;
    bool content_seen_ = false;
    const std::int64_t quick_limit_ = quick_lane_limit(limits_);
    StarlinkDayFields day_;
    QuickDayValues values_;
    QuickUsageDate quick_date_;
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
