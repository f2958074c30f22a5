// Keeps credentials out of messages. A server can put anything in a response, including what
// it was sent: a token endpoint that echoes the request form, an API that echoes the
// Authorization header. Every message that quotes a response passes through scrub().
#pragma once

#include <string>
#include <vector>

namespace usage_archive::http {

class SecretScrubber {
  public:
    // A value that must never be shown (a client secret, an access token). Its form-,
    // percent- and JSON-encoded spellings are scrubbed too.
    void add(const std::string &secret);

    // `text` with every known secret, and anything that looks like a credential
    // ("Bearer <token>", "client_secret=...", "access_token": "..."), replaced by [redacted].
    std::string scrub(std::string text) const;

  private:
    std::vector<std::string> spellings_; // longest first, so no spelling leaves part of another
};

} // namespace usage_archive::http
