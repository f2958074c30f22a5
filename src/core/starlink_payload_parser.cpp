// The `starlink` kind: the V2 data-usage query response envelope,
//   {"isValid": true, "errors": [...], "content": {"results": [
//     {"serviceLineNumber": "...", "accountNumber": "...", "servicePlan": {"usageLimitGB": 1024},
//      "billingCycles": [{"dailyDataUsage": [{"date": "...", "priorityGB": 1.25, ...}]}]}]}}
// Members we do not use are skipped without being stored; unknown members are ignored so a
// vendor adding a field does not break archiving.
#include "api_messages.hpp"
#include "payload_builder.hpp"
#include "payload_parser.hpp"
#include "calendar_date.hpp"
#include "sax_runner.hpp"

#include <cmath>

namespace usage_archive::core {
namespace {

enum class Ctx { root, envelope, errors, error_item, content, results, result, plan, cycles, cycle, days, day };

// The members whose value is a container the parser reads: the only container they may hold,
// the frame it opens, and what a shape error says was expected. Each may be null instead
// (content only with isValid false, see finish()); a value of another type is a shape error,
// whether it is a container or a scalar.
struct ContainerMember {
    Ctx parent;
    const char *name;
    JsonType type;
    Ctx opens;
    const char *expected;
};
constexpr ContainerMember kContainerMembers[] = {
    {Ctx::envelope, "content", JsonType::object, Ctx::content, "an object"},
    {Ctx::envelope, "errors", JsonType::array, Ctx::errors, "an array"},
    {Ctx::content, "results", JsonType::array, Ctx::results, "an array of service lines"},
    {Ctx::result, "servicePlan", JsonType::object, Ctx::plan, "an object or null"},
    {Ctx::result, "billingCycles", JsonType::array, Ctx::cycles, "an array of billing cycles or null"},
    {Ctx::cycle, "dailyDataUsage", JsonType::array, Ctx::days, "an array of days or null"},
};

// The members the parser reads as scalars that cannot hold a container: what a container
// there says was expected (a wrong scalar is judged where the member is read).
struct ScalarMember {
    Ctx parent;
    const char *name;
    const char *expected;
};
constexpr ScalarMember kScalarMembers[] = {
    {Ctx::envelope, "isValid", "true or false"},
    {Ctx::result, "serviceLineNumber", "a string"},
    {Ctx::result, "accountNumber", "a string or null"},
};

class StarlinkHandler : public PayloadSaxHandler<StarlinkHandler, Ctx> {
  public:
    StarlinkHandler(std::size_t text_size, const ValidationLimits &limits, PayloadBuilder &builder)
        : limits_(limits), text_size_(text_size), builder_(builder) {}

    PageInfo finish() {
        if (is_valid_ == false)
            throw PayloadError(PayloadError::Kind::api_reported,
                               "the API reported an error (isValid: false): " + join_api_messages(api_messages_));
        if (!content_seen_)
            throw PayloadError(PayloadError::Kind::shape,
                               // At the document's end, where the member would have had to be.
                               "unexpected JSON at byte " + std::to_string(text_size_) +
                                   " ($.content): the data-usage response has " +
                                   (content_null_ ? "\"content\": null" : "no \"content\" member") +
                                   " although isValid is not false",
                               text_size_, "$.content");
        return page_;
    }

  private:
    friend class PayloadSaxHandler<StarlinkHandler, Ctx>;
    static constexpr const char *kRootShape = "an object (the V2 data-usage response envelope)";
    static constexpr Ctx kRootCtx = Ctx::envelope;

    Ctx ctx() const { return frames_.top().ctx; }
    const std::string &member() const { return frames_.key(); }

    static const char *object_required(Ctx ctx) {
        return ctx == Ctx::results  ? "an object (one service line)"
               : ctx == Ctx::cycles ? "an object (one billing cycle)"
               : ctx == Ctx::days   ? "an object (one day)"
                                    : nullptr;
    }

    bool container(JsonType type) {
        if (const ContainerMember *m = find_member(kContainerMembers)) {
            if (type != m->type)
                frames_.fail_shape(m->expected, type);
            return push(m->opens, m->type == JsonType::array);
        }
        if (const ScalarMember *m = find_member(kScalarMembers))
            frames_.fail_shape(m->expected, type);
        switch (ctx()) {
        case Ctx::errors:
            if (type != JsonType::array)
                return push(Ctx::error_item, false);
            break;
        case Ctx::results:
            begin_result();
            return push(Ctx::result, false);
        case Ctx::cycles:
            begin_cycle();
            return push(Ctx::cycle, false);
        case Ctx::days:
            day_.reset();
            return push(Ctx::day, false);
        case Ctx::day:
            // A field holding an object or array makes the day invalid, not the payload.
            if (RawNumber *field = day_field(member()))
                field->state = RawNumber::State::other;
            else if (member() == "date")
                day_.date.state = RawDate::State::other;
            break;
        case Ctx::root:
        case Ctx::envelope:
        case Ctx::error_item:
        case Ctx::content:
        case Ctx::result:
        case Ctx::plan:
        case Ctx::cycle:
            break;
        }
        return false; // not read: skipped
    }

    bool scalar(JsonType type) {
        if (const ContainerMember *m = find_member(kContainerMembers)) {
            if (type != JsonType::null)
                frames_.fail_shape(m->expected, type);
            if (m->opens == Ctx::content)
                content_null_ = true; // acceptable only with isValid false, see finish()
            return true;
        }
        switch (ctx()) {
        case Ctx::envelope:
            if (member() == "isValid") {
                if (type != JsonType::boolean)
                    frames_.fail_shape("true or false", type);
                is_valid_ = bool_;
            }
            break;
        case Ctx::errors:
            if (type == JsonType::string)
                api_messages_.push_back(*string_);
            break;
        case Ctx::error_item:
            if (member() == "errorMessage" && type == JsonType::string)
                api_messages_.push_back(*string_);
            break;
        case Ctx::content:
            content_scalar(type);
            break;
        case Ctx::result:
            result_scalar(type);
            break;
        case Ctx::plan:
            if (member() == "usageLimitGB" && type == JsonType::number)
                usage_limit_gb_ = number_;
            else if (member() == "productId" && type == JsonType::string)
                product_id_ = stored_text(*string_);
            else if (member() == "isOptedIntoOverage" && type == JsonType::boolean)
                opted_into_overage_ = bool_;
            break;
        case Ctx::cycle:
            cycle_scalar(type);
            break;
        case Ctx::day:
            day_scalar(type);
            break;
        case Ctx::results:
        case Ctx::cycles:
        case Ctx::days: // objects only (object_required)
        case Ctx::root:
            break;
        }
        return true;
    }

    // The entry of `table` for the current member, or nullptr.
    template <typename Member, std::size_t N> const Member *find_member(const Member (&table)[N]) const {
        for (const Member &m : table)
            if (m.parent == ctx() && member() == m.name)
                return &m;
        return nullptr;
    }

    void content_scalar(JsonType type) {
        // Paging facts are advisory: a wrong type leaves them unknown, the pager copes.
        if (member() == "isLastPage" && type == JsonType::boolean)
            page_.is_last_page = bool_;
        else if (type == JsonType::number && number_ >= 0 && number_ < 9.0e15) {
            const auto n = static_cast<std::int64_t>(number_);
            if (member() == "totalCount")
                page_.total_count = n;
            else if (member() == "pageIndex")
                page_.page_index = n;
            else if (member() == "limit")
                page_.limit = n;
        }
    }

    void result_scalar(JsonType type) {
        if (member() == "serviceLineNumber") {
            if (type != JsonType::string || string_->empty())
                frames_.fail_shape("a non-empty string", type);
            if (auto problem = service_line_id_problem(*string_))
                frames_.fail(*problem);
            line_number_ = *string_;
            has_line_number_ = true;
        } else if (member() == "accountNumber") {
            if (type == JsonType::string)
                account_number_ = stored_text(*string_);
            else if (type != JsonType::null)
                frames_.fail_shape("a string or null", type);
        } else if (member() == "lastUpdated") {
            // Advisory, like the paging facts: a value that is not a date leaves it unknown.
            last_updated_day_ = type == JsonType::string ? parse_usage_date(*string_).day : std::nullopt;
        }
    }

    // A cycle's dates and totals: what the API says about the cycle as a whole. A cycle whose
    // dates are missing or invalid is not recorded (its days still are); a total that is not
    // a number is unknown.
    void cycle_scalar(JsonType type) {
        const std::string &k = member();
        if (k == "startDate" || k == "endDate") {
            std::optional<std::int32_t> day;
            if (type == JsonType::string)
                day = parse_usage_date(*string_).day;
            (k == "startDate" ? cycle_start_ : cycle_end_) = day;
            return;
        }
        std::optional<MilliGb> *total = k == "totalPriorityGB"         ? &cycle_.total_priority
                                        : k == "totalStandardGB"       ? &cycle_.total_standard
                                        : k == "totalOptInPriorityGB"  ? &cycle_.total_opt_in_priority
                                        : k == "totalNonBillableGB"    ? &cycle_.total_non_billable
                                                                       : nullptr;
        // The totals' columns are numeric(14,3): a total they cannot hold is as unknown as one
        // that is not a number (and must not fail the run's write with 22003).
        constexpr double kMaxTotalGb = 99999999999.0;
        if (total)
            *total = type == JsonType::number && std::isfinite(number_) && std::fabs(number_) <= kMaxTotalGb
                         ? std::optional<MilliGb>(to_milli_gb(number_))
                         : std::nullopt;
    }

    // A string for a text column: one with a NUL fails the payload (it cannot be stored as it
    // came, and dropping or cutting it would archive something the API did not say).
    const std::string &stored_text(const std::string &text) const {
        if (auto problem = stored_text_problem(text))
            frames_.fail(*problem);
        return text;
    }

    void begin_cycle() {
        cycle_ = BillingCycle{};
        cycle_start_.reset();
        cycle_end_.reset();
        builder_.begin_cycle();
    }

    RawNumber *day_field(const std::string &k) {
        if (k == "priorityGB")
            return &day_.priority;
        if (k == "optInPriorityGB")
            return &day_.opt_in_priority;
        if (k == "standardGB")
            return &day_.standard;
        if (k == "nonBillableGB")
            return &day_.non_billable;
        return nullptr;
    }

    void day_scalar(JsonType type) {
        if (member() == "date")
            assign_raw(day_.date, type, string_);
        else if (RawNumber *field = day_field(member()))
            assign_raw(*field, type, number_, string_);
    }

    bool end() {
        const Ctx done = ctx();
        if (done == Ctx::day)
            end_day();
        else if (done == Ctx::cycle)
            builder_.end_cycle(cycle_start_, cycle_end_, cycle_);
        else if (done == Ctx::result)
            end_result();
        else if (done == Ctx::content)
            content_seen_ = true;
        frames_.pop();
        return true;
    }

    void begin_result() {
        builder_.begin_group();
        has_line_number_ = false;
        line_number_.clear();
        account_number_.reset();
        usage_limit_gb_.reset();
        last_updated_day_.reset();
        product_id_.reset();
        opted_into_overage_.reset();
    }

    void end_day() {
        UsageRecord record;
        if (auto why = validate_starlink_day(day_, limits_, record))
            builder_.add_rejection(day_.date.state == RawDate::State::text ? day_.date.text : "", *why);
        else
            builder_.add_record(record);
    }

    void end_result() {
        if (!has_line_number_) {
            frames_.top().key.clear();
            frames_.fail("expected a member \"serviceLineNumber\" in every service line");
        }
        const std::uint32_t line = builder_.intern_line(line_number_);
        ServiceLineInfo &info = builder_.line(line);
        if (account_number_)
            info.account_number = account_number_;
        if (usage_limit_gb_)
            info.usage_limit_gb = usage_limit_gb_;
        if (last_updated_day_)
            info.last_updated_day = last_updated_day_;
        if (product_id_)
            info.product_id = product_id_;
        if (opted_into_overage_)
            info.opted_into_overage = opted_into_overage_;
        builder_.end_group(line);
    }

    bool push(Ctx ctx, bool is_array) {
        frames_.push(ctx, is_array);
        return true;
    }

    const ValidationLimits &limits_;
    std::size_t text_size_;
    PayloadBuilder &builder_;
    PageInfo page_;

    std::optional<bool> is_valid_;
    bool content_seen_ = false;
    bool content_null_ = false;
    std::vector<std::string> api_messages_;

    bool has_line_number_ = false;
    std::string line_number_;
    std::optional<std::string> account_number_;
    std::optional<double> usage_limit_gb_;
    std::optional<std::int32_t> last_updated_day_;
    std::optional<std::string> product_id_;
    std::optional<bool> opted_into_overage_;
    BillingCycle cycle_;
    std::optional<std::int32_t> cycle_start_, cycle_end_;
    StarlinkDayFields day_;
};

} // namespace

PageInfo parse_starlink_body(std::string_view text, const ValidationLimits &limits, PayloadBuilder &builder) {
    StarlinkHandler handler(text.size(), limits, builder);
    run_sax(text, handler, builder.progress());
    return handler.finish();
}

} // namespace usage_archive::core
