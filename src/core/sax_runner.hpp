// Runs nlohmann's SAX parser with a handler built on SaxFrames. Kept apart from
// json_sax_frame.hpp so that only the parsers pay for including nlohmann/json.hpp.
#pragma once

#include "json_sax_frame.hpp"
#include "text_excerpt.hpp"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

namespace usage_archive::core {

// nlohmann's syntax messages quote the token read so far ("...; last read: '<token>'; expected
// ..."), which for an unterminated string is the rest of the payload: keep 40 bytes of it.
std::string shorten_last_read(const std::string &detail);

// Handlers implement parse_error() by calling this: nlohmann reports the offset of the
// offending token, and the message says what was expected.
[[noreturn]] inline void throw_syntax_error(std::size_t position, const std::string &last_token,
                                            const nlohmann::json::exception &ex) {
    // A number beyond double's range (1e400) is valid JSON that the lexer cannot hold: say so,
    // rather than "invalid JSON" for a text PostgreSQL's own json input accepts.
    constexpr int kNumberOverflow = 406;
    if (ex.id == kNumberOverflow)
        throw PayloadError(PayloadError::Kind::out_of_range,
                           "number out of range at byte " + std::to_string(position) + ": " +
                               text_excerpt(last_token, 40) + " is beyond the range of double precision (about 1.8e308)",
                           position);
    // nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 7: ...";
    // keep the part after the bracketed id, the user knows it is JSON.
    std::string detail = ex.what();
    if (auto close = detail.find("] "); close != std::string::npos)
        detail.erase(0, close + 2);
    throw PayloadError(PayloadError::Kind::syntax,
                       "invalid JSON at byte " + std::to_string(position) + ": " + shorten_last_read(detail), position);
}

// The nlohmann SAX callbacks both payload handlers need, reduced to three events the
// Derived handler implements: container(JsonType) for an object or array start (false: a
// subtree it does not read, skipped here), scalar(JsonType)
// for any other value (its content in bool_, number_ or string_), and end() for a container end;
// the first two only below the root, whose shape both kinds check alike here.
// Subtrees the handler chose to skip are consumed here and never reach it.
template <typename Derived, typename Ctx> class PayloadSaxHandler {
  public:
    using json = nlohmann::json;

    PayloadSaxHandler() = default;

    bool null() { return value(JsonType::null); }
    bool boolean(bool v) {
        bool_ = v;
        return value(JsonType::boolean);
    }
    bool number_integer(json::number_integer_t v) { return number(static_cast<double>(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return number(static_cast<double>(v)); }
    bool number_float(json::number_float_t v, const json::string_t &) { return number(v); }
    bool string(json::string_t &v) {
        string_ = &v;
        return value(JsonType::string);
    }
    bool binary(json::binary_t &) { return value(JsonType::string); } // JSON input has none
    bool start_object(std::size_t) { return start(JsonType::object); }
    bool start_array(std::size_t) { return start(JsonType::array); }
    bool key(json::string_t &k) {
        frames_.count_event();
        if (!frames_.skipping())
            frames_.top().key.assign(k);
        return true;
    }
    bool end_object() { return finish_container(); }
    bool end_array() { return finish_container(); }
    bool parse_error(std::size_t position, const std::string &last_token, const json::exception &ex) {
        throw_syntax_error(position, last_token, ex);
    }

  protected:
    SaxFrames<Ctx> frames_;
    bool bool_ = false;
    double number_ = 0;
    json::string_t *string_ = nullptr;

  private:
    Derived &self() { return static_cast<Derived &>(*this); }
    bool number(double v) {
        number_ = v;
        return value(JsonType::number);
    }
    // Below, the root is an object (Derived::kRootShape says what it should be) pushed as
    // Derived::kRootCtx; every other value is counted as an element of its container.
    bool value(JsonType type) {
        frames_.count_event();
        if (frames_.skipping())
            return true;
        if (frames_.empty())
            frames_.fail_shape(Derived::kRootShape, type);
        frames_.count_element();
        require_object(type);
        return self().scalar(type);
    }
    bool start(JsonType type) {
        frames_.count_event();
        if (frames_.skipping()) {
            frames_.skip_nested();
            return true;
        }
        if (frames_.empty()) {
            if (type != JsonType::object)
                frames_.fail_shape(Derived::kRootShape, type);
            frames_.push(Derived::kRootCtx, false);
            return true;
        }
        frames_.count_element();
        require_object(type);
        if (!self().container(type))
            frames_.enter_skip();
        return true;
    }
    // A container whose members or elements can only be objects (a list of lines, of days)
    // names them in Derived::object_required(ctx); anything else there is a shape error,
    // checked here once for a scalar and for an array alike.
    void require_object(JsonType type) {
        if (type != JsonType::object)
            if (const char *expected = Derived::object_required(frames_.top().ctx))
                frames_.fail_shape(expected, type);
    }
    bool finish_container() {
        frames_.count_event();
        if (frames_.skipping()) {
            frames_.leave_skip();
            return true;
        }
        return self().end();
    }
};

// Byte offset reached by the lexer when the event_index-th SAX event is reported. It reads
// the text again up to that event, calling `progress` (if any) every 65,536 events: a shape
// error near the end of a large payload is a second long parse, which must be cancellable too.
std::size_t offset_of_event(std::string_view text, std::size_t event_index, void (*progress)() = nullptr);

// The payload's characters as nlohmann's lexer reads them, with the progress hook called
// every kProgressBytes of text, whatever the text is: records, members the handler skips
// (a response can be hundreds of megabytes of warnings), one huge string. Counting records or
// SAX events instead left such payloads without a single check for a cancel until their end.
//
// The lexer asks `current != end` before it reads each character, so that comparison is the
// one place the check costs anything: it compares with the next checkpoint rather than the
// end (one more load per character), and only at a checkpoint does it call the hook (which
// may throw: nlohmann's parser unwinds cleanly) and move the checkpoint on, never past the end.
class ProgressIterator {
  public:
    static constexpr std::size_t kProgressBytes = 1 << 20;
    struct Checkpoint {
        const char *next;
        const char *end;
        void (*hook)(); // ProgressHook (payload_parser.hpp)
        bool pass(const char *at) {
            if (at == end)
                return false;
            hook();
            next = at + std::min<std::size_t>(kProgressBytes, static_cast<std::size_t>(end - at));
            return true;
        }
    };

    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char *;
    using reference = const char &;

    ProgressIterator(const char *p, Checkpoint *checkpoint) : p_(p), checkpoint_(checkpoint) {}
    reference operator*() const { return *p_; }
    ProgressIterator &operator++() {
        ++p_;
        return *this;
    }
    ProgressIterator operator++(int) {
        ProgressIterator old = *this;
        ++p_;
        return old;
    }
    // Only ever compared with the end iterator; p_ never passes the checkpoint, which never
    // passes the end, so "not at the checkpoint" means "not at the end".
    bool operator!=(const ProgressIterator &) const { return p_ != checkpoint_->next || checkpoint_->pass(p_); }
    bool operator==(const ProgressIterator &other) const { return !(*this != other); }

  private:
    const char *p_;
    Checkpoint *checkpoint_;
};

template <typename Handler> void run_sax(std::string_view text, Handler &handler, void (*progress)() = nullptr) {
    try {
        // strict: trailing garbage after the document is an error, like PostgreSQL's json input.
        if (progress) {
            const char *end = text.data() + text.size();
            ProgressIterator::Checkpoint checkpoint{text.data(), end, progress};
            nlohmann::json::sax_parse(ProgressIterator(text.data(), &checkpoint), ProgressIterator(end, &checkpoint),
                                      &handler, nlohmann::json::input_format_t::json, true);
        } else {
            nlohmann::json::sax_parse(text.data(), text.data() + text.size(), &handler,
                                      nlohmann::json::input_format_t::json, true);
        }
    } catch (const ShapeMismatch &m) {
        const std::size_t offset = offset_of_event(text, m.event_index, progress);
        throw PayloadError(PayloadError::Kind::shape,
                           "unexpected JSON at byte " + std::to_string(offset) + " (" + m.path + "): " + m.problem,
                           offset, m.path);
    }
}

} // namespace usage_archive::core
