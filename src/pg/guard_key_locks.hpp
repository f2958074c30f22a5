// The uniqueness guard's key locks, and its probe of the unique index on the key that lets a
// lock end at the guard's next row instead of at the transaction's end (guard_trigger.cpp
// says why; docs/design-notes.md, "The guard").
#pragma once

#include "guard_plan.hpp"

namespace usage_archive::pg {

// pg_trigger_depth() of the row being guarded.
int trigger_depth();

// Releases the short key locks of the rows guarded earlier at `depth` or deeper: they are
// in the index by now.
void release_finished_rows(int depth);

// Serializes sessions inserting the same key of the plan's protected table: a session lock
// released at the guard's next row at `depth` or shallower when the plan has a probe index,
// else a lock held until the transaction ends.
void lock_key(const GuardPlan &plan, const Datum *keys, int depth);

// After a lookup found nothing: whether the probe index holds the key anyway, in a row the
// lookup's snapshot could not see. A row of a transaction still in progress (inserted, or
// being deleted) is waited for, as a unique check waits; a row committed since the snapshot
// is reported. Either way the caller looks again.
enum class Unseen { nothing, waited, committed };
Unseen key_taken_unseen(const GuardPlan &plan, Relation heap, const Datum *keys);

} // namespace usage_archive::pg
