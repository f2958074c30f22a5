#include "api_error_text.hpp"

#include "core/api_messages.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

namespace usage_archive::http {
namespace {

constexpr std::size_t kMaxShown = 300; // enough for any real message, bounded for a log line

std::string clip(const std::string &s) { return printable_text(s, kMaxShown); }

// The length of the valid UTF-8 sequence at the start of s (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF; // the allowed range of the second byte
    if (c < 0x80)
        return 1;
    else if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (s.size() < n || b(1) < lo || b(1) > hi)
        return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xBF)
            return 0;
    return n;
}

std::string oauth_error_fields(const nlohmann::json &doc) {
    std::string out;
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) {
        out = doc["error"].get<std::string>();
        if (doc.contains("error_description") && doc["error_description"].is_string())
            out += ": " + doc["error_description"].get<std::string>();
    }
    return out;
}

} // namespace

std::string printable_text(std::string_view text, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes) + 3);
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_sequence(text.substr(i));
        if (out.size() + std::max<std::size_t>(n, 1) > max_bytes)
            return out + "...";
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (n == 0)
            out += '?';
        else if (n > 1)
            out.append(text.substr(i, n));
        else if (c == '\n' || c == '\r' || c == '\t')
            out += ' ';
        else if (c < 0x20 || c == 0x7f)
            out += '?';
        else
            out += static_cast<char>(c);
        i += std::max<std::size_t>(n, 1);
    }
    return out;
}

std::string oauth_error_text(const std::string &body) {
    const std::string fields = oauth_error_fields(nlohmann::json::parse(body, nullptr, false));
    return fields.empty() ? "(no OAuth error in the response)" : clip(fields);
}

std::string api_error_text(const std::string &body) {
    if (body.empty())
        return "(empty body)";
    const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return clip(body);
    std::vector<std::string> messages;
    if (auto errors = doc.find("errors"); errors != doc.end() && errors->is_array()) {
        for (const auto &e : *errors) {
            if (e.is_object() && e.contains("errorMessage") && e["errorMessage"].is_string())
                messages.push_back(e["errorMessage"].get<std::string>());
            else if (e.is_string())
                messages.push_back(e.get<std::string>());
        }
    }
    std::string out = messages.empty() ? std::string() : core::join_api_messages(messages);
    if (out.empty())
        out = oauth_error_fields(doc);
    return clip(out.empty() ? body : out);
}

} // namespace usage_archive::http
