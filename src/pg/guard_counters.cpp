#include "guard_counters.hpp"

#include "owner_rights.hpp"
#include "spi_support.hpp"
#include "subtransaction.hpp"

#include <map>

extern "C" {
#include "access/xact.h"
#include "storage/backendid.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
}

namespace usage_archive::pg {
namespace {

struct Counts {
    std::int64_t inserted = 0, converted = 0, suppressed = 0;

    void add(const Counts &other) {
        inserted += other.inserted;
        converted += other.converted;
        suppressed += other.suppressed;
    }
};
// Per (sub)transaction nesting level: a subtransaction rolled back (ROLLBACK TO SAVEPOINT)
// takes its counts with it; a released one passes them to its parent.
std::map<int, std::map<Oid, Counts>> pending;
bool callback_registered = false;
SPIPlanPtr add_counts = nullptr; // kept for the backend's life

void flush() {
    spi_connect();
    // The registry's owner prepares and runs the statement (the inserting role may not even
    // see the schema); the statement names everything it uses.
    with_rights_of_for_qualified_sql(table_owner("usage_archive_private", "protection_counts"), [] {
        if (!add_counts)
            add_counts = spi_saved_plan(
                "INSERT INTO usage_archive_private.protection_counts AS c "
                "    (table_name, backend_slot, inserted, converted_to_update, suppressed) VALUES ($1, $2, $3, $4, $5) "
                "ON CONFLICT (table_name, backend_slot) DO UPDATE SET "
                "    inserted = c.inserted OPERATOR(pg_catalog.+) EXCLUDED.inserted, "
                "    converted_to_update = c.converted_to_update OPERATOR(pg_catalog.+) EXCLUDED.converted_to_update, "
                "    suppressed = c.suppressed OPERATOR(pg_catalog.+) EXCLUDED.suppressed",
                {OIDOID, INT4OID, INT8OID, INT8OID, INT8OID});
        for (const auto &[table, c] : pending[1]) {
            Datum values[] = {ObjectIdGetDatum(table), Int32GetDatum(MyBackendId), Int64GetDatum(c.inserted),
                              Int64GetDatum(c.converted), Int64GetDatum(c.suppressed)};
            spi_execute_saved(add_counts, values, "     ", SPI_OK_INSERT);
        }
    });
    spi_finish();
}

extern "C" void follow_subtransactions(SubXactEvent event, SubTransactionId, SubTransactionId, void *) {
    if (event != SUBXACT_EVENT_COMMIT_SUB && event != SUBXACT_EVENT_ABORT_SUB)
        return;
    const int level = GetCurrentTransactionNestLevel();
    try {
        for (auto it = pending.lower_bound(level); it != pending.end(); it = pending.erase(it))
            if (event == SUBXACT_EVENT_COMMIT_SUB)
                for (const auto &[table, c] : it->second)
                    pending[level - 1][table].add(c);
    } catch (const std::exception &) {
        pending.clear(); // out of memory: the counts are lost, the transaction is not
    }
}

// Before the commit (or PREPARE TRANSACTION: then COMMIT PREPARED or ROLLBACK PREPARED
// decides): the counts join the transaction. In a subtransaction of their own, so that the
// counts' statement failing cannot make the user's commit fail (a WARNING at worst).
extern "C" void flush_at_commit(XactEvent event, void *) {
    if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) {
        pending.clear();
        return;
    }
    if ((event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE) || pending.empty())
        return;
    // Called from PostgreSQL's commit, a C frame: nothing may be thrown out of here.
    bool flushed = true;
    try {
        InternalSubtransaction subtransaction;
        pg_call([]() noexcept { PushActiveSnapshot(GetTransactionSnapshot()); }); // popped below, or by the rollback
        for (auto it = pending.upper_bound(1); it != pending.end(); it = pending.erase(it)) // none left, normally
            for (const auto &[table, c] : it->second)
                pending[1][table].add(c);
        flush();
        pg_call([]() noexcept { PopActiveSnapshot(); });
        subtransaction.commit();
    } catch (...) {
        flushed = false;
    }
    if (!flushed)
        ereport(WARNING, (errmsg("usage_archive: could not add to the guard's counters")));
    pending.clear();
}

} // namespace

void count_guarded(Oid table, bool inserted, bool converted_to_update, bool suppressed) {
    if (!callback_registered) {
        pg_call([]() noexcept {
            RegisterXactCallback(flush_at_commit, nullptr);
            RegisterSubXactCallback(follow_subtransactions, nullptr);
        });
        callback_registered = true;
    }
    Counts &c = pending[GetCurrentTransactionNestLevel()][table];
    c.inserted += inserted;
    c.converted += converted_to_update;
    c.suppressed += suppressed;
}

} // namespace usage_archive::pg
