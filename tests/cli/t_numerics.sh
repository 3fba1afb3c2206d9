#!/usr/bin/env bash
# --numerics f32|q8 (README "Numerics"): the q8 numerics (8-bit activations,
# the int8 GEMM for prefills) give the same bytes for -t 1 and -t 2, agree
# with the default f32 numerics on the demo rows (measured on SST-2: README),
# are recorded in the manifest and in the score-cache key (a cache filled
# with one numerics is not read by the other), SENTI_MATMUL still selects
# them, and an unknown name is a usage error.
set -euo pipefail
SENTI=${SENTI:-build/senti}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
base=(classify -q -v verbalizers/demo.json -i datasets/demo.csv --limit 12 --shots 2 --train datasets/demo.csv --seed 1)

for t in 1 2; do
    "$SENTI" "${base[@]}" --numerics q8 -t "$t" -o "$tmp/q8.t$t.csv" >/dev/null || fail "q8 -t $t"
done
cmp "$tmp/q8.t1.csv" "$tmp/q8.t2.csv" || fail "q8: -t 1 and -t 2 differ"
"$SENTI" "${base[@]}" -o "$tmp/f32.csv" >/dev/null || fail "f32"
SENTI_MATMUL=q8 "$SENTI" "${base[@]}" -t 1 -o "$tmp/env.csv" >/dev/null || fail "SENTI_MATMUL=q8"
cmp "$tmp/q8.t1.csv" "$tmp/env.csv" || fail "SENTI_MATMUL=q8 and --numerics q8 differ"

grep -q '"numerics": *"q8"' "$tmp/q8.t1.csv.manifest.json" || fail "manifest lacks numerics q8"
grep -q '"numerics": *"f32"' "$tmp/f32.csv.manifest.json" || fail "manifest lacks numerics f32"

# same labels, probabilities within 0.1 (measured max on these rows: README)
python3 - "$tmp/f32.csv" "$tmp/q8.t1.csv" <<'PY' || fail "q8 vs f32 on the demo rows"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1]))); b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b) == 12
cols = [c for c in a[0] if c.startswith("p_")]
worst = max(abs(float(x[c]) - float(y[c])) for x, y in zip(a, b) for c in cols)
flips = sum(x["pred"] != y["pred"] for x, y in zip(a, b))
assert worst < 0.1 and flips == 0, (worst, flips)
PY

# the score cache keys on the numerics: a q8 run after an f32 one scores anew
"$SENTI" "${base[@]}" --score-cache "$tmp/cache" -o "$tmp/c1.csv" >/dev/null || fail "cache f32"
"$SENTI" "${base[@]}" --score-cache "$tmp/cache" --numerics q8 -t 1 -o "$tmp/c2.csv" >/dev/null || fail "cache q8"
cmp "$tmp/c1.csv" "$tmp/f32.csv" || fail "cached f32 run differs"
cmp "$tmp/c2.csv" "$tmp/q8.t1.csv" || fail "q8 run read the f32 cache"

set +e
"$SENTI" "${base[@]}" --numerics bf16 -o "$tmp/x.csv" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "--numerics bf16: exit $rc, want 2"
SENTI_MATMUL=int4 "$SENTI" --version >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] || fail "SENTI_MATMUL=int4: exit $rc, want 2"
echo "ok t_numerics"
