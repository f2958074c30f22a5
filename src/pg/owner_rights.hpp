// Running a statement with the rights of a table's owner, as PostgreSQL's own foreign-key
// checks do: for what the extension must be able to do whatever the caller was granted
// (read a source's secret, take the foreign key's row locks).
#pragma once

#include "error_bridge.hpp"

namespace usage_archive::pg {

// The owner of schema.table.
Oid table_owner(const char *schema, const char *table);

template <typename Fn> void with_owner_rights(const char *schema, const char *table, Fn fn) {
    const Oid owner = table_owner(schema, table);
    Oid caller;
    int context;
    GetUserIdAndSecContext(&caller, &context);
    // SECURITY_RESTRICTED_OPERATION: nothing the caller controls runs with these rights.
    SetUserIdAndSecContext(owner, context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    try {
        fn();
    } catch (...) {
        SetUserIdAndSecContext(caller, context);
        throw;
    }
    SetUserIdAndSecContext(caller, context);
}

} // namespace usage_archive::pg
