// How a table is protected (usage_archive_private.protections), as protect() recorded it.
#pragma once

#include "pg_prelude.hpp"

#include <optional>
#include <string>
#include <vector>

namespace usage_archive::pg {

struct ProtectionConfig {
    std::vector<std::string> keys;
    std::vector<std::string> compare;
    std::string tolerance; // numeric, as text
};

// Read with the registry owner's rights; nullopt when the table is not protected.
std::optional<ProtectionConfig> find_protection(Oid table);

// Same, but raises 55000 when the table is not (or no longer) protected.
ProtectionConfig load_protection(Oid table);

} // namespace usage_archive::pg
