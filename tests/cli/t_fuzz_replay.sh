#!/usr/bin/env bash
# Replay the fuzz corpora (tests/fuzz/corpus/<name>/) and the saved findings
# (tests/fuzz/regress/<name>/) through every harness, built without a fuzzing
# engine beside $SENTI (make fuzz-replay), plus the empty input. A crash, a
# sanitizer report under make asan, or a broken invariant (an abort) fails.
set -euo pipefail
SENTI=${SENTI:-build/senti}
fail() { echo "FAIL: $*" >&2; exit 1; }
dir=$(dirname "$SENTI")/fuzz/replay
names=$(ls tests/fuzz/fuzz_*.c | sed -n 's|tests/fuzz/fuzz_\(.*\)\.c|\1|p' | grep -vx util)
[ -n "$names" ] || fail "no harnesses in tests/fuzz"

# The driver must fail when it cannot replay an input (an abort fails by its
# signal): a missing file is not a pass.
if "$dir/csv" /nonexistent/input >/dev/null 2>&1; then fail "replay of a missing file succeeded"; fi

# Under make asan, an allocation over 2 GB is a finding (libFuzzer's limit
# under make fuzz): a small file must not make a parser allocate gigabytes.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=2048

n=0
for name in $names; do
    bin=$dir/$name
    [ -x "$bin" ] || fail "no replay binary $bin (make fuzz-replay)"
    [ -d tests/fuzz/corpus/$name ] || fail "no corpus tests/fuzz/corpus/$name"
    dirs=(tests/fuzz/corpus/$name)
    [ -d tests/fuzz/regress/$name ] && dirs+=(tests/fuzz/regress/$name)
    files=$(find "${dirs[@]}" -type f | sort)
    [ -n "$files" ] || fail "empty corpus for $name"
    # shellcheck disable=SC2086
    out=$("$bin" /dev/null $files 2>&1) || fail "$name: $(echo "$out" | tail -15)"
    n=$((n + $(echo "$files" | wc -l)))
done
echo "fuzz replay: $n inputs, $(echo $names | wc -w) harnesses"
