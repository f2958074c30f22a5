#include "owner_rights.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "utils/guc.h"
#include "catalog/pg_class.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace usage_archive::pg {

int begin_owner_search_path() {
    return pg_call([] {
        const int nest_level = NewGUCNestLevel();
        (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
                                0, false);
        return nest_level;
    });
}

void end_owner_search_path(int nest_level) {
    pg_call([nest_level] { AtEOXact_GUC(true, nest_level); });
}

Oid table_owner(const char *schema, const char *table) {
    return pg_call([schema, table] {
        const Oid relid = get_relname_relid(table, get_namespace_oid(schema, false));
        HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
        if (!HeapTupleIsValid(tuple))
            elog(ERROR, "usage_archive: table %s.%s is missing", schema, table);
        const Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relowner;
        ReleaseSysCache(tuple);
        return owner;
    });
}

} // namespace usage_archive::pg
