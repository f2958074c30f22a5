// usage_archive.enforce_unique(): the BEFORE INSERT row trigger protect() attaches. For each
// row inserted (INSERT, INSERT ... SELECT, COPY; on a partitioned table, on its partitions):
//
//   1. an advisory lock on (table, key): sessions inserting the same key serialize, with or
//      without a unique index, so no duplicate is ever created;
//   2. a lookup of the key in the protected table (a saved plan: an index scan when an index
//      serves the key), which also says whether a compared column differs;
//   3. no row: the insert goes ahead. A row that differs: it is updated instead and the
//      insert suppressed. A row that does not differ: the insert is suppressed.
//
// How long the lock is held. Without a unique index on exactly the key, until the
// transaction ends: a row inserted but not yet committed is invisible to the others' lookups,
// and only the lock keeps them from inserting the key again. With such an index, only until
// the row is in the index (the guard's next row, or the end of the transaction): a lookup that
// finds nothing then also reads the index as a unique check does, sees rows of transactions
// still in progress and waits for them (key_taken_unseen). A transaction inserting millions of
// new keys thus holds one lock, not millions (the lock table holds a few thousand).
//
// Rows whose key has a NULL are inserted as they come, as a unique constraint would let them.
// The lookup and the update run as the inserting role: it needs SELECT on the table, and
// UPDATE when the guard turns an insert into an update. The function does not pin its
// search_path (a setting changed per row costs more than the guard's lookup): every statement
// it prepares names its objects and operators with their schema, and it runs with the
// inserting role's rights, nobody else's.
#include "guard_counters.hpp"
#include "guard_key_locks.hpp"
#include "guard_plan.hpp"
#include "spi_support.hpp"

#include <algorithm>
#include <vector>

extern "C" {
#include "commands/trigger.h"
}

namespace usage_archive::pg {
namespace {

enum class Outcome { inserted, converted_to_update, suppressed };

Outcome guard_row(GuardPlan &plan, Relation rel, HeapTuple row, int depth) {
    const TupleDesc desc = RelationGetDescr(rel);
    const std::size_t nkeys = plan.key_attnos.size(), ncompare = plan.compare_attnos.size();
    std::vector<Datum> values(nkeys + ncompare + 1);
    std::vector<char> nulls(nkeys + ncompare + 2, ' ');
    for (std::size_t i = 0; i < nkeys; ++i) {
        bool is_null;
        values[i] = heap_getattr(row, plan.key_attnos[i], desc, &is_null);
        if (is_null)
            return Outcome::inserted; // NULL keys never match, as in a unique constraint
    }
    for (std::size_t i = 0; i < ncompare; ++i) {
        bool is_null;
        values[nkeys + i] = heap_getattr(row, plan.compare_attnos[i], desc, &is_null);
        nulls[nkeys + i] = is_null ? 'n' : ' ';
    }
    values[nkeys + ncompare] = plan.tolerance;
    const bool probed = OidIsValid(plan.probe.index);
    lock_key(plan, values.data(), depth);

    struct Match {
        Oid table;
        ItemPointerData tid;
        bool differs;
    };
    std::vector<Match> missed; // rows whose update changed nothing
    // Looked up again: a row updated by someone else between the lookup and the update, and a
    // key the probe found taken by a row the lookup did not see.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const std::uint64_t found = spi_execute_saved(plan.lookup, values.data(), nulls.data(), SPI_OK_SELECT);
        if (found == 0) {
            spi_free_result();
            // REPEATABLE READ and SERIALIZABLE: a row committed after the transaction's
            // snapshot can never be seen, nor updated; inserting would duplicate it.
            const bool snapshot_fixed = pg_call([]() noexcept { return IsolationUsesXactSnapshot(); });
            if (probed) {
                const Unseen unseen = key_taken_unseen(plan, rel, values.data());
                if (unseen == Unseen::nothing)
                    return Outcome::inserted;
                if (unseen == Unseen::committed && snapshot_fixed)
                    break;
                continue;
            }
            if (snapshot_fixed) {
                const std::uint64_t committed_since = spi_query_saved_latest(plan.lookup, values.data(), nulls.data());
                spi_free_result();
                if (committed_since > 0)
                    break;
            }
            return Outcome::inserted;
        }
        std::vector<Match> matches;
        for (std::uint64_t r = 0; r < found; ++r) {
            bool is_null;
            const Oid table = DatumGetObjectId(spi_datum(r, 1, &is_null));
            const ItemPointer tid = reinterpret_cast<ItemPointer>(DatumGetPointer(spi_datum(r, 2, &is_null)));
            const bool differs = DatumGetBool(spi_datum(r, 3, &is_null)) && !is_null;
            matches.push_back(Match{table, *tid, differs});
        }
        spi_free_result();
        bool any_differs = false, lost = false;
        for (Match &m : matches) {
            // Missed before at the same version: the update was not lost to another session
            // (the row would have a new version), a BEFORE UPDATE trigger of the user's
            // returned NULL. The insert is suppressed, as the trigger wanted nothing written.
            const bool refused_before = std::any_of(missed.begin(), missed.end(), [&m](const Match &x) {
                return x.table == m.table && ItemPointerEquals(const_cast<ItemPointer>(&x.tid), &m.tid);
            });
            if (!m.differs || refused_before)
                continue;
            any_differs = true;
            std::vector<Datum> args = {ObjectIdGetDatum(m.table), PointerGetDatum(&m.tid)};
            std::vector<char> args_nulls = {' ', ' '};
            args.insert(args.end(), values.begin() + static_cast<std::ptrdiff_t>(nkeys),
                        values.begin() + static_cast<std::ptrdiff_t>(nkeys + ncompare));
            args_nulls.insert(args_nulls.end(), nulls.begin() + static_cast<std::ptrdiff_t>(nkeys),
                              nulls.begin() + static_cast<std::ptrdiff_t>(nkeys + ncompare));
            args_nulls.push_back('\0');
            const std::uint64_t updated = spi_execute_saved(plan.update, args.data(), args_nulls.data(), SPI_OK_UPDATE);
            if (updated == 0) {
                lost = true;
                missed.push_back(m);
            }
        }
        if (!lost)
            return any_differs ? Outcome::converted_to_update : Outcome::suppressed;
    }
    // A row with the key committed after the transaction's snapshot (REPEATABLE READ,
    // SERIALIZABLE), or rows that kept changing: reported as INSERT ... ON CONFLICT does.
    throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                   "could not serialize the insert with concurrent changes to the same key", {},
                   "Retry the transaction.");
}

Datum enforce_unique_body(FunctionCallInfo fcinfo) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED, "enforce_unique() must be called as a trigger");
    TriggerData *trigger = reinterpret_cast<TriggerData *>(fcinfo->context);
    if (!TRIGGER_FIRED_BEFORE(trigger->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigger->tg_event) ||
        !TRIGGER_FIRED_BY_INSERT(trigger->tg_event))
        throw SqlError(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                       "enforce_unique() must be a BEFORE INSERT ... FOR EACH ROW trigger (use usage_archive.protect())");
    const int depth = trigger_depth();
    release_finished_rows(depth);
    spi_connect();
    GuardPlan &plan = plan_for(trigger->tg_relation);
    ++plan.busy;
    Outcome outcome;
    try {
        outcome = guard_row(plan, trigger->tg_relation, trigger->tg_trigtuple, depth);
    } catch (...) {
        --plan.busy;
        throw;
    }
    --plan.busy;
    free_retired_plans();
    spi_finish();
    count_guarded(plan.root, outcome == Outcome::inserted, outcome == Outcome::converted_to_update,
                  outcome == Outcome::suppressed);
    return outcome == Outcome::inserted ? PointerGetDatum(trigger->tg_trigtuple) : PointerGetDatum(nullptr);
}

} // namespace
} // namespace usage_archive::pg

USAGE_ARCHIVE_SQL_FUNCTION(usage_archive_enforce_unique, usage_archive::pg::enforce_unique_body)
