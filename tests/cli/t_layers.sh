#!/usr/bin/env bash
# The layering of src/ (tools/layers.py): no call or include circles between
# files, nothing calls or includes upwards. First the checker on a small tree
# with one planted circle and one upward call, then on the real build.
set -euo pipefail
SENTI=${SENTI:-build/senti}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src/01-low" "$tmp/src/02-high" "$tmp/build/obj/01-low" "$tmp/build/obj/02-high"
printf 'int high(void);\nint low(void) { return high(); }\n' > "$tmp/src/01-low/low.c"
printf 'int low(void);\nint high(void) { return low(); }\n' > "$tmp/src/02-high/high.c"
printf '#include "b.h"\n' > "$tmp/src/02-high/a.h"
printf '#include "a.h"\n' > "$tmp/src/02-high/b.h"
for f in 01-low/low 02-high/high; do cc -c "$tmp/src/$f.c" -o "$tmp/build/obj/$f.o"; done
set +e; out=$(python3 tools/layers.py "$tmp/build" "$tmp"); rc=$?; set -e
[ $rc -eq 1 ] || fail "planted violations: exit $rc, want 1"
grep -q 'call upwards: 01-low/low.c (layer 1) -> 02-high/high.c (layer 2)' <<<"$out" || fail "upward call not found: $out"
grep -q 'call circle: 01-low/low.c <-> 02-high/high.c' <<<"$out" || fail "call circle not found: $out"
grep -q 'include circle: 02-high/a.h <-> 02-high/b.h' <<<"$out" || fail "include circle not found: $out"

out=$(python3 tools/layers.py "$(dirname "$SENTI")") || fail "layering of src/: $out"
grep -q ', 0 violations$' <<<"$out" || fail "$out"
