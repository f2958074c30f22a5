#include "guard_plan.hpp"

#include "protection_config.hpp"
#include "spi_support.hpp"
#include "target_table.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>

extern "C" {
#include "access/genam.h"
#include "access/nbtree.h"
#include "access/relation.h"
#include "catalog/partition.h"
#include "catalog/pg_am.h"
#include "parser/parse_coerce.h"
#include "utils/fmgrprotos.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"
}

namespace usage_archive::pg {
namespace {

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

} // namespace

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

} // namespace usage_archive::pg
