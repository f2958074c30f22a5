#!/usr/bin/env bash
# make test-valgrind: the regression suite (pg_regress) against a server running under
# valgrind memcheck, every backend traced. Passes when valgrind reports no invalid read or
# write and no definitely lost block with a usage_archive frame in its stack (PostgreSQL's
# own reports, of a server not built for valgrind, are counted but not ours to fix).
# Slow (a server under memcheck is some 20-50x slower): not part of make test.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

scripts/ensure-deps.sh valgrind || exit 1
build_and_install || exit 1

work=$(make_work_dir valgrind)
keep="$repo_root/build/valgrind"
cleanup() {
    stop_mock_api
    as_server_user pg_ctl -D "$work/pg/data" -m fast -w -t 600 stop >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

scripts/pg-cluster.sh start "$work/pg" || exit 1
as_server_user pg_ctl -D "$work/pg/data" -m fast -w stop >/dev/null
mkdir -p "$work/valgrind" && is_root && chown postgres: "$work/valgrind"
# pg_ctl starts this instead of postgres: the postmaster under memcheck; forked backends
# stay under it.
cat >"$work/postgres-under-valgrind" <<WRAPPER
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \\
    --num-callers=40 --read-var-info=no --track-origins=no --error-limit=no \\
    --log-file=$work/valgrind/%p.log $(pg_config --bindir)/postgres "\$@"
WRAPPER
chmod 755 "$work/postgres-under-valgrind"
as_server_user pg_ctl -D "$work/pg/data" -p "$work/postgres-under-valgrind" -l "$work/pg/server.log" -w -t 600 start \
    >/dev/null || { tail -n 50 "$work/pg/server.log"; exit 1; }
source "$work/pg/env"
start_mock_api "$work/mock" --lines 20 || exit 1

rm -f regression.diffs
# Statement timeouts in the suite are about the extension, not about valgrind's pace.
make -s installcheck ISOLATION= EXTRA_REGRESS_OPTS="--max-connections=1"
regress_status=$?

# Backends write their reports when they exit: stop the server before reading them.
as_server_user pg_ctl -D "$work/pg/data" -m fast -w -t 600 stop >/dev/null
rm -rf "$keep" && mkdir -p "$keep" && cp "$work"/valgrind/*.log "$keep"/
/usr/bin/python3 scripts/valgrind_report.py "$keep"
report_status=$?
echo "regression suite under valgrind: $([[ $regress_status -eq 0 ]] && echo passed || echo 'had differences (see regression.diffs)')"
exit $report_status
