#include "json_sax_frame.hpp"

#include "sax_runner.hpp"
#include "text_excerpt.hpp"

#include <iterator>
#include <utility>

namespace usage_archive::core {

namespace {

// A char iterator that publishes how far the JSON lexer has read.
class PositionTrackingIterator {
  public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char *;
    using reference = const char &;

    PositionTrackingIterator(const char *p, const char **published) : p_(p), published_(published) {}
    reference operator*() const { return *p_; }
    PositionTrackingIterator &operator++() {
        *published_ = ++p_;
        return *this;
    }
    PositionTrackingIterator operator++(int) {
        PositionTrackingIterator old = *this;
        ++*this;
        return old;
    }
    bool operator==(const PositionTrackingIterator &o) const { return p_ == o.p_; }
    bool operator!=(const PositionTrackingIterator &o) const { return p_ != o.p_; }

  private:
    const char *p_;
    const char **published_;
};

// Counts SAX events and stops the parse at the wanted one.
class EventLocator {
  public:
    using json = nlohmann::json;
    EventLocator(std::size_t target, void (*progress)()) : target_(target), progress_(progress) {}
    bool null() { return next(); }
    bool boolean(bool) { return next(); }
    bool number_integer(json::number_integer_t) { return next(); }
    bool number_unsigned(json::number_unsigned_t) { return next(); }
    bool number_float(json::number_float_t, const json::string_t &) { return next(); }
    bool string(json::string_t &) { return next(); }
    bool binary(json::binary_t &) { return next(); }
    bool start_object(std::size_t) { return next(); }
    bool start_array(std::size_t) { return next(); }
    bool key(json::string_t &) { return next(); }
    bool end_object() { return next(); }
    bool end_array() { return next(); }
    bool parse_error(std::size_t, const std::string &, const json::exception &) { return false; }

  private:
    bool next() {
        if (progress_ && (seen_ & 0xFFFF) == 0)
            progress_(); // may throw: a cancel ends the search for the offset too
        return ++seen_ < target_;
    }
    std::size_t target_;
    void (*progress_)();
    std::size_t seen_ = 0;
};

} // namespace

std::size_t offset_of_event(std::string_view text, std::size_t event_index, void (*progress)()) {
    const char *cursor = text.data();
    EventLocator locator(event_index, progress);
    nlohmann::json::sax_parse(PositionTrackingIterator(text.data(), &cursor),
                              PositionTrackingIterator(text.data() + text.size(), &cursor), &locator,
                              nlohmann::json::input_format_t::json, false);
    return static_cast<std::size_t>(cursor - text.data());
}

std::string shorten_last_read(const std::string &detail) {
    static const std::string kOpen = "; last read: '";
    const std::size_t open = detail.find(kOpen);
    if (open == std::string::npos)
        return detail;
    const std::size_t token = open + kOpen.size();
    // The token may hold quotes itself: it ends at the last "'; expected" or, without one, at the end.
    std::size_t close = detail.rfind("'; expected ");
    if (close == std::string::npos || close < token)
        close = detail.size() > token && detail.back() == '\'' ? detail.size() - 1 : detail.size();
    return detail.substr(0, token) + text_excerpt(std::string_view(detail).substr(token, close - token), 40) +
           detail.substr(close);
}

// How a shape error names each type ("expected an array, found a string").
constexpr std::pair<JsonType, const char *> kTypeNames[] = {
    {JsonType::null, "null"},     {JsonType::boolean, "a boolean"}, {JsonType::number, "a number"},
    {JsonType::string, "a string"}, {JsonType::object, "an object"}, {JsonType::array, "an array"},
};

const char *json_type_name(JsonType type) {
    for (const auto &[listed, name] : kTypeNames)
        if (listed == type)
            return name;
    return "a value";
}

} // namespace usage_archive::core
