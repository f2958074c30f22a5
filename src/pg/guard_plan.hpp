// The uniqueness guard's prepared state for each relation its trigger fires on
// (guard_trigger.cpp): the key and compared columns, the saved lookup and update plans, and
// the unique index that lets a key lock be short. Kept for the backend's life and rebuilt
// when the relation or its protected table changes (docs/design-notes.md, "The guard").
#pragma once

#include "pg_prelude.hpp"

#include <vector>

extern "C" {
#include "utils/relcache.h"
}

namespace usage_archive::pg {

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

// The plan for the relation the trigger fires on, built on first use and after a change. The
// caller counts itself in `busy` while it uses the plan.
GuardPlan &plan_for(Relation rel);

// Frees the plans an invalidation retired while an outer call used them, once none does.
void free_retired_plans();

} // namespace usage_archive::pg
