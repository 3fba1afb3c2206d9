#!/usr/bin/env bash
# senti report: gate exit codes (0 pass, 1 gate failed, 2 usage/input error),
# every output written, and the JUnit file read by real consumers: xmllint
# against tests/data/report/junit.xsd and Debian's python3-junitparser.
set -eu
SENTI=${SENTI:-build/senti}
fx=tests/data/report/results.json
base=tests/data/report/results_baseline.json
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

expect() { # expect CODE args...
    local want=$1; shift
    set +e; "$SENTI" report "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
    if [ "$got" -ne "$want" ]; then
        echo "senti report $*: exit $got, expected $want"; cat "$tmp/err"; exit 1
    fi
}

expect 0 "$fx" --fail-under 'accuracy@gemma3.*k4*=0.85' --fail-over 'ece@gemma3.*k4*=0.1'
expect 0 tests/data/report --fail-under accuracy=0.5          # a directory holding results.json
expect 1 "$fx" --fail-over ece=0.10                            # 3 cells above 0.10
expect 1 "$fx" --fail-under 'recall[negative]=0.7'            # per-class gate
expect 1 "$fx" --baseline "$base"                              # significantly worse than the baseline
expect 0 "$base" --baseline "$fx"                              # the better run passes
expect 2 "$fx" --fail-under accuracy                           # malformed gate
expect 2 "$fx" --fail-under 'acuracy=0.8'                      # unknown metric
expect 2 "$fx" --fail-under 'accuracy@nothing*=0.8'            # pattern selects no cell
expect 2 "$fx" --fail-under 'recall[neutral]=0.5'              # unknown label
expect 2 tests/data/report/missing.json
expect 2 tests/data/report/grid.json                           # not a results file
expect 2 "$fx" --no-such-option
grep -q 'gate ece=0.10 .*FAIL (3/28 cells failed)' <<<"$(
    "$SENTI" report "$fx" --fail-over ece=0.10 2>&1 >/dev/null || true)"

# every output, with one failing and two passing gates
expect 1 "$fx" --html "$tmp/r.html" --markdown "$tmp/r.md" --json "$tmp/r.json" --csv "$tmp/r.csv" \
    --junit "$tmp/r.xml" --fail-under accuracy=0.6 --fail-over ece=0.10 --fail-under 'recall[positive]=0.5'
for f in r.html r.md r.json r.csv r.xml; do [ -s "$tmp/$f" ] || { echo "missing $f"; exit 1; }; done
ls "$tmp" | grep -q tmp && { echo "temporary file left behind"; exit 1; }
[ "$(wc -l <"$tmp/r.csv")" -eq 29 ]
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]=="senti-report/1" and d["passed"] is False and [g["passed"] for g in d["gates"]]==[True,False,True], d["gates"]' "$tmp/r.json"

# all or nothing: when one report cannot be written, none is left in place
mkdir "$tmp/aon"
expect 2 "$fx" --html "$tmp/aon/r.html" --markdown "$tmp/aon/r.md" --json "$tmp/aon/no/such/dir/r.json" \
    --csv "$tmp/aon/r.csv"
[ -z "$(ls -A "$tmp/aon")" ] || { echo "reports left after a failed one: $(ls -A "$tmp/aon")"; exit 1; }

# results that senti run would not write: no "experiment" is fine (null in the JSON report);
# a metric outside its range is refused by name; a comparison without numbers reads n/a
python3 - "$fx" "$tmp" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = dict(d); e.pop("experiment"); json.dump(e, open(sys.argv[2] + "/noexp.json", "w"))
h = json.loads(json.dumps(d)); h["cells"][3]["metrics"]["accuracy"]["value"] = 1.7e308
json.dump(h, open(sys.argv[2] + "/huge.json", "w"))
c = json.loads(json.dumps(d))
for k in ("diff", "p_value"): del c["comparisons"][0][k]
json.dump(c, open(sys.argv[2] + "/cmp.json", "w"))
PY
expect 0 "$tmp/noexp.json" --json "$tmp/noexp.out.json" --markdown "$tmp/noexp.md"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["experiment"] is None' "$tmp/noexp.out.json"
expect 2 "$tmp/huge.json" --markdown "$tmp/huge.md"
grep -q 'huge.json: cells\[3\].metrics.accuracy.value: must be a number in \[0, 1\] or null' "$tmp/err" || { cat "$tmp/err"; exit 1; }
expect 0 "$tmp/cmp.json" --markdown "$tmp/cmp.md" --html "$tmp/cmp.html"
grep -q '| n/a | n/a |' "$tmp/cmp.md" || { grep -n "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["comparisons"][0]["a"])' "$fx")" "$tmp/cmp.md"; exit 1; }
! grep -qiw 'nan\|inf' "$tmp/cmp.md" "$tmp/cmp.html" || { echo "nan/inf in a report"; exit 1; }

# JUnit: schema-valid, and parsed by junitparser: 3 test cases, exactly the ece gate failed
xmllint --noout --schema tests/data/report/junit.xsd "$tmp/r.xml"
/usr/bin/python3 - "$tmp/r.xml" <<'PY'
import sys
from junitparser import JUnitXml, Failure
xml = JUnitXml.fromfile(sys.argv[1])
cases = [c for s in xml for c in s]
assert len(cases) == 3, len(cases)
failed = [c.name for c in cases if any(isinstance(r, Failure) for r in c.result)]
assert failed == ["--fail-over ece=0.10"], failed
PY
# same inputs, same bytes
"$SENTI" report "$fx" --html "$tmp/r2.html" --junit "$tmp/r2.xml" --fail-under accuracy=0.6 \
    --fail-over ece=0.10 --fail-under 'recall[positive]=0.5' 2>/dev/null || true
cmp "$tmp/r.html" "$tmp/r2.html"
cmp "$tmp/r.xml" "$tmp/r2.xml"
echo ok
