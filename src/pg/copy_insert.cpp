#include "copy_insert.hpp"

#include "error_bridge.hpp"
#include "owner_rights.hpp"
#include "setting_scope.hpp"
#include "settings.hpp"
#include "sql_arrays.hpp"
#include "subtransaction.hpp"

#include "core/copy_binary_format.hpp"

#include <algorithm>
#include <memory>

extern "C" {
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "commands/copy.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
}

namespace usage_archive::pg {
namespace {

constexpr int kColumns = 8;
const char *const kColumnNames[kColumns] = {"service_line_id", "usage_date",  "consumed_gb",     "priority_gb",
                                            "opt_in_priority_gb", "standard_gb", "non_billable_gb", "last_run_id"};
// One tuple at most: field count, two int8, a date and five numerics.
constexpr std::size_t kMaxTupleBytes = 2 + 2 * (4 + 8) + (4 + 4) + 5 * core::kCopyBinaryMaxMilliField;

// The rows COPY is reading, encoded a buffer at a time. COPY's data-source callback takes no
// user argument, hence the backend's active feed. Each copy_insert has its own feed and puts
// back the one it found: a COPY of ours started by user code during another (archive runs
// refuse to nest, see archive_engine.cpp) could not redirect the outer COPY's reads.
struct CopyFeed {
    const WriteBatch *batch;
    const std::vector<std::size_t> *which;
    std::int64_t run_id;
    std::size_t next_row;
    bool header_written;
    bool trailer_written;
    std::size_t pos, len;
    char buffer[64 * 1024];
};
CopyFeed *active_feed = nullptr;

void encode_row(CopyFeed &feed, const WriteItem &item) {
    const core::UsageRecord &r = *item.record;
    core::CopyBinaryTuple t(feed.buffer + feed.len, kColumns);
    t.int8(item.line_id);
    t.date(item.day);
    t.milli(r.consumed);
    for (core::MilliGb part : {r.priority, r.opt_in_priority, r.standard, r.non_billable}) {
        if (r.has_breakdown)
            t.milli(part);
        else
            t.null();
    }
    t.int8(feed.run_id);
    feed.len += t.size();
}

// Encodes as many rows as fit; false at the end of the data.
bool refill(CopyFeed &feed) {
    feed.pos = feed.len = 0;
    if (!feed.header_written) {
        feed.len += core::write_copy_binary_header(feed.buffer);
        feed.header_written = true;
    }
    const std::vector<std::size_t> &which = *feed.which;
    while (feed.next_row < which.size() && feed.len + kMaxTupleBytes <= sizeof feed.buffer)
        encode_row(feed, feed.batch->items[which[feed.next_row++]]);
    if (feed.next_row == which.size() && !feed.trailer_written && feed.len + core::kCopyBinaryTrailerSize <= sizeof feed.buffer) {
        feed.len += core::write_copy_binary_trailer(feed.buffer + feed.len);
        feed.trailer_written = true;
    }
    return feed.len > 0;
}

// Called by PostgreSQL's C code: must not throw (nothing in it allocates) nor raise.
extern "C" int read_copy_feed(void *outbuf, int, int maxread) noexcept {
    if (!active_feed)
        return 0; // no feed of ours: COPY reports the missing data, nothing is read from elsewhere
    CopyFeed &feed = *active_feed;
    char *out = static_cast<char *>(outbuf);
    int copied = 0;
    while (copied < maxread) {
        if (feed.pos == feed.len && !refill(feed))
            break;
        const std::size_t n = std::min(static_cast<std::size_t>(maxread - copied), feed.len - feed.pos);
        std::memcpy(out + copied, feed.buffer + feed.pos, n);
        feed.pos += n;
        copied += static_cast<int>(n);
    }
    return copied;
}

Oid history_relid() {
    return pg_call([]() noexcept {
        return get_relname_relid("daily_usage_history", get_namespace_oid("usage_archive", false));
    });
}

std::uint64_t run_copy(Oid relid) {
    return pg_call([relid]() noexcept {
        Relation rel = table_open(relid, RowExclusiveLock);
        ParseState *pstate = make_parsestate(nullptr);
        // The range table entry and privilege check DoCopy() would make for COPY ... FROM.
        RangeTblEntry *rte =
            addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, nullptr, false, false)->p_rte;
        rte->requiredPerms = ACL_INSERT;
        List *attnames = NIL;
        for (const char *name : kColumnNames) {
            attnames = lappend(attnames, makeString(pstrdup(name)));
            const AttrNumber attno = attnameAttNum(rel, name, false);
            rte->insertedCols = bms_add_member(rte->insertedCols, attno - FirstLowInvalidHeapAttributeNumber);
        }
        ExecCheckRTPerms(pstate->p_rtable, true);
        List *options = list_make1(makeDefElem(pstrdup("format"), reinterpret_cast<Node *>(makeString(pstrdup("binary"))), -1));
        // Like a statement of its own: see this run's earlier writes, with a fresh snapshot.
        CommandCounterIncrement();
        PushActiveSnapshot(GetTransactionSnapshot());
        CopyFromState cstate = BeginCopyFrom(pstate, rel, nullptr, nullptr, false, read_copy_feed, attnames, options);
        uint64 processed = CopyFrom(cstate);
        EndCopyFrom(cstate);
        PopActiveSnapshot();
        CommandCounterIncrement();
        free_parsestate(pstate);
        table_close(rel, NoLock);
        return processed;
    });
}

} // namespace

namespace {

// What decides between COPY and SQL, read with the given lock on the table. With
// RowExclusiveLock (kept until the transaction ends) nobody can add a trigger, a rule or
// row-level security before the COPY is done.
HistoryTableTraits examine_history_table(LOCKMODE lockmode) {
    const Oid relid = history_relid();
    struct Check {
        bool relkind_ok, has_rules, rls, may_insert, citus, only_key_triggers;
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
        result.citus = OidIsValid(get_extension_oid("citus", true));
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
    else if (c.citus)
        traits.copy_refusal = "the citus extension may manage daily_usage_history";
    return traits;
}

} // namespace

HistoryTableTraits inspect_history_table() { return examine_history_table(AccessShareLock); }

namespace {

// The foreign key check of the whole batch: every parent row locked FOR KEY SHARE until the
// transaction ends (so no one can delete it), and all of them present.
void lock_parent_lines(const WriteBatch &batch, const std::vector<std::size_t> &which) {
    std::vector<std::int64_t> ids;
    for (std::size_t i : which)
        if (ids.empty() || ids.back() != batch.items[i].line_id)
            ids.push_back(batch.items[i].line_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::uint64_t found = 0;
    // As the per-row check would: with the owner's rights, whatever the caller may update.
    with_owner_rights("usage_archive", "service_lines", [&] {
        found = spi_execute("SELECT service_line_id FROM usage_archive.service_lines "
                            "WHERE service_line_id OPERATOR(pg_catalog.=) ANY ($1) FOR KEY SHARE",
                            {int8_array_arg(ids)});
        spi_free_result();
    });
    if (found != ids.size())
        throw SqlError(ERRCODE_FOREIGN_KEY_VIOLATION,
                       "insert on table \"daily_usage_history\" violates foreign key constraint "
                       "\"daily_usage_history_service_line_id_fkey\"",
                       std::to_string(ids.size() - found) + " service line(s) of the batch are missing from service_lines");
}

std::uint64_t run_copy_without_row_triggers(Oid relid) {
    SettingScope replica({{"session_replication_role", "replica"}}, PGC_SUSET);
    const std::uint64_t inserted = run_copy(relid);
    replica.end();
    return inserted;
}

} // namespace

std::optional<std::uint64_t> copy_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                         std::int64_t run_id, const HistoryTableTraits &traits) {
    const Oid relid = history_relid();
    auto feed = std::make_unique<CopyFeed>(); // zeroed; 64 kB, not for the stack
    feed->batch = &batch;
    feed->which = &which;
    feed->run_id = run_id;

    // The feed of an enclosing call, if any, is current again however this call ends.
    struct RestoreFeed {
        CopyFeed *outer;
        ~RestoreFeed() { active_feed = outer; }
    } restore_feed{active_feed};
    InternalSubtransaction subtransaction;
    try {
        // The decision to use COPY was taken without a lasting lock; confirm it now that the
        // table is locked against new triggers, rules and policies until the run commits.
        const HistoryTableTraits now = examine_history_table(RowExclusiveLock);
        if (now.copy_refusal || now.only_service_line_key_triggers != traits.only_service_line_key_triggers) {
            subtransaction.rollback();
            return std::nullopt;
        }
        active_feed = feed.get();
        std::uint64_t inserted;
        if (traits.only_service_line_key_triggers) {
            lock_parent_lines(batch, which);
            inserted = run_copy_without_row_triggers(relid);
        } else {
            inserted = run_copy(relid);
        }
        subtransaction.commit();
        return inserted;
    } catch (const PgError &e) {
        // A key another session wrote meanwhile: the caller diffs again. Anything else goes on
        // (the subtransaction's destructor rolls it back, once, on the way).
        if (e.sqlstate() != ERRCODE_UNIQUE_VIOLATION)
            throw;
        subtransaction.rollback();
        return std::nullopt;
    }
}

} // namespace usage_archive::pg
