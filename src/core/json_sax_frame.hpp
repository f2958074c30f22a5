// Shared machinery of the streaming (SAX) payload parsers: where in the document the parser
// is (for error messages that name a JSON path and a byte offset), and skipping of subtrees
// nobody asked for. Streaming keeps memory at the size of the records, not of a JSON tree:
// a DOM of a 1,000,000-day payload would take several times the payload's size.
#pragma once

#include "payload_error.hpp"
#include "text_excerpt.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace usage_archive::core {

// A payload that is JSON but not of the expected shape, as found by a handler: the SAX
// event it happened at, to be turned into a byte offset by run_sax (which re-reads the text up
// to that event: nlohmann's SAX events carry no position, and tracking one for every
// character would slow the parse of every valid payload for the sake of the invalid ones).
struct ShapeMismatch {
    std::string path;
    std::string problem;     // "expected an array, found an object"
    std::size_t event_index; // 1-based count of SAX events up to the offending one
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

    // Every SAX event, skipped or not, is counted: the count locates a shape error.
    void count_event() { ++events_; }

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
                out += "." + text_excerpt(f.key, 64); // a member name is payload text, of any size
            }
        }
        return out;
    }

    [[noreturn]] void fail_shape(const std::string &expected, JsonType found) const {
        fail("expected " + expected + ", found " + json_type_name(found));
    }
    [[noreturn]] void fail(const std::string &problem) const { throw ShapeMismatch{path(), problem, events_}; }

  private:
    std::size_t events_ = 0;
    std::vector<Frame> frames_;
    std::size_t skip_depth_ = 0;
};

} // namespace usage_archive::core
