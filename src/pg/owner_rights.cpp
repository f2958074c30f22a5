#include "owner_rights.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace usage_archive::pg {

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
