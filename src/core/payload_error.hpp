// Why a whole payload was refused. Record-level problems are rejections, not errors: these
// are for input that cannot be read at all, where archiving any of it would be a guess.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace usage_archive::core {

class PayloadError : public std::runtime_error {
  public:
    enum class Kind {
        syntax,       // not JSON
        shape,        // JSON, but not the source kind's shape
        out_of_range, // JSON, but a number no double holds (1e400): nothing can represent it
        api_reported  // the API's own envelope says the request failed (isValid: false)
    };

    PayloadError(Kind kind, std::string message, std::size_t byte_offset = 0, std::string json_path = {})
        : std::runtime_error(std::move(message)), kind_(kind), byte_offset_(byte_offset), json_path_(std::move(json_path)) {}

    Kind kind() const { return kind_; }
    std::size_t byte_offset() const { return byte_offset_; }
    const std::string &json_path() const { return json_path_; }

  private:
    Kind kind_;
    std::size_t byte_offset_;
    std::string json_path_;
};

} // namespace usage_archive::core
