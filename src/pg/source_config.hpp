// A registered source (usage_archive.sources) as an archive run needs it.
#pragma once

#include "core/usage_record.hpp"

#include <string>

namespace usage_archive::pg {

struct SourceConfig {
    std::string name;
    core::SourceKind kind;
    bool register_new_service_lines; // options.register_new_service_lines, default true
};

// Raises 42704 when the source does not exist and 55000 when it is disabled.
SourceConfig load_source(const std::string &name);

// Serialises archive runs of one source until the transaction ends, so two runs of the same
// source never race to insert the same (service line, day). Runs of different sources
// proceed in parallel: a service line belongs to one source.
void lock_source_for_archive(const std::string &name);

} // namespace usage_archive::pg
