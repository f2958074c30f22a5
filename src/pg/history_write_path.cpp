#include "history_write_path.hpp"

#include "citus_node.hpp"
#include "error_bridge.hpp"
#include "settings.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
}

namespace usage_archive::pg {

Oid history_table_oid() {
    return pg_call([]() noexcept {
        return get_relname_relid("daily_usage_history", get_namespace_oid("usage_archive", false));
    });
}

namespace {

// What decides between COPY and SQL, read with the given lock on the table. With
// RowExclusiveLock (kept until the transaction ends) nobody can add a trigger, a rule or
// row-level security before the COPY is done.
HistoryTableTraits examine_history_table(LOCKMODE lockmode) {
    const Oid relid = history_table_oid();
    struct Check {
        bool relkind_ok, has_rules, rls, may_insert, only_key_triggers;
    };
    const Check c = pg_call([relid, lockmode]() noexcept {
        Relation rel = table_open(relid, lockmode);
        Check result;
        // Partitioned (0.8.0): COPY routes each row to its partition, as an INSERT would.
        result.relkind_ok = rel->rd_rel->relkind == RELKIND_RELATION || rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE;
        result.has_rules = rel->rd_rules != nullptr;
        // Internal triggers of a constraint referencing service_lines are the foreign key's.
        // A partition's triggers fire for the rows routed to it: they count too (the rules and
        // policies of a partition do not apply to rows written through the parent).
        const Oid parent = get_relname_relid("service_lines", RelationGetNamespace(rel));
        result.only_key_triggers = true;
        List *tables = rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ? find_all_inheritors(relid, lockmode, nullptr)
                                                                         : list_make1_oid(relid);
        ListCell *cell;
        foreach (cell, tables) {
            Relation member = lfirst_oid(cell) == relid ? rel : table_open(lfirst_oid(cell), NoLock);
            if (member->trigdesc)
                for (int i = 0; i < member->trigdesc->numtriggers; ++i) {
                    const Trigger &t = member->trigdesc->triggers[i];
                    if (t.tgenabled == TRIGGER_DISABLED)
                        continue;
                    if (!t.tgisinternal || !OidIsValid(t.tgconstraint) || t.tgconstrrelid != parent)
                        result.only_key_triggers = false;
                }
            if (member != rel)
                table_close(member, NoLock);
        }
        table_close(rel, lockmode == AccessShareLock ? AccessShareLock : NoLock);
        result.rls = check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED;
        result.may_insert = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) == ACLCHECK_OK;
        return result;
    });
    HistoryTableTraits traits{nullptr, c.has_rules, c.only_key_triggers};
    if (settings.write_method == static_cast<int>(WriteMethod::sql))
        traits.copy_refusal = "usage_archive.write_method is sql";
    else if (!c.relkind_ok)
        traits.copy_refusal = "daily_usage_history is not a plain or partitioned table";
    else if (c.has_rules)
        traits.copy_refusal = "daily_usage_history has rules";
    else if (c.rls)
        traits.copy_refusal = "row-level security applies to daily_usage_history";
    else if (!c.may_insert)
        // We check privileges before COPY too; SQL raises the error a user expects.
        traits.copy_refusal = "the current role lacks table-wide INSERT on daily_usage_history";
    else if (citus_installed())
        traits.copy_refusal = "the citus extension may manage daily_usage_history";
    return traits;
}

} // namespace

HistoryTableTraits inspect_history_table() { return examine_history_table(AccessShareLock); }

HistoryTableTraits inspect_history_table_for_copy() { return examine_history_table(RowExclusiveLock); }

} // namespace usage_archive::pg
