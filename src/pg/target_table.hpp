// A table of the user's (a legacy table to protect, archive into or deduplicate), described
// from the catalog, and the SQL fragments that compare its rows. Every identifier in a
// fragment is quoted and every operator named with its schema: a table or column called
// x"; DROP TABLE y; -- is just a name, and no operator on the caller's search_path is used.
#pragma once

#include "pg_prelude.hpp"

#include <string>
#include <vector>

namespace usage_archive::pg {

struct TargetColumn {
    std::string name;
    std::string quoted; // "name", as an identifier
    AttrNumber attno;
    Oid type;
    Oid collation;
    bool generated;
    // Filled by the table itself: an identity column, or one whose default is computed (a
    // serial id, a created_at timestamp) rather than a constant. It describes the row, not
    // the data, and is not compared by default.
    bool filled_by_table;
    std::string type_name;     // its type, for casts: format_type_be
    std::string equality;      // OPERATOR(schema.=) of the type's default equality, empty: none
    bool tolerant;             // a number type: compared within the tolerance
};

struct TargetTable {
    Oid relid;
    std::string qualified; // "schema"."table"
    // The table's own rows, for FROM, UPDATE and DELETE: ONLY "schema"."table" for a plain
    // table (inheritance children are other tables, with other rows and columns), the
    // partitioned table itself (its partitions hold its rows).
    std::string own_rows;
    char relkind; // RELKIND_RELATION or RELKIND_PARTITIONED_TABLE
    std::vector<TargetColumn> columns;

    const TargetColumn *find(const std::string &name) const;
};

// A plain or partitioned table; 42809 for anything else, 42P01 when it does not exist (also
// for the oid of a dropped table).
TargetTable describe_table(Oid relid);

// The named columns (in the given order); 42703 for an unknown one, 22023 for an empty,
// duplicated or generated one. `what` names the list in messages ("key column").
std::vector<TargetColumn> pick_columns(const TargetTable &table, const std::vector<std::string> &names, const char *what);

// "<left> = <right>" with the column type's equality operator (42883 when it has none).
std::string equals_sql(const TargetColumn &column, const std::string &left, const std::string &right);

// True when <right> differs from <left>: numbers by more than <tolerance> (a numeric
// expression), other types by their equality (or their text when they have none); NULL
// differs from a value.
std::string differs_sql(const TargetColumn &column, const std::string &left, const std::string &right,
                        const std::string &tolerance);

// jsonb_build_object('k1', <prefix>k1, ...) of the columns.
std::string key_json_sql(const std::vector<TargetColumn> &columns, const std::string &prefix);

// The name of a valid unique index (immediate, no predicate or expressions) on exactly the
// columns `keys` (in any order): one that makes a duplicate key impossible and can arbitrate
// ON CONFLICT (keys); empty when none.
std::string unique_index_on(Oid relid, const std::vector<TargetColumn> &keys);

// An index whose columns are all among `keys` (unique or not): one that serves lookups by the
// keys; empty when none.
std::string index_on(Oid relid, const std::vector<TargetColumn> &keys);

} // namespace usage_archive::pg
