#include "usage_record.hpp"

namespace usage_archive::core {

std::optional<SourceKind> parse_source_kind(std::string_view name) {
    if (name == "starlink")
        return SourceKind::starlink;
    if (name == "simple")
        return SourceKind::simple;
    return std::nullopt;
}

const char *source_kind_name(SourceKind kind) {
    return kind == SourceKind::starlink ? "starlink" : "simple";
}

} // namespace usage_archive::core
