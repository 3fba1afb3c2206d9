#!/usr/bin/env bash
# Run fuzz harnesses with libFuzzer (make fuzz; tests/fuzz/README.md).
#   tools/fuzz.sh BUILD_DIR name...    each harness for $FUZZ_SECONDS (default 60)
# Seeds: tests/fuzz/corpus/<name>/ and tests/fuzz/regress/<name>/ (read only);
# new corpus entries go to BUILD_DIR/corpus/<name>/ (kept between runs, not
# committed). A crash, leak, timeout or out-of-memory input is copied to
# tests/fuzz/regress/<name>/, where make check replays it, and the run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1; shift
secs=${FUZZ_SECONDS:-60}
failed=()
for name in "$@"; do
    bin=$build/fuzz/bin/$name
    [ -x "$bin" ] || { echo "fuzz: no harness '$name' ($bin)" >&2; exit 2; }
    work=$build/corpus/$name art=$build/artifacts/$name/ log=$build/logs/$name.log
    mkdir -p "$work" "$art" "$(dirname "$log")"
    seeds=(tests/fuzz/corpus/"$name")
    [ -d tests/fuzz/regress/"$name" ] && seeds+=(tests/fuzz/regress/"$name")
    dict=()
    [ -f tests/fuzz/"$name".dict ] && dict=(-dict=tests/fuzz/"$name".dict)
    "$bin" "$work" "${seeds[@]}" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$art" >"$log" 2>&1
    rc=$?
    # The last status line ("#N DONE cov: C ft: F corp: ...") and the exec count.
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    printf 'fuzz %-11s %ss: %s execs, cov %s, ft %s, corpus %s' "$name" "$secs" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}"
    found=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) 2>/dev/null)
    if [ $rc -ne 0 ] || [ -n "$found" ]; then
        mkdir -p tests/fuzz/regress/"$name"
        for f in $found; do cp "$f" tests/fuzz/regress/"$name"/ && rm -f "$f"; done
        echo ", FAILED (exit $rc; log $log)"
        grep -E 'ERROR|SUMMARY|invariant|==[0-9]+==' "$log" | head -5 | sed 's/^/    /'
        [ -n "$found" ] && echo "    input saved: tests/fuzz/regress/$name/$(basename ${found%% *})"
        failed+=("$name")
    else
        echo
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]} (inputs in tests/fuzz/regress/; fix, then make check replays them)" >&2
    exit 1
fi
