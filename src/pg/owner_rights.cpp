#include "owner_rights.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace usage_archive::pg {

Oid relation_owner(Oid relid) {
    return pg_call([relid]() noexcept {
        HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
        if (!HeapTupleIsValid(tuple))
            elog(ERROR, "usage_archive: relation %u is missing", relid);
        const Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relowner;
        ReleaseSysCache(tuple);
        return owner;
    });
}

Oid table_owner(const char *schema, const char *table) {
    const Oid relid = pg_call([schema, table]() noexcept { return get_relname_relid(table, get_namespace_oid(schema, false)); });
    if (!OidIsValid(relid))
        pg_call([schema, table]() noexcept { elog(ERROR, "usage_archive: table %s.%s is missing", schema, table); });
    return relation_owner(relid);
}

} // namespace usage_archive::pg
