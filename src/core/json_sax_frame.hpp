// Shared machinery of the streaming (SAX) payload parsers: where in the document the parser
// is (for error messages that name a JSON path and a byte offset), and skipping of subtrees
// nobody asked for. Streaming keeps memory at the size of the records, not of a JSON tree:
// a DOM of a 1,000,000-day payload would take several times the payload's size.
#pragma once

#include "payload_error.hpp"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace usage_archive::core {

// A char iterator that publishes how far the JSON lexer has read, so a handler can name the
// byte offset of the value it is looking at. nlohmann's SAX events carry no position.
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

enum class JsonType { null, boolean, number, string, object, array };
const char *json_type_name(JsonType type);

// The container stack of a SAX handler. Ctx is the handler's own enum of places it knows;
// subtrees it does not care about are skipped by depth count without frames.
template <typename Ctx> class SaxFrames {
  public:
    struct Frame {
        Ctx ctx;
        bool is_array;
        std::size_t next_index = 0; // arrays: index the next element will get
        std::string key;            // objects: the current member name
    };

    SaxFrames(std::string_view text) : begin_(text.data()), cursor_(text.data()) {}

    const char **cursor() { return &cursor_; }
    PositionTrackingIterator begin_iter() { return {begin_, &cursor_}; }
    PositionTrackingIterator end_iter(std::string_view text) { return {text.data() + text.size(), &cursor_}; }
    std::size_t offset() const { return static_cast<std::size_t>(cursor_ - begin_); }

    bool skipping() const { return skip_depth_ > 0; }
    bool empty() const { return frames_.empty(); }
    Frame &top() { return frames_.back(); }
    const Frame &top() const { return frames_.back(); }
    const std::string &key() const { return frames_.back().key; }

    // Every value (scalar or container start) in an array advances its index.
    void count_element() {
        if (!frames_.empty() && frames_.back().is_array)
            ++frames_.back().next_index;
    }
    void push(Ctx ctx, bool is_array) { frames_.push_back(Frame{ctx, is_array, 0, {}}); }
    void pop() { frames_.pop_back(); }

    // Skipping: call enter_skip() on a container start that nobody needs; while skipping(),
    // route container starts to skip_nested() and ends to leave_skip().
    void enter_skip() { skip_depth_ = 1; }
    void skip_nested() { ++skip_depth_; }
    void leave_skip() { --skip_depth_; }

    // "$.content.results[3].billingCycles[0]" for the value being looked at.
    std::string path() const {
        std::string out = "$";
        for (const Frame &f : frames_) {
            if (f.is_array) {
                if (f.next_index > 0)
                    out += "[" + std::to_string(f.next_index - 1) + "]";
            } else if (!f.key.empty()) {
                out += "." + f.key;
            }
        }
        return out;
    }

    [[noreturn]] void fail_shape(const std::string &expected, JsonType found) const {
        throw PayloadError(PayloadError::Kind::shape,
                           "unexpected JSON at byte " + std::to_string(offset()) + " (" + path() + "): expected " +
                               expected + ", found " + json_type_name(found),
                           offset(), path());
    }

  private:
    const char *begin_;
    const char *cursor_;
    std::vector<Frame> frames_;
    std::size_t skip_depth_ = 0;
};

} // namespace usage_archive::core
