// REPEATABLE READ and SERIALIZABLE: a run must not report rows unchanged that it compared
// with an outdated snapshot. The transaction's snapshot is taken when its first statement
// starts; a run of the same source can commit after that while this run waits for the
// source's lock. Compared against the old snapshot, the other run's corrections would look
// like nothing to do, and this run, committing last, would leave them in place while
// reporting "unchanged". Writes in such a case fail by themselves (PostgreSQL's "could not
// serialize access"); reads that lead to no write need this check.
#pragma once

#include "usage_diff.hpp"

#include <string>

namespace usage_archive::pg {

// Reads the same archived rows again with the latest snapshot and raises 40001 if any of
// the rows the diff compared against (diff.compared_versions) is not the current version,
// was deleted, or a row appeared where the diff saw none.
void require_compared_rows_current(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                   const DiffOutcome &diff, const std::string &source);

} // namespace usage_archive::pg
