#!/usr/bin/env bash
# make bench [BENCH_SIZES="10000 100000 1000000"] [BENCH_OUT=file] [BENCH_REPS=3]: the
# benchmark suite (bench/run_bench.py) on a throwaway cluster; writes bench/RESULTS.md unless
# BENCH_OUT names another file; BENCH_REPS repetitions of each measurement (their median).
# Not a test: it asserts nothing, it measures.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

sizes="${1:-10000 100000 1000000}"
out="${BENCH_OUT:-$repo_root/bench/RESULTS.md}"
scripts/ensure-deps.sh
build_and_install

work=$(make_work_dir bench)
cleanup() {
    scripts/pg-cluster.sh stop "$work/pg" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
scripts/pg-cluster.sh start "$work/pg"
source "$work/pg/env"
# Payloads and COPY files live where the server (the postgres user, as root) can read them.
mkdir -p "$work/files"
is_root && chown postgres: "$work/files"
reps="${BENCH_REPS:-3}"
command="make bench"
[[ -n "${1:-}" ]] && command="make bench BENCH_SIZES=\"$sizes\""
[[ "$reps" != 3 ]] && command="$command BENCH_REPS=$reps"
# Debian's python3 (not a pyenv one on PATH): psycopg2 comes from python3-psycopg2.
BENCH_WORK="$work/files" /usr/bin/python3 bench/run_bench.py --sizes "$sizes" --reps "$reps" --out "$out" --command "$command"
