// A client secret kept in a file on the database server (usage_archive.set_client_secret_file),
// so that it never appears in SQL text, statement logs, the secret table or a dump.
#pragma once

#include <optional>
#include <string>

namespace usage_archive::http {

struct SecretFileResult {
    std::optional<std::string> secret; // set when the file could be used
    std::string problem;               // otherwise why not, for a message (never the content)
    bool missing = false;              // the file does not exist
};

// The file's content without trailing line breaks and spaces. Refused: a relative path, a
// file that cannot be read, an empty one, one over 64 kB, and one holding a NUL byte.
SecretFileResult read_secret_file(const std::string &path);

} // namespace usage_archive::http
