#include "secret_scrubber.hpp"

#include "form_encoding.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>

namespace usage_archive::http {
namespace {

constexpr const char *kRedacted = "[redacted]";

void replace_all(std::string &text, const std::string &what) {
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        text.replace(at, what.size(), kRedacted);
}

std::string percent_encode(const std::string &value) {
    std::string out = form_encode(value);
    for (std::size_t at = out.find('+'); at != std::string::npos; at = out.find('+', at))
        out.replace(at, 1, "%20");
    return out;
}

} // namespace

void SecretScrubber::add(const std::string &secret) {
    if (secret.empty())
        return;
    const std::string json = nlohmann::json(secret).dump(); // "..." with JSON escapes
    for (std::string spelling : {secret, form_encode(secret), percent_encode(secret), json.substr(1, json.size() - 2)})
        if (std::find(spellings_.begin(), spellings_.end(), spelling) == spellings_.end())
            spellings_.push_back(std::move(spelling));
    std::stable_sort(spellings_.begin(), spellings_.end(),
                     [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
}

std::string SecretScrubber::scrub(std::string text) const {
    for (const std::string &s : spellings_)
        replace_all(text, s);
    // What a credential looks like, for the ones this run never knew (another client's token
    // in an echoed header, a secret of a form the server rewrote).
    static const std::regex scheme_and_token(R"((bearer|basic)(\s+)[A-Za-z0-9._~+/=%-]+)", std::regex::icase);
    static const std::regex named_value(
        R"(((client_secret|access_token|refresh_token|id_token|password|authorization)\\?"?\s*[:=]\s*\\?"?)[^&\s"'\\,;}]+)",
        std::regex::icase);
    text = std::regex_replace(text, scheme_and_token, "$1$2[redacted]");
    text = std::regex_replace(text, named_value, "$1[redacted]");
    return text;
}

} // namespace usage_archive::http
