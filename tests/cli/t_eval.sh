#!/usr/bin/env bash
# senti eval / senti compare end to end on committed fixtures (no model needed).
set -eu
D=tests/data/metrics
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# headline line and a value from the scikit-learn reference
out=$("$SENTI" eval --bootstrap 100 "$D/c3_200.csv")
echo "$out" | head -1 | grep -qx 'accuracy = 0.7850 (157/200)' || fail "headline: $(echo "$out" | head -1)"
grep -q '^macro_f1 ' <<<"$out" || fail "no macro_f1 row"

# JSON: stable keys, values equal to the reference file to 1e-9
"$SENTI" eval --format json --bootstrap 50 -o "$T/e.json" "$D/c5_300.csv" > "$T/head.txt"
grep -q '^accuracy = ' "$T/head.txt" || fail "headline not on stdout with -o"
python3 - "$T/e.json" "$D/c5_300.expected.json" <<'PY' || fail "json values"
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
keys = ["accuracy", "balanced_accuracy", "macro_f1", "micro_f1", "weighted_f1", "mcc", "kappa",
        "nll", "brier", "ece", "ece_mass", "mce", "rmsce", "classwise_ece", "ace", "aurc"]
for k in keys + ["n", "per_class", "confusion", "reliability", "ci"]:
    assert k in got, k
for k in keys:
    assert abs(got[k] - want["metrics"][k]) < 1e-9, (k, got[k], want["metrics"][k])
    assert got["ci"][k]["lo"] <= got["ci"][k]["hi"], k
assert got["confusion"] == want["confusion"]
PY

# CSV format
"$SENTI" eval --format csv --bootstrap 0 "$D/bin_500.csv" 2>/dev/null > "$T/e.csv"
head -1 "$T/e.csv" | grep -qx 'metric,label,value,ci_lo,ci_hi' || fail "csv header"
grep -q '^ece,,' "$T/e.csv" || fail "csv ece row"

# status rows of senti classify are skipped with a warning
"$SENTI" eval --bootstrap 0 "$D/classify_status.csv" > "$T/s.txt" 2> "$T/s.err"
grep -q '3 rows skipped' "$T/s.err" || fail "no skip warning"
head -1 "$T/s.txt" | grep -q '(41/47)' || fail "skipped rows counted"

# another tool's columns
"$SENTI" eval --bootstrap 0 --gold-col label --pred-col predicted \
    --prob-cols neg=prob_neg,pos=prob_pos "$D/foreign_cols.csv" > /dev/null || fail "foreign columns"

# input errors: exit 2 and the message names file and row
printf 'gold,p_a,p_b\na,0.5,0.5\nb,0.9,0.3\n' > "$T/bad.csv"
set +e
"$SENTI" eval "$T/bad.csv" > /dev/null 2> "$T/bad.err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "exit code $rc for a bad row sum"
grep -q 'bad.csv: row 2' "$T/bad.err" || fail "error does not name the row: $(cat "$T/bad.err")"
"$SENTI" eval --renormalize --bootstrap 0 "$T/bad.csv" > /dev/null 2>&1 || fail "--renormalize"

# the JSON output follows docs/eval-json.schema.json (Debian's python3-jsonschema,
# installed by tools/deps.sh; /usr/bin/python3 is the interpreter that has it)
/usr/bin/python3 - "$T/e.json" docs/eval-json.schema.json <<'PY' || fail "schema"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
PY
