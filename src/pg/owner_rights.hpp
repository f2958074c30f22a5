// Running a statement with the rights of a table's owner, as PostgreSQL's own foreign-key
// checks do: for what the extension must be able to do whatever the caller was granted
// (read a source's secret, take the foreign key's row locks).
#pragma once

#include "error_bridge.hpp"
#include "setting_scope.hpp"

namespace usage_archive::pg {

// The owner of schema.table, and of the relation relid.
Oid table_owner(const char *schema, const char *table);
Oid relation_owner(Oid relid);

// with_rights_of for a saved plan whose SQL names every object and operator with its schema:
// without the search_path setting, which costs more than such a statement when it runs per
// transaction (the uniqueness guard's counters).
template <typename Fn> void with_rights_of_for_qualified_sql(Oid role, Fn fn) {
    Oid caller;
    int context;
    GetUserIdAndSecContext(&caller, &context);
    // SECURITY_RESTRICTED_OPERATION: nothing the caller controls runs with these rights.
    SetUserIdAndSecContext(role, context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    try {
        fn();
    } catch (...) {
        SetUserIdAndSecContext(caller, context);
        throw;
    }
    SetUserIdAndSecContext(caller, context);
}

// Runs fn with the rights of `role`.
template <typename Fn> void with_rights_of(Oid role, Fn fn) {
    // No function or operator the caller defined may be picked up with these rights; the
    // statements also qualify their operators, as PostgreSQL's RI checks do.
    SettingScope settings({{"search_path", "pg_catalog, pg_temp"}});
    with_rights_of_for_qualified_sql(role, fn);
    settings.end();
}

template <typename Fn> void with_owner_rights(const char *schema, const char *table, Fn fn) {
    with_rights_of(table_owner(schema, table), fn);
}

} // namespace usage_archive::pg
