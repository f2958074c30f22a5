// What the uniqueness guard did, per protected table (inserted, converted_to_update,
// suppressed; usage_archive.protected_tables). Counted in the backend and added when the
// transaction commits, so a rolled-back transaction counts nothing. Each backend adds to its
// own row of usage_archive_private.protection_counts (one per table and backend slot):
// sessions inserting into the same protected table never wait for each other's counts.
#pragma once

#include "pg_prelude.hpp"

namespace usage_archive::pg {

void count_guarded(Oid table, bool inserted, bool converted_to_update, bool suppressed);

} // namespace usage_archive::pg
