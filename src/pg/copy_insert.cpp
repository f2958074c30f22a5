#include "copy_insert.hpp"

#include "error_bridge.hpp"
#include "service_line_key_check.hpp"
#include "setting_scope.hpp"
#include "subtransaction.hpp"

#include "core/copy_binary_format.hpp"
#include "core/history_row.hpp"

#include <algorithm>
#include <memory>

extern "C" {
#include "access/table.h"
#include "commands/copy.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace usage_archive::pg {
namespace {

// One tuple at most: field count, the two int8 (line, run), the date and the numerics.
constexpr std::size_t kMaxTupleBytes =
    2 + 2 * (4 + 8) + (4 + 4) + core::kHistoryValueCount * core::kCopyBinaryMaxMilliField;

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

// The columns in history_written_column order; stored_form decides each value or NULL.
void encode_row(CopyFeed &feed, const WriteItem &item) {
    core::CopyBinaryTuple t(feed.buffer + feed.len, static_cast<std::int16_t>(core::kHistoryWrittenColumnCount));
    t.int8(item.line_id);
    t.date(item.day);
    for (const std::optional<core::MilliGb> &value : core::stored_form(*item.record)) {
        if (value)
            t.milli(*value);
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

std::uint64_t run_copy(Oid relid) {
    return pg_call([relid]() noexcept {
        Relation rel = table_open(relid, RowExclusiveLock);
        ParseState *pstate = make_parsestate(nullptr);
        // The range table entry and privilege check DoCopy() would make for COPY ... FROM.
        RangeTblEntry *rte =
            addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, nullptr, false, false)->p_rte;
        rte->requiredPerms = ACL_INSERT;
        List *attnames = NIL;
        for (std::size_t i = 0; i < core::kHistoryWrittenColumnCount; ++i) {
            const char *name = core::history_written_column(i);
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

std::uint64_t run_copy_without_row_triggers(Oid relid) {
    SettingScope replica({{"session_replication_role", "replica"}}, PGC_SUSET);
    const std::uint64_t inserted = run_copy(relid);
    replica.end();
    return inserted;
}

} // namespace

std::optional<std::uint64_t> copy_insert(const WriteBatch &batch, const std::vector<std::size_t> &which,
                                         std::int64_t run_id, const HistoryTableTraits &traits) {
    const Oid relid = history_table_oid();
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
        const HistoryTableTraits now = inspect_history_table_for_copy();
        if (now.copy_refusal || now.only_service_line_key_triggers != traits.only_service_line_key_triggers) {
            subtransaction.rollback();
            return std::nullopt;
        }
        active_feed = feed.get();
        std::uint64_t inserted;
        if (traits.only_service_line_key_triggers) {
            lock_batch_service_lines(batch, which);
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
