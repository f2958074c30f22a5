#include "guard_key_locks.hpp"

#include "error_bridge.hpp"

#include <cstring>
#include <limits>
#include <vector>

extern "C" {
#include "access/genam.h"
#include "access/nbtree.h"
#include "access/tableam.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace usage_archive::pg {
namespace {

// Key locks that end when the row they guard is in the probe index: at the guard's next row
// at the same or a shallower trigger depth (a deeper one is an insert made while the row is
// still on its way, by another BEFORE trigger of it), or when the transaction ends. They are
// session locks, released by the guard itself: a transaction lock belongs to the statement's
// resource owner, and the next statement could not release it.
struct KeyLock {
    LOCKTAG tag;
    int depth;
};
std::vector<KeyLock> locks_until_next_row;
bool release_callback_registered = false;

void release_key_locks(int from_depth) {
    for (auto it = locks_until_next_row.begin(); it != locks_until_next_row.end();) {
        if (it->depth < from_depth) {
            ++it;
            continue;
        }
        // Not held: pg_advisory_unlock_all() released it (advisory locks share a lock method).
        if (LockHeldByMe(&it->tag, ExclusiveLock))
            (void)LockRelease(&it->tag, ExclusiveLock, true);
        it = locks_until_next_row.erase(it);
    }
}

// Committed, rolled back or prepared: every row is where it will stay (before PREPARE, as
// a prepared transaction cannot hold session locks).
extern "C" void release_at_transaction_end(XactEvent event, void *) {
    if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_COMMIT ||
        event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PRE_PREPARE)
        release_key_locks(std::numeric_limits<int>::min());
}

// Serializes sessions inserting the same key of the same table. The lock tag's last field
// (not the 1 or 2 of pg_advisory_lock) keeps it apart from the application's own advisory
// locks.
LOCKTAG acquire_key_lock(const GuardPlan &plan, const Datum *keys, bool session_lock) {
    std::uint32_t hash = 0x5a17u;
    for (std::size_t i = 0; i < plan.key_hashes.size(); ++i) {
        const FmgrInfo *fn = &plan.key_hashes[i];
        const Datum key = keys[i];
        const Oid collation = plan.key_collations[i];
        const Oid type = plan.key_types[i];
        const std::uint32_t h = pg_call([fn, key, collation, type]() noexcept {
            if (OidIsValid(fn->fn_oid))
                return DatumGetUInt32(FunctionCall1Coll(const_cast<FmgrInfo *>(fn), collation, key));
            Oid output;
            bool varlena;
            getTypeOutputInfo(type, &output, &varlena);
            const char *text = OidOutputFunctionCall(output, key);
            return hash_bytes(reinterpret_cast<const unsigned char *>(text), static_cast<int>(std::strlen(text)));
        });
        hash = hash_combine(hash, h);
    }
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, plan.root, hash, 7);
    pg_call([&tag, session_lock]() noexcept { (void)LockAcquire(&tag, ExclusiveLock, session_lock, false); });
    return tag;
}

} // namespace

int trigger_depth() {
    return pg_call([]() noexcept {
        LOCAL_FCINFO(call, 0);
        InitFunctionCallInfoData(*call, nullptr, 0, InvalidOid, nullptr, nullptr);
        return DatumGetInt32(pg_trigger_depth(call));
    });
}

void release_finished_rows(int depth) {
    if (!release_callback_registered) {
        pg_call([]() noexcept { RegisterXactCallback(release_at_transaction_end, nullptr); });
        release_callback_registered = true;
    }
    pg_call([depth]() noexcept { release_key_locks(depth); });
}

void lock_key(const GuardPlan &plan, const Datum *keys, int depth) {
    const bool until_next_row = OidIsValid(plan.probe.index);
    locks_until_next_row.reserve(locks_until_next_row.size() + 1); // no failure between lock and record
    const LOCKTAG tag = acquire_key_lock(plan, keys, until_next_row);
    if (until_next_row)
        locks_until_next_row.push_back(KeyLock{tag, depth});
}

Unseen key_taken_unseen(const GuardPlan &plan, Relation heap, const Datum *keys) {
    const ProbeIndex *probe = &plan.probe;
    return pg_call([probe, heap, keys]() noexcept {
        ScanKeyData scan_keys[INDEX_MAX_KEYS];
        for (int i = 0; i < probe->nkeys; ++i)
            ScanKeyEntryInitialize(&scan_keys[i], 0, static_cast<AttrNumber>(i + 1), BTEqualStrategyNumber, InvalidOid,
                                   probe->collation[i], probe->equality[i], keys[probe->key_position[i]]);
        Relation index = index_open(probe->index, AccessShareLock);
        SnapshotData dirty;
        InitDirtySnapshot(dirty);
        IndexScanDesc scan = index_beginscan(heap, index, &dirty, probe->nkeys, 0);
        index_rescan(scan, scan_keys, probe->nkeys, nullptr, 0);
        TupleTableSlot *slot = table_slot_create(heap, nullptr);
        Unseen result = Unseen::nothing;
        TransactionId wait_for = InvalidTransactionId;
        ItemPointerData tid;
        if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
            wait_for = TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
            tid = slot->tts_tid;
            result = TransactionIdIsValid(wait_for) ? Unseen::waited : Unseen::committed;
        }
        index_endscan(scan);
        ExecDropSingleTupleTableSlot(slot);
        index_close(index, NoLock);
        if (TransactionIdIsValid(wait_for))
            XactLockTableWait(wait_for, heap, &tid, XLTW_InsertIndex);
        return result;
    });
}

} // namespace usage_archive::pg
