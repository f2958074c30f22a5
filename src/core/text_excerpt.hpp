// Payload text quoted in a message (an error, a rejection reason): a hostile payload decides
// what that text is, so it is bounded, cut only between UTF-8 characters, and stripped of
// control characters. Messages end up in the server log, in archive_runs and in text
// columns, which hold neither a NUL nor a broken UTF-8 sequence (PostgreSQL refuses both with
// 22021, which would fail the run for the sake of its own message).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace usage_archive::core {

// At most max_bytes of text (then "..."), control characters written as \u00XX.
std::string text_excerpt(std::string_view text, std::size_t max_bytes);

// The same, in double quotes.
std::string quoted_excerpt(std::string_view text, std::size_t max_bytes);

} // namespace usage_archive::core
