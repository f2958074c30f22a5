// Running a statement with the rights of a table's owner, as PostgreSQL's own foreign-key
// checks do: for what the extension must be able to do whatever the caller was granted
// (read a source's secret, take the foreign key's row locks).
#pragma once

#include "error_bridge.hpp"

namespace usage_archive::pg {

// The owner of schema.table.
Oid table_owner(const char *schema, const char *table);

// Sets search_path to pg_catalog, pg_temp (returning the GUC nest level to end it with), so
// no function or operator the caller defined can be picked up while the owner's rights are
// in force. The statements also qualify their operators, as PostgreSQL's RI checks do.
int begin_owner_search_path();
void end_owner_search_path(int nest_level);

template <typename Fn> void with_owner_rights(const char *schema, const char *table, Fn fn) {
    const Oid owner = table_owner(schema, table);
    Oid caller;
    int context;
    GetUserIdAndSecContext(&caller, &context);
    const int nest_level = begin_owner_search_path();
    // SECURITY_RESTRICTED_OPERATION: nothing the caller controls runs with these rights.
    SetUserIdAndSecContext(owner, context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    try {
        fn();
    } catch (...) {
        SetUserIdAndSecContext(caller, context);
        throw; // the aborting (sub)transaction ends the search_path setting
    }
    SetUserIdAndSecContext(caller, context);
    end_owner_search_path(nest_level);
}

} // namespace usage_archive::pg
