// The event trigger usage_archive_before_drop (usage_archive--0.8.0--0.9.0.sql): before a DROP
// EXTENSION that names usage_archive, usage_archive_private.prepare_drop_on_citus() detaches the
// history's DEFAULT partition on a Citus coordinator, where Citus would otherwise fail to drop
// that extension-owned partition of a distributed table on the workers (docs/scaling.md).
#include "error_bridge.hpp"
#include "spi_support.hpp"

#include <cstring>

extern "C" {
#include "commands/event_trigger.h"
#include "nodes/parsenodes.h"
}

namespace usage_archive::pg {
namespace {

// The statement the trigger fires for is DROP EXTENSION ... usage_archive ...
bool drops_usage_archive(FunctionCallInfo fcinfo) {
    return pg_call([fcinfo]() noexcept {
        if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
            ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                            errmsg("usage_archive_private.before_drop_extension() is called as an event trigger only")));
        const EventTriggerData *event = reinterpret_cast<EventTriggerData *>(fcinfo->context);
        if (!event->parsetree || !IsA(event->parsetree, DropStmt))
            return false;
        const DropStmt *drop = reinterpret_cast<DropStmt *>(event->parsetree);
        if (drop->removeType != OBJECT_EXTENSION)
            return false;
        ListCell *cell;
        foreach (cell, drop->objects)
            if (IsA(lfirst(cell), String) && std::strcmp(strVal(lfirst(cell)), "usage_archive") == 0)
                return true;
        return false;
    });
}

Datum before_drop_extension_body(FunctionCallInfo fcinfo) {
    if (drops_usage_archive(fcinfo)) {
        spi_connect();
        spi_execute("SELECT usage_archive_private.prepare_drop_on_citus()", {});
        spi_finish();
    }
    return PointerGetDatum(nullptr);
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_before_drop_extension, usage_archive::pg::before_drop_extension_body)
