#!/usr/bin/env bash
# make fuzz [FUZZ_SECONDS=n]: builds the sanitized core (clang, ASan+UBSan, libFuzzer) in
# build/sanitize and runs each libFuzzer target of test/fuzz for n seconds (default 60),
# seeded with the hostile corpus (test/corpus) and what earlier runs found interesting
# (build/fuzz-corpus/<target>, kept between runs, never committed). A crash, a sanitizer
# report or a broken invariant stops that target, keeps the input in build/fuzz-findings and
# fails the run: add the input to test/corpus with its expected outcome once it is fixed.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$repo_root"

seconds="${1:-60}"
scripts/ensure-deps.sh || exit 1
build_sanitized || exit 1

targets=(starlink_payload starlink_differential simple_payload http_responses)
mkdir -p build/fuzz-findings
seeds=()
[[ -d test/corpus ]] && seeds+=(test/corpus)
failed=()
for t in "${targets[@]}"; do
    mkdir -p "build/fuzz-corpus/$t"
    echo "--- fuzzing $t for $seconds s"
    # -rss_limit_mb: the targets hold at most one input's parse; 2 GB means a real leak.
    if ! "build/sanitize/${t}_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
        -artifact_prefix="build/fuzz-findings/${t}-" -print_final_stats=1 \
        "build/fuzz-corpus/$t" "${seeds[@]}" >"build/fuzz-findings/$t.log" 2>&1; then
        failed+=("$t")
        tail -n 40 "build/fuzz-findings/$t.log"
    fi
    grep -E '^stat::number_of_executed_units|^Done' "build/fuzz-findings/$t.log" | sed "s/^/$t: /"
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs in build/fuzz-findings)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, $seconds s each, no findings"
