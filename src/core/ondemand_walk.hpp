// Walking a JSON body with simdjson's On Demand API the way the reference parser reads it,
// for the fast parser (fast_starlink_parser.cpp): member by member in document order, every
// value it does not need still read (and so checked), the progress hook called at the same
// megabyte boundaries, and anything the fast path does not decide exactly like the
// reference turned into GiveUp, which hands the body back. Inline: it runs for every value.
#pragma once

#include "json_decimal.hpp"
#include "payload_parser.hpp"

#include <cmath>
#include <cstring>
#include <string_view>

#include <simdjson.h>

namespace usage_archive::core::ondemand_walk {

namespace od = simdjson::ondemand;
using od::json_type;

// Thrown to give a body back to the reference parser: `why` is a static string.
struct GiveUp {
    const char *why;
};

[[noreturn]] inline void give_up(const char *why) { throw GiveUp{why}; }

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
// On Demand has no depth limit of its own: the corpus's 100,000-deep arrays overflowed the
// stack before this one.
constexpr int kMaxDepth = 200;

// What a walk of one body shares: the text, its progress checkpoints, and the readers of
// members and values.
class OnDemandWalk {
  protected:
    OnDemandWalk(const char *text, std::size_t size, void (*hook)())
        : text_(text), size_(size), hook_(hook), next_check_(hook ? text + kProgressBytes : text + size + kPayloadPadding) {}

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

    const char *text_;
    std::size_t size_;
    void (*hook_)();
    const char *next_check_;
};

} // namespace usage_archive::core::ondemand_walk
