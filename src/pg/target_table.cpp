#include "target_table.hpp"

#include "error_bridge.hpp"
#include "spi_support.hpp"
#include "sql_arrays.hpp"

#include <algorithm>
#include <set>

extern "C" {
#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

namespace usage_archive::pg {
namespace {

std::string quoted_identifier(const char *name) {
    const char *q = pg_call([name]() noexcept { return quote_identifier(name); });
    return q;
}

// OPERATOR(schema.=) of the type's default equality; empty when it has none.
std::string equality_operator(Oid type) {
    const Oid op = pg_call([type]() noexcept { return lookup_type_cache(type, TYPECACHE_EQ_OPR)->eq_opr; });
    if (!OidIsValid(op))
        return {};
    struct Named {
        const char *schema, *name;
    };
    const Named n = pg_call([op]() noexcept {
        HeapTuple tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(op));
        if (!HeapTupleIsValid(tuple))
            elog(ERROR, "usage_archive: operator %u is missing", op);
        const Form_pg_operator form = reinterpret_cast<Form_pg_operator>(GETSTRUCT(tuple));
        Named out{get_namespace_name(form->oprnamespace), pstrdup(NameStr(form->oprname))};
        ReleaseSysCache(tuple);
        return out;
    });
    return std::string("OPERATOR(") + quoted_identifier(n.schema) + "." + n.name + ")";
}

bool is_number_type(Oid type) {
    return type == INT2OID || type == INT4OID || type == INT8OID || type == FLOAT4OID || type == FLOAT8OID ||
           type == NUMERICOID;
}

} // namespace

const TargetColumn *TargetTable::find(const std::string &name) const {
    for (const TargetColumn &c : columns)
        if (c.name == name)
            return &c;
    return nullptr;
}

TargetTable describe_table(Oid relid) {
    TargetTable table{relid, {}, {}, 0, {}};
    if (!pg_call([relid]() noexcept { return SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)); }))
        throw SqlError(ERRCODE_UNDEFINED_TABLE, "relation with OID " + std::to_string(relid) + " does not exist");
    struct Raw {
        char relkind;
        const char *schema, *name;
        int natts;
    };
    const Raw raw = pg_call([relid]() noexcept {
        Relation rel = relation_open(relid, AccessShareLock);
        Raw r{rel->rd_rel->relkind, get_namespace_name(RelationGetNamespace(rel)), pstrdup(RelationGetRelationName(rel)),
              RelationGetDescr(rel)->natts};
        relation_close(rel, NoLock); // the lock stays until the transaction ends
        return r;
    });
    if (raw.relkind != RELKIND_RELATION && raw.relkind != RELKIND_PARTITIONED_TABLE)
        throw SqlError(ERRCODE_WRONG_OBJECT_TYPE, std::string("\"") + raw.name + "\" is not a table");
    table.relkind = raw.relkind;
    table.qualified = quoted_identifier(raw.schema) + "." + quoted_identifier(raw.name);
    table.own_rows = (raw.relkind == RELKIND_RELATION ? "ONLY " : "") + table.qualified;
    for (int i = 1; i <= raw.natts; ++i) {
        struct Attr {
            bool dropped;
            const char *name;
            Oid type, collation;
            bool generated, filled_by_table;
            const char *type_name;
        };
        const Attr a = pg_call([relid, i]() noexcept {
            HeapTuple tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(i));
            Attr out{true, nullptr, InvalidOid, InvalidOid, false, false, nullptr};
            if (HeapTupleIsValid(tuple)) {
                const Form_pg_attribute att = reinterpret_cast<Form_pg_attribute>(GETSTRUCT(tuple));
                out = Attr{att->attisdropped, pstrdup(NameStr(att->attname)), att->atttypid, att->attcollation,
                           att->attgenerated != '\0', att->attidentity != '\0', nullptr};
                const bool has_default = att->atthasdef && !out.generated;
                ReleaseSysCache(tuple);
                if (!out.dropped) {
                    out.type_name = format_type_be(out.type);
                    if (has_default) {
                        Relation rel = relation_open(relid, NoLock);
                        Node *expr = build_column_default(rel, i);
                        relation_close(rel, NoLock);
                        // A constant default (DEFAULT 0) is data; anything computed is not.
                        if (expr && !IsA(eval_const_expressions(nullptr, expr), Const))
                            out.filled_by_table = true;
                    }
                }
            }
            return out;
        });
        if (a.dropped)
            continue;
        table.columns.push_back(TargetColumn{a.name, quoted_identifier(a.name), static_cast<AttrNumber>(i), a.type,
                                             a.collation, a.generated, a.filled_by_table, a.type_name,
                                             equality_operator(a.type), is_number_type(a.type)});
    }
    return table;
}

std::vector<TargetColumn> pick_columns(const TargetTable &table, const std::vector<std::string> &names, const char *what) {
    std::vector<TargetColumn> picked;
    std::set<std::string> seen;
    for (const std::string &name : names) {
        const TargetColumn *c = table.find(name);
        if (!c)
            throw SqlError(ERRCODE_UNDEFINED_COLUMN,
                           std::string(what) + " \"" + name + "\" does not exist in table " + table.qualified);
        if (!seen.insert(name).second)
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, std::string(what) + " \"" + name + "\" is named twice");
        if (c->generated)
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                           std::string(what) + " \"" + name + "\" is a generated column");
        picked.push_back(*c);
    }
    return picked;
}

std::string equals_sql(const TargetColumn &c, const std::string &left, const std::string &right) {
    if (c.equality.empty())
        throw SqlError(ERRCODE_UNDEFINED_FUNCTION,
                       "column \"" + c.name + "\" has type " + c.type_name + ", which has no equality operator",
                       {}, "Key columns need a type with a default equality (btree or hash) operator class.");
    return "(" + left + " " + c.equality + " " + right + ")";
}

std::string differs_sql(const TargetColumn &c, const std::string &left, const std::string &right,
                        const std::string &tolerance) {
    const std::string either_null = "(" + left + " IS NULL OR " + right + " IS NULL)";
    const std::string null_differs = "((" + left + " IS NULL) OPERATOR(pg_catalog.<>) (" + right + " IS NULL))";
    std::string values_differ;
    if (c.tolerant)
        values_differ = "(pg_catalog.abs((" + left + ")::pg_catalog.numeric OPERATOR(pg_catalog.-) (" + right +
                        ")::pg_catalog.numeric) OPERATOR(pg_catalog.>) " + tolerance + ")";
    else if (!c.equality.empty())
        values_differ = "(NOT " + equals_sql(c, left, right) + ")";
    else
        values_differ = "((" + left + ")::pg_catalog.text OPERATOR(pg_catalog.<>) (" + right + ")::pg_catalog.text)";
    return "(CASE WHEN " + either_null + " THEN " + null_differs + " ELSE " + values_differ + " END)";
}

std::string key_json_sql(const std::vector<TargetColumn> &columns, const std::string &prefix) {
    std::string out = "pg_catalog.jsonb_build_object(";
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const char *literal = pg_call([&columns, i]() noexcept { return quote_literal_cstr(columns[i].name.c_str()); });
        out += (i ? ", " : "") + std::string(literal) + ", " + prefix + columns[i].quoted;
    }
    return out + ")";
}

namespace {

std::string index_among(Oid relid, const std::vector<TargetColumn> &keys, bool unique_on_exactly_keys) {
    std::vector<std::optional<std::string>> names;
    for (const TargetColumn &k : keys)
        names.emplace_back(k.name);
    std::string index;
    // The index's key columns only (indkey also lists INCLUDE columns, after indnkeyatts).
    const std::uint64_t n = spi_execute(
        "SELECT i.indexrelid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_index i "
        "WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL "
        "  AND (NOT $3 OR (i.indisunique AND i.indimmediate "
        "                  AND i.indnkeyatts OPERATOR(pg_catalog.=) pg_catalog.cardinality($2))) "
        "  AND ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a "
        "       WHERE a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) ANY "
        "         ((i.indkey::pg_catalog.int2[])[0:i.indnkeyatts OPERATOR(pg_catalog.-) 1])) OPERATOR(pg_catalog.<@) $2 "
        "ORDER BY i.indisunique DESC, i.indnatts LIMIT 1",
        {SpiArg{OIDOID, ObjectIdGetDatum(relid)}, text_array_arg(names), bool_arg(unique_on_exactly_keys)});
    if (n == 1)
        index = spi_text(0, 1);
    spi_free_result();
    return index;
}

} // namespace

std::string unique_index_on(Oid relid, const std::vector<TargetColumn> &keys) { return index_among(relid, keys, true); }

std::string index_on(Oid relid, const std::vector<TargetColumn> &keys) { return index_among(relid, keys, false); }

} // namespace usage_archive::pg
