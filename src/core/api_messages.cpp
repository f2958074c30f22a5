#include "api_messages.hpp"

#include "text_excerpt.hpp"

namespace usage_archive::core {

std::string join_api_messages(const std::vector<std::string> &messages) {
    if (messages.empty())
        return "no error message given";
    // Bounded, and no NUL cuts the message short.
    constexpr std::size_t kShownPerMessage = 500;
    std::string out;
    for (const std::string &m : messages) {
        if (!out.empty())
            out += "; ";
        out += text_excerpt(m, kShownPerMessage);
    }
    return out;
}

} // namespace usage_archive::core
