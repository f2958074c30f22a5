"""History-size independence (issue 14): the same payload archived into a small and a large history.

The same 100,000-record payload (simple kind: one new day for each of 100,000 existing service
lines) is archived into a history of `small` rows and into one of `large` rows (loaded with plain
SQL: generate_series, then VACUUM ANALYZE as autovacuum would), first as a load (every record
inserted, after a CHECKPOINT like the main bench's first loads) and then as an identical re-run
(every record unchanged). A run's cost must not grow with the history: the issue's target is at
most 1.3x the small history's time for both.

Each size is measured twice: as installed (one table: every row in the default partition) and
after `partition_history()` (monthly partitions, the layout docs/scaling.md recommends for a
large history). The new day is the last day of its month, so with monthly partitions the run
writes into a partition that already holds the month's other days (the worst day of the month),
not into an empty one.

Called by run_bench.py (one hook, `history_section`), or alone:
    python3 bench/history_bench.py --rows 10000,50000000 --records 100000 --reps 3
with the libpq environment (PGHOST, PGPORT, PGUSER) pointing at a server with the extension
installed. Each history lives in a database of its own, dropped at the end.
"""
import argparse
import json
import os
import statistics
import tempfile
import time

from bench_db import connect, drop_database, first_row, recreate_database, run, scalar

NEW_DAY = "2025-08-31"  # a Sunday, the last day of a month and of a week: see the docstring
# Layout -> the period given to partition_history() (None: the table as installed).
LAYOUTS = {"one table": None, "monthly partitions": "1 month", "weekly partitions": "7 days"}
TARGET_RATIO = 1.3


def _payload(lines):
    """One new day for each line L-1 .. L-lines (the lines the history already holds)."""
    return json.dumps({f"L-{i}": {"daily_usage": [{"date": NEW_DAY, "usage_gb": round(1 + (i % 97) * 0.25, 2)}]}
                       for i in range(1, lines + 1)}, separators=(",", ":"))


def _load_history(dbname, lines, rows, layout):
    """A database with `lines` service lines and `rows` history rows on the days before NEW_DAY."""
    recreate_database(dbname)
    conn = connect(dbname)
    run(conn, "CREATE EXTENSION usage_archive")
    run(conn, "SELECT usage_archive.add_source('hist', 'simple')")
    run(conn, """INSERT INTO usage_archive.service_lines (source, service_line_number, last_seen_at)
                   SELECT 'hist', 'L-' || i, date_trunc('day', now()) FROM generate_series(1, %s) i""", (lines,))
    # Rows spread over the lines, one day per row going back from the day before NEW_DAY. Loaded
    # without the per-row foreign-key check (the lines exist): 50,000,000 RI lookups would be
    # most of the load.
    per_line = max(1, -(-rows // lines))
    period = LAYOUTS[layout]
    if period:
        # Partitions first, for every month the load and the new day touch, so the rows are
        # routed into them as they are inserted (partition_history() on a full history would move
        # them: the same end state, slower to reach).
        run(conn, "SELECT usage_archive.partition_history(%s, 3)", (period,))
        run(conn, """SELECT usage_archive_private.ensure_history_partitions(
                           ARRAY(SELECT generate_series(date %s - %s, date %s, %s)::date) || date %s)""",
              (NEW_DAY, per_line, NEW_DAY, period, NEW_DAY))
    run(conn, "SET session_replication_role = replica")
    run(conn, """INSERT INTO usage_archive.daily_usage_history (service_line_id, usage_date, consumed_gb)
                   SELECT l.service_line_id, date %s - 1 - d, (l.service_line_id %% 50) * 0.5
                   FROM usage_archive.service_lines l, generate_series(0, %s - 1) d
                   WHERE (l.service_line_id - 1) * %s + d < %s""", (NEW_DAY, per_line, per_line, rows))
    run(conn, "RESET session_replication_role")
    run(conn, "VACUUM ANALYZE usage_archive.service_lines")
    run(conn, "VACUUM ANALYZE usage_archive.daily_usage_history")
    held = scalar(conn, "SELECT count(*) FROM usage_archive.daily_usage_history")
    conn.close()
    return held


def _timed_run(dbname, payload_path, expect):
    """(seconds, WAL bytes) of one run; WAL shows what a run's writes cost beyond its time."""
    conn = connect(dbname)
    if expect == 0:
        run(conn, "CHECKPOINT")
    wal_before = scalar(conn, "SELECT pg_current_wal_insert_lsn()")
    started = time.perf_counter()
    counts = first_row(conn, "SELECT inserted, unchanged FROM usage_archive.archive_payload('hist', pg_read_file(%s))",
                   (payload_path,))
    seconds = time.perf_counter() - started
    wal = scalar(conn, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", (wal_before,))
    conn.close()
    if counts[expect] == 0:
        raise RuntimeError(f"history bench: the run in {dbname} did not do what it measures: {counts}")
    return seconds, float(wal)


def _forget_new_day(dbname):
    conn = connect(dbname)
    run(conn, "DELETE FROM usage_archive.daily_usage_history WHERE usage_date = %s", (NEW_DAY,))
    run(conn, "VACUUM usage_archive.daily_usage_history")
    conn.close()


def measure(histories, records, reps, work, layout):
    """{history rows: {"load": median s, "rerun": median s, "load_wal": bytes, "held": rows}} per size."""
    payload_path = os.path.join(work, "history_payload.json")
    with open(payload_path, "w") as f:
        f.write(_payload(records))
    os.chmod(payload_path, 0o644)
    results = {}
    for rows in histories:
        dbname = f"bench_history_{rows}_{layout.split()[0]}"
        print(f"history of {rows:,} rows ({layout}): loading", flush=True)
        held = _load_history(dbname, records, rows, layout)
        loads, reruns = [], []
        for rep in range(reps):
            if rep:
                _forget_new_day(dbname)
            loads.append(_timed_run(dbname, payload_path, 0))
            reruns.append(_timed_run(dbname, payload_path, 1))
        results[rows] = {"load": statistics.median(s for s, _ in loads),
                         "load_wal": statistics.median(w for _, w in loads),
                         "rerun": statistics.median(s for s, _ in reruns), "held": held}
        drop_database(dbname)
    return results


def worst_ratio(results):
    small = results[min(results)]
    return max(max(r["load"] / small["load"], r["rerun"] / small["rerun"]) for r in results.values())


def table(by_layout, records):
    lines = ["| layout | history rows | first load of the new day (s) | × smallest | WAL of the load (MB) | "
             "identical re-run (s) | × smallest |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for layout, results in by_layout.items():
        small = results[min(results)]
        for rows in sorted(results):
            r = results[rows]
            lines.append(f"| {layout} | {r['held']:,} | {r['load']:.2f} | {r['load'] / small['load']:.2f} | "
                         f"{r['load_wal'] / 1e6:.0f} | {r['rerun']:.2f} | {r['rerun'] / small['rerun']:.2f} |")
        worst = worst_ratio(results)
        verdicts.append(f"{layout}: {'met' if worst <= TARGET_RATIO else 'NOT met'} (worst {worst:.2f}x)")
    return ("\n".join(lines) + f"\n\n{records:,} records (one new day, {NEW_DAY}, for each of {records:,} lines). "
            f"Target: at most {TARGET_RATIO}x the smallest history's time of the same layout in both time "
            f"columns. " + "; ".join(verdicts) + ".\n")


def measure_layouts(histories, records, reps, work):
    return {layout: measure(histories, records, reps, work, layout) for layout in LAYOUTS}


def history_section(work, smoke, reps):
    """The hook run_bench.py calls: the markdown section for RESULTS.md."""
    histories = [10000, 200000] if smoke else [10000, 50000000]
    records = 10000 if smoke else 100000
    return "## History-size independence\n\n" + table(measure_layouts(histories, records, reps, work), records)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,50000000", help="history sizes, comma-separated")
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    work = os.environ.get("BENCH_WORK") or tempfile.mkdtemp(prefix="usage_archive_history.")
    if not os.environ.get("BENCH_WORK"):
        os.chmod(work, 0o755)
    histories = [int(r) for r in args.rows.split(",")]
    print(table(measure_layouts(histories, args.records, args.reps, work), args.records))


if __name__ == "__main__":
    main()
