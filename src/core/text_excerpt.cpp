#include "text_excerpt.hpp"

#include <cstdio>

namespace usage_archive::core {
namespace {

// Length of the well-formed UTF-8 character at text[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF; // allowed range of the second byte
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
    return length;
}

} // namespace

std::string text_excerpt(std::string_view text, std::size_t max_bytes) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        const std::size_t length = utf8_length(text, i);
        // Whole characters only: one that would cross the limit is left out with the rest.
        if (i + (length ? length : 1) > max_bytes)
            break;
        char buf[8];
        if (length == 0) { // a byte of no character (a token cut inside one): shown, not passed on
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else if (c < 0x20 || c == 0x7F) {
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out.append(text.data() + i, length);
        }
        i += length ? length : 1;
    }
    if (i < text.size())
        out += "...";
    return out;
}

std::string quoted_excerpt(std::string_view text, std::size_t max_bytes) {
    return "\"" + text_excerpt(text, max_bytes) + "\"";
}

} // namespace usage_archive::core
