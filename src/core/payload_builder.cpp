#include "payload_builder.hpp"

#include "text_excerpt.hpp"

#include <algorithm>

namespace usage_archive::core {

void assign_raw(RawNumber &field, JsonType type, double number, const std::string *text) {
    switch (type) {
    case JsonType::number:
        field.set_number(number);
        break;
    case JsonType::null:
        field.state = RawNumber::State::null;
        break;
    case JsonType::string:
        field.set_text(*text);
        break;
    default:
        field.state = RawNumber::State::other;
    }
}

void assign_raw(RawDate &field, JsonType type, const std::string *text) {
    if (type == JsonType::string) {
        field.state = RawDate::State::text;
        field.text.assign(*text);
    } else {
        field.state = RawDate::State::other;
    }
}

std::optional<std::string> stored_text_problem(std::string_view text) {
    if (text.find('\0') != std::string_view::npos)
        return std::string("expected a string without \\u0000 (PostgreSQL text cannot hold it), found one with it");
    return std::nullopt;
}

std::optional<std::string> service_line_id_problem(std::string_view id) {
    if (id.size() > kMaxServiceLineIdBytes)
        return "expected a service line id of at most " + std::to_string(kMaxServiceLineIdBytes) + " bytes, found " +
               std::to_string(id.size()) + " bytes";
    if (id.find('\0') != std::string_view::npos)
        return std::string("expected a service line id without \\u0000 (PostgreSQL text cannot hold it)");
    return std::nullopt;
}

std::uint32_t PayloadBuilder::intern_line(std::string_view number) {
    auto [it, inserted] = line_index_.try_emplace(std::string(number), static_cast<std::uint32_t>(payload_.lines.size()));
    if (inserted)
        payload_.lines.push_back(ServiceLineInfo{std::string(number), std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt});
    return it->second;
}

void PayloadBuilder::expect_bytes(std::size_t body_bytes) {
    constexpr std::size_t kMinBytesPerRecord = 32; // {"date":"2025-10-01","usage_gb":1} and more
    std::vector<UsageRecord> &records = payload_.records;
    const std::size_t wanted = records.size() + std::min(body_bytes / kMinBytesPerRecord, reservation_cap_);
    if (wanted > records.capacity()) // grow geometrically: pages must not copy the records each time
        records.reserve(std::max(wanted, 2 * records.capacity()));
}

PayloadBuilder::ListEnds PayloadBuilder::list_ends() const {
    return {payload_.records.size(), payload_.cycles.size(), payload_.rejection_reasons.size()};
}

void PayloadBuilder::begin_group() { group_start_ = list_ends(); }

void PayloadBuilder::begin_cycle() { cycle_first_record_ = payload_.records.size(); }

void PayloadBuilder::end_cycle(std::optional<std::int32_t> start, std::optional<std::int32_t> end,
                               const BillingCycle &totals) {
    if (!start || !end || *end < *start)
        return;
    BillingCycle cycle = totals;
    cycle.start = *start;
    cycle.end = *end;
    cycle.ordinal = next_cycle_ordinal_++;
    cycle.reported_days.clear();
    // A day listed outside its cycle's dates is archived, but it is not one the cycle covered:
    // counting it would make the coverage checks (missing days, cycle totals) judge the wrong
    // cycle by it.
    for (std::size_t i = cycle_first_record_; i < payload_.records.size(); ++i)
        if (payload_.records[i].day >= cycle.start && payload_.records[i].day <= cycle.end)
            cycle.reported_days.push_back(payload_.records[i].day);
    std::sort(cycle.reported_days.begin(), cycle.reported_days.end());
    cycle.reported_days.erase(std::unique(cycle.reported_days.begin(), cycle.reported_days.end()),
                              cycle.reported_days.end());
    payload_.cycles.push_back(std::move(cycle));
}

namespace {

// Of cycles reported more than once (pages, repeats), keeps the last report.
void keep_last_reports(std::vector<BillingCycle> &cycles) {
    // Last report first within each (line, start), then keep the first of each.
    std::sort(cycles.begin(), cycles.end(), [](const BillingCycle &a, const BillingCycle &b) {
        if (a.line != b.line)
            return a.line < b.line;
        if (a.start != b.start)
            return a.start < b.start;
        return a.ordinal > b.ordinal;
    });
    cycles.erase(std::unique(cycles.begin(), cycles.end(),
                             [](const BillingCycle &a, const BillingCycle &b) {
                                 return a.line == b.line && a.start == b.start;
                             }),
                 cycles.end());
}

} // namespace

ParsedPayload PayloadBuilder::take() {
    keep_last_reports(payload_.cycles);
    return std::move(payload_);
}

void PayloadBuilder::take_chunk(ParsedChunk &into) {
    into.records.clear();
    into.cycles.clear();
    into.records.swap(payload_.records);
    into.cycles.swap(payload_.cycles);
    keep_last_reports(into.cycles);
}

void PayloadBuilder::begin_attempt() {
    attempt_ = Attempt{payload_.lines.size(), list_ends(), payload_.rejected, next_ordinal_, next_cycle_ordinal_, {}};
}

void PayloadBuilder::undo_attempt() {
    if (!attempt_)
        return;
    Attempt &a = *attempt_;
    // Newest first, so that a line changed twice ends as it was before the first change.
    for (auto it = a.changed_lines.rbegin(); it != a.changed_lines.rend(); ++it)
        payload_.lines[it->first] = std::move(it->second);
    for (std::size_t i = a.lines; i < payload_.lines.size(); ++i)
        line_index_.erase(payload_.lines[i].number);
    payload_.lines.resize(a.lines);
    payload_.records.resize(a.lists.records);
    payload_.cycles.resize(a.lists.cycles);
    payload_.rejection_reasons.resize(a.lists.reasons);
    payload_.rejected = a.rejected;
    next_ordinal_ = a.next_ordinal;
    next_cycle_ordinal_ = a.next_cycle_ordinal;
    attempt_.reset();
}

void PayloadBuilder::add_record(const UsageRecord &record) {
    payload_.records.push_back(record);
    payload_.records.back().ordinal = next_ordinal_++;
}

void PayloadBuilder::add_rejection(std::string_view date_text, const std::string &reason) {
    ++payload_.rejected;
    if (payload_.rejection_reasons.size() < kMaxRejectionReasons)
        payload_.rejection_reasons.push_back("day " + (date_text.empty() ? std::string("?") : text_excerpt(date_text, 40)) +
                                             ": " + reason);
}

void PayloadBuilder::end_group(std::uint32_t line) {
    for (std::size_t i = group_start_.records; i < payload_.records.size(); ++i)
        payload_.records[i].line = line;
    for (std::size_t i = group_start_.cycles; i < payload_.cycles.size(); ++i)
        payload_.cycles[i].line = line;
    const std::string number = text_excerpt(payload_.lines[line].number, 64);
    for (std::size_t i = group_start_.reasons; i < payload_.rejection_reasons.size(); ++i)
        payload_.rejection_reasons[i] = number + ", " + payload_.rejection_reasons[i];
    if (group_end_ && !attempt_)
        group_end_();
}

} // namespace usage_archive::core
