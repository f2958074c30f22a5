#include "payload_builder.hpp"

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

std::uint32_t PayloadBuilder::intern_line(std::string_view number) {
    auto [it, inserted] = line_index_.try_emplace(std::string(number), static_cast<std::uint32_t>(payload_.lines.size()));
    if (inserted)
        payload_.lines.push_back(ServiceLineInfo{std::string(number), std::nullopt, std::nullopt});
    return it->second;
}

void PayloadBuilder::expect_bytes(std::size_t body_bytes) {
    constexpr std::size_t kMinBytesPerRecord = 32; // {"date":"2025-10-01","usage_gb":1} and more
    std::vector<UsageRecord> &records = payload_.records;
    const std::size_t wanted = records.size() + body_bytes / kMinBytesPerRecord;
    if (wanted > records.capacity()) // grow geometrically: pages must not copy the records each time
        records.reserve(std::max(wanted, 2 * records.capacity()));
}

void PayloadBuilder::begin_group() {
    group_first_record_ = payload_.records.size();
    group_first_reason_ = payload_.rejection_reasons.size();
}

void PayloadBuilder::add_record(const UsageRecord &record) {
    count_one();
    payload_.records.push_back(record);
    payload_.records.back().ordinal = next_ordinal_++;
}

void PayloadBuilder::add_rejection(std::string_view date_text, const std::string &reason) {
    count_one();
    ++payload_.rejected;
    if (payload_.rejection_reasons.size() < kMaxRejectionReasons)
        payload_.rejection_reasons.push_back("day " + std::string(date_text.empty() ? "?" : date_text) + ": " + reason);
}

void PayloadBuilder::end_group(std::uint32_t line) {
    for (std::size_t i = group_first_record_; i < payload_.records.size(); ++i)
        payload_.records[i].line = line;
    const std::string &number = payload_.lines[line].number;
    for (std::size_t i = group_first_reason_; i < payload_.rejection_reasons.size(); ++i)
        payload_.rejection_reasons[i] = number + ", " + payload_.rejection_reasons[i];
}

} // namespace usage_archive::core
