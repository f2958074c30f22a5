#!/usr/bin/env bash
# make test: every suite, against real servers (PostgreSQL, and the mock vendor API for
# HTTP), ending with each runner's own summary:
#   mock API self-test (python unittest), unit tests (ctest, also under ASan+UBSan), 30 s of
#   each libFuzzer target, regression tests (pg_regress),
#   isolation tests (pg_isolation_regress), a benchmark smoke run, TAP tests (prove).
# Runs them all even when one fails, and exits non-zero if any failed.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

"$repo_root/scripts/ensure-deps.sh" || exit 1

failed=()
run() {
    local name=$1
    shift
    echo
    echo "=== $name ==="
    "$@" || failed+=("$name")
}

work=$(make_work_dir test)
cleanup() {
    stop_mock_api
    "$repo_root/scripts/pg-cluster.sh" stop "$work/pg" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# The TAP tests and the mock API run as the server user: give them their own copy.
stage=$work/stage
mkdir -p "$stage"
cp -r test/t test/mock_api test/corpus "$stage/"
is_root && chown -R postgres: "$stage"

run "mock API self-test" bash -c "cd '$stage/mock_api' && python3 -m unittest -q test_mock_api"
run "unit tests" make -s unit
# The same unit tests under ASan+UBSan (any report fails them), then each libFuzzer target
# for 30 seconds seeded with the hostile corpus (make fuzz runs them longer).
run "unit tests under ASan and UBSan" bash -c "source scripts/common.sh && build_sanitized >/dev/null &&
    ctest --test-dir build/sanitize --output-on-failure"
run "fuzzing, 30 s per target" scripts/fuzz.sh 30

if ! build_and_install; then
    failed+=("build and install")
    echo "FAILED: ${failed[*]}"
    exit 1
fi

"$repo_root/scripts/pg-cluster.sh" start "$work/pg" || { echo "could not start a test cluster" >&2; exit 1; }
source "$work/pg/env"
# The regression tests of archive_usage talk to the mock API: 20 service lines.
start_mock_api "$work/mock" --lines 20 || exit 1
# Diffs of an earlier run would be printed as this run's below.
rm -f regression.diffs test/isolation/regression.diffs
run "regression and isolation tests" make -s installcheck

# The benchmark suite in smoke mode, so it cannot rot (it measures, it asserts nothing).
run "benchmark smoke run" env BENCH_OUT="$work/bench-smoke.md" "$repo_root/scripts/bench.sh" 10000

pgxs_dir=$(dirname "$(pg_config --pgxs)")/..
run "TAP tests" as_server_user env PATH="$PATH" TESTDIR="$stage" PG_REGRESS="$pgxs_dir/test/regress/pg_regress" \
    bash -c "cd '$stage' && prove -I '$pgxs_dir/test/perl' t/*.pl"

if [[ ${#failed[@]} -gt 0 ]]; then
    for f in regression.diffs test/isolation/regression.diffs; do
        [[ -s $f ]] && { echo "--- $f"; head -n 200 "$f"; }
    done
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
