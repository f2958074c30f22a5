#include "api_error_text.hpp"

#include <nlohmann/json.hpp>

namespace usage_archive::http {
namespace {

constexpr std::size_t kMaxShown = 300; // enough for any real message, bounded for a log line

std::string clip(std::string s) {
    for (char &c : s)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    if (s.size() > kMaxShown)
        s = s.substr(0, kMaxShown) + "...";
    return s;
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
    std::string out;
    if (auto errors = doc.find("errors"); errors != doc.end() && errors->is_array()) {
        for (const auto &e : *errors) {
            const nlohmann::json *message = nullptr;
            if (e.is_object() && e.contains("errorMessage") && e["errorMessage"].is_string())
                message = &e["errorMessage"];
            else if (e.is_string())
                message = &e;
            if (message) {
                if (!out.empty())
                    out += "; ";
                out += message->get<std::string>();
            }
        }
    }
    if (out.empty())
        out = oauth_error_fields(doc);
    return clip(out.empty() ? body : out);
}

} // namespace usage_archive::http
