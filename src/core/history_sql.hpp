// The statements that write and read daily_usage_history, derived from its description
// (history_row.hpp). Plain text, so a unit test can read what the server will run. The
// writes take their rows as arrays: $1 the service line ids, $2 the days, then one numeric
// array per value column, then the run id.
#pragma once

#include <string>

namespace usage_archive::core {

// INSERT of the rows in the arrays; with `skip_conflicts`, ON CONFLICT on the key DO NOTHING.
// Returns (service_line_id, usage_date) of each row written.
std::string history_insert_sql(bool skip_conflicts);

// How the update names a row the locate statement found.
//   address: by its partition and place (tableoid, ctid) and its key: a TID scan per row. A row
//            updated meanwhile has moved, and is not updated.
//   key:     by its key and its old values (IS NOT DISTINCT FROM each): an index probe per row.
//            A row updated meanwhile to other values is not updated. For Citus, where a
//            distributed table's tableoid and ctid name a shard's row on a worker, and where
//            a LATERAL subquery with OFFSET over a table function cannot be planned; both
//            statements also name the chunk's lines and days with = ANY, so Citus sends each
//            one only to the shards (and partitions) holding them.
enum class RowAddress { address, key };

// The archived rows of the arrays' keys, each found by an index probe (see sql_write.cpp):
// the key, the new values, (by address: the row's tableoid and ctid,) then its old values.
// Those columns, as arrays, are history_update_sql's parameters before the run id.
std::string history_locate_sql(RowAddress by = RowAddress::address);

// UPDATE of the rows history_locate_sql found, each reached as `by` says. With `audited`,
// the row's updated_at is set and the statement returns, after the key, the old and new value
// of each value column in turn (the audit row's order); else just the key.
std::string history_update_sql(bool audited, RowAddress by = RowAddress::address);

// INSERT of audit rows into usage_corrections: $1 the run id, $2 ids, $3 days, then the old
// and new arrays of each value column in turn (the columns history_update_sql returns).
std::string corrections_insert_sql();

// SELECT of the key and the value columns (and, with `with_ctid`, the ctid after them) of the
// rows of lines $1 from day $2 to day $3.
std::string history_range_select_sql(bool with_ctid);

} // namespace usage_archive::core
