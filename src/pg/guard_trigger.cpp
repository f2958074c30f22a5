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
#include "protection_config.hpp"
#include "spi_support.hpp"
#include "target_table.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <unordered_map>

extern "C" {
#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/tableam.h"
#include "catalog/partition.h"
#include "catalog/pg_am.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "parser/parse_coerce.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"
}

namespace usage_archive::pg {
namespace {

// A unique btree index on exactly the key columns of the relation the trigger fires on, read
// with a dirty snapshot to see keys inserted by transactions still in progress.
struct ProbeIndex {
    Oid index = InvalidOid; // none: the key locks are held until the transaction ends
    int nkeys = 0;
    int key_position[INDEX_MAX_KEYS]; // index column i holds key i's value
    RegProcedure equality[INDEX_MAX_KEYS];
    Oid collation[INDEX_MAX_KEYS];
};

// What the trigger needs for one relation it fires on (a protected table, or one of its
// partitions), kept for the backend's life and rebuilt when the relation changes.
struct GuardPlan {
    bool valid = true;
    int busy = 0;          // calls using it now: a nested call that finds it invalid retires it
    Oid root = InvalidOid; // the protected table
    std::vector<AttrNumber> key_attnos, compare_attnos; // in the relation the trigger fires on
    std::vector<Oid> key_types, compare_types, key_collations;
    std::vector<FmgrInfo> key_hashes; // the key types' hash functions (fn_oid invalid: hash the text)
    Datum tolerance = 0;              // numeric, in TopMemoryContext
    SPIPlanPtr lookup = nullptr;      // keys, compare values, tolerance -> (tableoid, ctid, differs)
    SPIPlanPtr update = nullptr;      // (tableoid, ctid, compare values) -> the row updated
    ProbeIndex probe;
};

std::unordered_map<Oid, std::unique_ptr<GuardPlan>> plans;
// Invalid plans still in use by an outer call (a trigger of the user's, fired by the guard's
// update, inserted into the same table): freed once no call uses them.
std::vector<std::unique_ptr<GuardPlan>> retired;
// The relations a plan being built depends on, and whether one of them changed meanwhile.
std::vector<Oid> building_from;
bool building_invalidated = false;
bool invalidation_registered = false;

// Marks plans of a changed relation (any, on InvalidOid) to be rebuilt; freed at next use,
// not here, because invalidation can run in the middle of anything. Must not throw.
extern "C" void forget_guard_plans(Datum, Oid relid) {
    for (auto &entry : plans)
        if (entry.second && (!OidIsValid(relid) || entry.first == relid || entry.second->root == relid))
            entry.second->valid = false;
    for (Oid o : building_from)
        if (!OidIsValid(relid) || o == relid)
            building_invalidated = true;
}

void free_plans(GuardPlan &plan) {
    if (plan.lookup)
        spi_free_saved_plan(plan.lookup);
    if (plan.update)
        spi_free_saved_plan(plan.update);
    if (plan.tolerance)
        pg_call([&plan]() noexcept { pfree(DatumGetPointer(plan.tolerance)); });
    plan.lookup = plan.update = nullptr;
    plan.tolerance = 0;
}

// The protected table whose guard fires on relid: relid itself, or its nearest registered
// ancestor when relid is a partition (a partitioned table's trigger is cloned onto each).
Oid protected_table_of(Oid relid) {
    std::vector<Oid> candidates = {relid};
    pg_call([relid, &candidates]() noexcept {
        if (!get_rel_relispartition(relid))
            return;
        List *ancestors = get_partition_ancestors(relid); // the parent first
        ListCell *lc;
        foreach (lc, ancestors)
            candidates.push_back(lfirst_oid(lc));
        list_free(ancestors);
    });
    for (Oid candidate : candidates)
        if (find_protection(candidate))
            return candidate;
    (void)load_protection(relid); // 55000, naming the table
    return relid;
}

// The relation's unique btree index on exactly the key columns (in any order), without
// predicate or expressions; none when there is no such index or a key's type would need a
// conversion to be compared with it.
ProbeIndex find_probe_index(Relation rel, const std::vector<AttrNumber> &key_attnos, const std::vector<Oid> &key_types) {
    const int nkeys = static_cast<int>(key_attnos.size());
    if (nkeys > INDEX_MAX_KEYS)
        return {};
    const AttrNumber *attnos = key_attnos.data();
    const Oid *types = key_types.data();
    return pg_call([rel, nkeys, attnos, types]() noexcept {
        ProbeIndex found;
        List *indexes = RelationGetIndexList(rel);
        ListCell *lc;
        foreach (lc, indexes) {
            Relation index = index_open(lfirst_oid(lc), AccessShareLock);
            const Form_pg_index form = index->rd_index;
            bool fits = index->rd_rel->relam == BTREE_AM_OID && form->indisunique && form->indisvalid &&
                        form->indnkeyatts == nkeys && RelationGetIndexPredicate(index) == NIL &&
                        RelationGetIndexExpressions(index) == NIL;
            ProbeIndex candidate;
            std::uint64_t covered = 0;
            for (int i = 0; fits && i < nkeys; ++i) {
                int position = -1;
                for (int k = 0; k < nkeys; ++k)
                    if (attnos[k] == form->indkey.values[i])
                        position = k;
                const Oid opcintype = index->rd_opcintype[i];
                const Oid op = get_opfamily_member(index->rd_opfamily[i], opcintype, opcintype, BTEqualStrategyNumber);
                fits = position >= 0 && OidIsValid(op) &&
                       (types[position] == opcintype || IsBinaryCoercible(types[position], opcintype));
                if (fits) {
                    covered |= std::uint64_t{1} << position;
                    candidate.key_position[i] = position;
                    candidate.equality[i] = get_opcode(op);
                    candidate.collation[i] = index->rd_indcollation[i];
                }
            }
            fits = fits && covered == (nkeys == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << nkeys) - 1);
            if (fits) {
                candidate.index = RelationGetRelid(index);
                candidate.nkeys = nkeys;
                found = candidate;
            }
            index_close(index, NoLock);
            if (fits)
                break;
        }
        list_free(indexes);
        return found;
    });
}

void build(GuardPlan &plan, Relation rel) {
    const Oid relid = RelationGetRelid(rel);
    plan.root = protected_table_of(relid);
    building_from.push_back(plan.root);
    const ProtectionConfig config = load_protection(plan.root);
    const TargetTable root = describe_table(plan.root);
    const TargetTable here = plan.root == relid ? root : describe_table(relid);
    const std::vector<TargetColumn> keys = pick_columns(root, config.keys, "key column");
    const std::vector<TargetColumn> compare = pick_columns(root, config.compare, "compared column");

    std::vector<Oid> lookup_types, update_types = {OIDOID, TIDOID};
    std::string where, differs, set;
    int param = 0;
    for (const TargetColumn &k : keys) {
        const TargetColumn *local = here.find(k.name);
        plan.key_attnos.push_back(local->attno);
        plan.key_types.push_back(k.type);
        plan.key_collations.push_back(k.collation);
        lookup_types.push_back(k.type);
        where += (where.empty() ? "" : " AND ") + equals_sql(k, "t." + k.quoted, "$" + std::to_string(++param));
        FmgrInfo hash;
        hash.fn_oid = InvalidOid;
        const Oid type = k.type;
        const Oid hash_proc = pg_call([type]() noexcept { return lookup_type_cache(type, TYPECACHE_HASH_PROC)->hash_proc; });
        if (OidIsValid(hash_proc))
            pg_call([&hash, hash_proc]() noexcept { fmgr_info_cxt(hash_proc, &hash, TopMemoryContext); });
        plan.key_hashes.push_back(hash);
    }
    const std::string tolerance_param = "$" + std::to_string(keys.size() + compare.size() + 1);
    for (std::size_t i = 0; i < compare.size(); ++i) {
        const TargetColumn &c = compare[i];
        plan.compare_attnos.push_back(here.find(c.name)->attno);
        plan.compare_types.push_back(c.type);
        lookup_types.push_back(c.type);
        update_types.push_back(c.type);
        const std::string value = "$" + std::to_string(++param);
        differs += (differs.empty() ? "" : " OR ") + differs_sql(c, "t." + c.quoted, value, tolerance_param);
        set += (set.empty() ? "" : ", ") + c.quoted + " = $" + std::to_string(i + 3);
    }
    lookup_types.push_back(NUMERICOID);
    if (differs.empty())
        differs = "false";
    plan.lookup = spi_saved_plan("SELECT t.tableoid, t.ctid, " + differs + " FROM " + root.own_rows + " t WHERE " + where,
                                 lookup_types);
    // Through the protected table, not the partition holding the row: its grants, its
    // row-level security and its row movement apply, as to an UPDATE the user would write.
    if (!set.empty())
        plan.update = spi_saved_plan("UPDATE " + root.own_rows + " t SET " + set +
                                         " WHERE t.tableoid OPERATOR(pg_catalog.=) $1 AND t.ctid OPERATOR(pg_catalog.=) $2",
                                     update_types);
    plan.probe = find_probe_index(rel, plan.key_attnos, plan.key_types);
    // In a partition, the partition's index is enough only when the partitioned table has a
    // unique index on the key too: then the key determines the partition.
    if (OidIsValid(plan.probe.index) && plan.root != relid && unique_index_on(plan.root, keys).empty())
        plan.probe = ProbeIndex{};
    const std::string tolerance = config.tolerance;
    const char *tol = tolerance.c_str();
    plan.tolerance = pg_call([tol]() noexcept {
        MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
        Datum d = DirectFunctionCall3(numeric_in, CStringGetDatum(tol), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
        MemoryContextSwitchTo(old);
        return d;
    });
}

// The plan for the relation the trigger fires on, built on first use and after a change.
GuardPlan &plan_for(Relation rel) {
    if (!invalidation_registered) {
        pg_call([]() noexcept { CacheRegisterRelcacheCallback(forget_guard_plans, 0); });
        invalidation_registered = true;
    }
    const Oid relid = RelationGetRelid(rel);
    auto found = plans.find(relid);
    if (found != plans.end() && found->second->valid)
        return *found->second;
    if (found != plans.end()) {
        std::unique_ptr<GuardPlan> old = std::move(found->second);
        plans.erase(found);
        if (old->busy > 0) {
            retired.push_back(std::move(old));
        } else {
            free_plans(*old);
        }
    }
    auto fresh = std::make_unique<GuardPlan>();
    building_from = {relid};
    building_invalidated = false;
    try {
        build(*fresh, rel);
    } catch (...) {
        building_from.clear();
        free_plans(*fresh);
        throw;
    }
    building_from.clear();
    fresh->valid = !building_invalidated; // used for this row, rebuilt for the next
    GuardPlan &plan = *fresh;
    plans[relid] = std::move(fresh);
    return plan;
}

void free_retired_plans() {
    for (auto it = retired.begin(); it != retired.end();) {
        if ((*it)->busy > 0) {
            ++it;
            continue;
        }
        free_plans(**it);
        it = retired.erase(it);
    }
}

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

// Serializes sessions inserting the same key of the same table. The lock tag's last field
// (not the 1 or 2 of pg_advisory_lock) keeps it apart from the application's own advisory
// locks.
LOCKTAG lock_key(const GuardPlan &plan, const Datum *keys, bool session_lock) {
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

// After a lookup found nothing: whether the probe index holds the key anyway, in a row the
// lookup's snapshot could not see. A row of a transaction still in progress (inserted, or
// being deleted) is waited for, as a unique check waits; a row committed since the snapshot
// is reported. Either way the caller looks again.
enum class Unseen { nothing, waited, committed };

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
    locks_until_next_row.reserve(locks_until_next_row.size() + 1); // no failure between lock and record
    const LOCKTAG tag = lock_key(plan, values.data(), probed);
    if (probed)
        locks_until_next_row.push_back(KeyLock{tag, depth});

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
