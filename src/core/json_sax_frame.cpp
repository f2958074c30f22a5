#include "json_sax_frame.hpp"

namespace usage_archive::core {

std::string join_api_messages(const std::vector<std::string> &messages) {
    if (messages.empty())
        return "no error message given";
    std::string out;
    for (const std::string &m : messages) {
        if (!out.empty())
            out += "; ";
        out += m;
    }
    return out;
}

const char *json_type_name(JsonType type) {
    switch (type) {
    case JsonType::null:
        return "null";
    case JsonType::boolean:
        return "a boolean";
    case JsonType::number:
        return "a number";
    case JsonType::string:
        return "a string";
    case JsonType::object:
        return "an object";
    case JsonType::array:
        return "an array";
    }
    return "a value";
}

} // namespace usage_archive::core
