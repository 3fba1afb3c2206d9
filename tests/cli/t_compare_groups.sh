#!/usr/bin/env bash
# senti compare --aggregate --group-by finds the manifests senti classify
# writes (RUN.csv.manifest.json) and groups real runs by a manifest field.
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
base=(-m "$MODEL" -v verbalizers/demo.json --id-col id -q -i datasets/demo.csv --limit 6)

# two zero-shot runs (different content-free inputs) and two 1-shot runs (different seeds)
$SENTI classify "${base[@]}" -o "$T/z1.csv" > /dev/null
$SENTI classify "${base[@]}" --calibrate contextual -o "$T/z2.csv" > /dev/null
$SENTI classify "${base[@]}" -k 1 --train datasets/demo.csv --seed 1 -o "$T/s1.csv" > /dev/null
$SENTI classify "${base[@]}" -k 1 --train datasets/demo.csv --seed 2 -o "$T/s2.csv" > /dev/null
[ -s "$T/s2.csv.manifest.json" ] || fail "classify wrote no RUN.csv.manifest.json"
"$SENTI" compare --aggregate --group-by demonstrations.shots --bootstrap 0 --format json \
    "$T"/z1.csv "$T"/z2.csv "$T"/s1.csv "$T"/s2.csv > "$T/a.json" 2> "$T/a.err"
python3 - "$T/a.json" <<'PY' || fail "groups: $(cat "$T/a.json")"
import json, sys
g = {x["group"]: x["runs"] for x in json.load(open(sys.argv[1]))["groups"]}
assert g == {"0": 2, "1": 2}, g
PY
! grep -q 'no manifest' "$T/a.err" || fail "a manifest was not found: $(cat "$T/a.err")"

# a run without any manifest: group "(missing)" and a note naming the run
cp "$T/z1.csv" "$T/bare.csv"
"$SENTI" compare --aggregate --group-by demonstrations.shots --bootstrap 0 "$T/z1.csv" "$T/bare.csv" \
    > "$T/b.txt" 2> "$T/b.err"
grep -q "group demonstrations.shots = (missing) (1 runs)" "$T/b.txt" || fail "missing group: $(cat "$T/b.txt")"
grep -q "note: $T/bare.csv: no manifest" "$T/b.err" || fail "no note: $(cat "$T/b.err")"
echo "t_compare_groups: ok"
