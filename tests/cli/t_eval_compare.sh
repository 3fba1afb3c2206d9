#!/usr/bin/env bash
# senti eval --calibrate and senti compare (paired, aggregate).
set -eu
D=tests/data/metrics
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# post-hoc temperature scaling: fitted T equals the scipy reference
"$SENTI" eval --bootstrap 0 --format json --posthoc temperature --calib-file "$D/calib_fit.csv" \
    -o "$T/c.json" "$D/calib_test.csv" > /dev/null
python3 - "$T/c.json" "$D/calib.expected.json" <<'PY' || fail "temperature"
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
c = got["calibration"]
assert abs(c["temperature"] - want["temperature"]) < 1e-6, (c["temperature"], want["temperature"])
assert c["after"]["accuracy"] == got["accuracy"]       # argmax unchanged
assert c["after"]["nll"] < got["nll"]                  # over-confident input gets better
PY
# calibration rows where the favoured label is gold less often than chance: no
# positive temperature fits, and a negative one (which reversed every prediction
# before) is refused, exit 2 naming the file
printf 'gold,p_a,p_b\n' > "$T/below.csv"
for g in a a a a b b b b b b; do echo "$g,0.6,0.4" >> "$T/below.csv"; done
rc=0; "$SENTI" eval --bootstrap 0 --posthoc temperature --calib-file "$T/below.csv" "$T/below.csv" \
    > "$T/o" 2> "$T/e" || rc=$?
[ "$rc" = 2 ] && grep -q "below.csv: temperature scaling: .*no finite temperature" "$T/e" \
    && [ ! -s "$T/o" ] || { cat "$T/e"; fail "below-chance temperature fit: exit $rc"; }
"$SENTI" eval --bootstrap 0 --posthoc platt --calib-file "$D/calib_bin.csv" "$D/calib_bin.csv" \
    | grep -q 'post-hoc calibration: platt' || fail "platt text"

# paired comparison: rows matched by id, verdict line, McNemar from scipy
"$SENTI" compare --bootstrap 100 "$D/cmp_a.csv" "$D/cmp_b.csv" > "$T/p.txt"
head -1 "$T/p.txt" | grep -q '^verdict: ' || fail "verdict line"
grep -q 'matched by id' "$T/p.txt" || fail "not matched by id"
"$SENTI" compare --format json --bootstrap 50 "$D/cmp_a.csv" "$D/cmp_b.csv" > "$T/p.json"
python3 - "$T/p.json" "$D/compare_ab.expected.json" <<'PY' || fail "compare json"
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert got["mcnemar"]["b"] == want["b"] and got["mcnemar"]["c"] == want["c"]
assert abs(got["mcnemar"]["p_value"] - want["p"]) < 1e-12
for k, v in want["diff"].items():
    assert abs(got["metrics"][k]["diff"] - v) < 1e-9, k
PY
# files that do not describe the same rows are refused
set +e
"$SENTI" compare "$D/cmp_a.csv" "$D/calib_fit.csv" > /dev/null 2> "$T/r.err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "compare of different rows: exit $rc"

# undefined metrics are "n/a" in text and an empty cell in CSV (null in JSON), never "nan":
# kappa when every row has one label; the probability metrics of a file without
# probabilities; the sd of a one-run group
printf 'gold,pred,p_a,p_b\na,a,1,0\na,a,1,0\na,a,0.8,0.2\n' > "$T/same.csv"
"$SENTI" eval --bootstrap 10 "$T/same.csv" > "$T/s.txt" 2> /dev/null
grep -Eq '^kappa +n/a$' "$T/s.txt" || fail "kappa n/a: $(cat "$T/s.txt")"
"$SENTI" eval --bootstrap 10 --format csv "$T/same.csv" > "$T/s.csv" 2> /dev/null
grep -qx 'kappa,,,,' "$T/s.csv" || fail "kappa csv: $(grep kappa "$T/s.csv")"
printf 'id,gold,pred\n1,neg,neg\n2,pos,neg\n' > "$T/noprob.csv"
"$SENTI" eval --bootstrap 10 --format csv "$T/noprob.csv" > "$T/n.csv" 2> /dev/null
grep -qx 'nll,,,,' "$T/n.csv" && grep -qx 'accuracy,,0.5,0,1' "$T/n.csv" || fail "no-prob csv: $(cat "$T/n.csv")"
cp "$D/cmp_a.csv" "$T/one.csv"; echo '{"params": {"shots": 0}}' > "$T/one.manifest.json"
"$SENTI" compare --aggregate --group-by params.shots "$T/one.csv" > "$T/g.txt"
grep -Eq '^  accuracy +[0-9.]+ +n/a ' "$T/g.txt" || fail "one-run sd: $(cat "$T/g.txt")"
printf 'id,gold,pred,p_a,p_b\n1,a,a,0.9,0.1\n2,a,b,0.4,0.6\n3,a,a,0.7,0.3\n' > "$T/other.csv"
printf 'id,gold,pred,p_a,p_b\n1,a,a,1,0\n2,a,a,1,0\n3,a,a,0.8,0.2\n' > "$T/same_ids.csv"
"$SENTI" compare --bootstrap 0 "$T/same_ids.csv" "$T/other.csv" > "$T/k.txt"
grep -Eq '^kappa +n/a +0\.0000 +n/a$' "$T/k.txt" || fail "compare kappa n/a: $(cat "$T/k.txt")"
for f in "$T/s.txt" "$T/s.csv" "$T/n.csv" "$T/g.txt" "$T/k.txt"; do
    ! grep -qi 'nan' "$f" || fail "nan written in $f: $(cat "$f")"
done

# many runs grouped by a manifest field
for i in 1 2 3 4; do
    cp "$D/cmp_a.csv" "$T/run$i.csv"
    echo "{\"params\": {\"shots\": $((i % 2))}}" > "$T/run$i.manifest.json"
done
cp "$D/cmp_b.csv" "$T/run5.csv"; echo '{"params": {"shots": 1}}' > "$T/run5.manifest.json"
"$SENTI" compare --aggregate --group-by params.shots --format json "$T"/run*.csv > "$T/a.json"
python3 - "$T/a.json" <<'PY' || fail "aggregate"
import json, sys
g = {x["group"]: x for x in json.load(open(sys.argv[1]))["groups"]}
assert g["1"]["runs"] == 3 and g["0"]["runs"] == 2, g.keys()
assert g["0"]["metrics"]["accuracy"]["sd"] == 0.0
a = g["1"]["metrics"]["accuracy"]
assert a["worst"] == a["min"] and a["min"] <= a["mean"] <= a["max"]
PY
