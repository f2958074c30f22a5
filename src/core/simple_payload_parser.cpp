// The `simple` kind, the flattened shape of the story's own loader:
//   {"<service line>": {"daily_usage": [{"date": "2025-10-01", "usage_gb": 12.5}, ...]}, ...}
#include "payload_builder.hpp"
#include "payload_parser.hpp"
#include "sax_runner.hpp"

namespace usage_archive::core {
namespace {

enum class Ctx { lines, line, days, day };

class SimpleHandler : public PayloadSaxHandler<SimpleHandler, Ctx> {
  public:
    SimpleHandler(const ValidationLimits &limits, PayloadBuilder &builder)
        : limits_(limits), builder_(builder) {}

  private:
    friend class PayloadSaxHandler<SimpleHandler, Ctx>;
    static constexpr const char *kRootShape = "an object of service lines";
    static constexpr Ctx kRootCtx = Ctx::lines;

    Ctx ctx() const { return frames_.top().ctx; }

    static const char *object_required(Ctx ctx) {
        return ctx == Ctx::lines ? "an object with \"daily_usage\"" : ctx == Ctx::days ? "an object (one day)" : nullptr;
    }

    bool container(JsonType type) {
        switch (ctx()) {
        case Ctx::lines:
            if (frames_.key().empty())
                frames_.fail_shape("a non-empty service line id as the member name", type);
            if (auto problem = service_line_id_problem(frames_.key()))
                frames_.fail(*problem);
            builder_.begin_group();
            line_ = builder_.intern_line(frames_.key());
            frames_.push(Ctx::line, false);
            return true;
        case Ctx::line:
            if (frames_.key() == "daily_usage") {
                if (type != JsonType::array)
                    frames_.fail_shape("an array of days", type);
                frames_.push(Ctx::days, true);
                return true;
            }
            break;
        case Ctx::days:
            day_.reset();
            frames_.push(Ctx::day, false);
            return true;
        case Ctx::day:
            if (frames_.key() == "date")
                day_.date.state = RawDate::State::other;
            else if (frames_.key() == "usage_gb")
                day_.usage_gb.state = RawNumber::State::other;
            break;
        }
        return false; // not read: skipped
    }

    bool scalar(JsonType type) {
        switch (ctx()) {
        case Ctx::lines:
        case Ctx::days:
            break; // objects only (object_required)
        case Ctx::line:
            if (frames_.key() == "daily_usage" && type != JsonType::null)
                frames_.fail_shape("an array of days", type);
            break;
        case Ctx::day:
            day_scalar(type);
            break;
        }
        return true;
    }

    void day_scalar(JsonType type) {
        if (frames_.key() == "date")
            assign_raw(day_.date, type, string_);
        else if (frames_.key() == "usage_gb")
            assign_raw(day_.usage_gb, type, number_, string_);
    }

    bool end() {
        if (ctx() == Ctx::day) {
            UsageRecord record;
            if (auto why = validate_simple_day(day_, limits_, record))
                builder_.add_rejection(day_.date.state == RawDate::State::text ? day_.date.text : "", *why);
            else
                builder_.add_record(record);
        } else if (ctx() == Ctx::line) {
            builder_.end_group(line_);
        }
        frames_.pop();
        return true;
    }

    const ValidationLimits &limits_;
    PayloadBuilder &builder_;
    std::uint32_t line_ = 0;
    SimpleDayFields day_;
};

} // namespace

void parse_simple_body(std::string_view text, const ValidationLimits &limits, PayloadBuilder &builder) {
    SimpleHandler handler(limits, builder);
    run_sax(text, handler, builder.progress());
}

} // namespace usage_archive::core
