#include "citus_node.hpp"

#include "error_bridge.hpp"

extern "C" {
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
}

namespace usage_archive::pg {

bool citus_installed() {
    return pg_call([]() noexcept { return OidIsValid(get_extension_oid("citus", true)); });
}

void refuse_on_citus_worker() {
    // Citus 11 and later define pg_catalog.citus_is_coordinator(); no such function, no Citus.
    const int answer = pg_call([]() noexcept {
        List *name = list_make2(makeString(pstrdup("pg_catalog")), makeString(pstrdup("citus_is_coordinator")));
        const Oid fn = LookupFuncName(name, 0, nullptr, true);
        if (!OidIsValid(fn))
            return -1;
        return DatumGetBool(OidFunctionCall0(fn)) ? 1 : 0;
    });
    if (answer == 0)
        throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                       "usage_archive archives on the Citus coordinator only, and this node is a Citus worker",
                       "A worker's own sequences would give service lines ids the coordinator has given out, and "
                       "its writes would bypass the distribution of the archive's tables.",
                       "Connect to the coordinator and archive there (docs/scaling.md).");
}

} // namespace usage_archive::pg
