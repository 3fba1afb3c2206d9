#!/usr/bin/env bash
# senti report on one predictions CSV (no experiment): the metrics against
# the scikit-learn values of tests/data/metrics/*.expected.json, the
# worst-calibrated rows against a Python recomputation from the CSV, the
# reader options of senti eval, gates, the input errors, and the HTML page
# rendered in headless Chromium (no console message, layout at 1280 and 390 px).
set -eu
SENTI=${SENTI:-build/senti}
d=tests/data/metrics
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

expect() { # expect CODE args...
    local want=$1; shift
    set +e; "$SENTI" report "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
    if [ "$got" -ne "$want" ]; then
        echo "senti report $*: exit $got, expected $want"; cat "$tmp/err"; exit 1
    fi
}

# JSON (summary, worst rows) against the references
check_json() { # check_json REPORT.json CSV EXPECTED.json [bins-key] [pred-col] [prob-cols]
    /usr/bin/python3 - "$@" <<'PY'
import csv, json, sys
rep, path, exp = json.load(open(sys.argv[1])), sys.argv[2], json.load(open(sys.argv[3]))
bins_key = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else "metrics"
pred_col = sys.argv[5] if len(sys.argv) > 5 else "pred"
cols = dict(c.split("=") for c in sys.argv[6].split(",")) if len(sys.argv) > 6 else None
assert rep["schema"] == "senti-report/1" and rep["source"]["kind"] == "predictions", rep.keys()
(row,) = rep["summary"]
for k, v in exp["metrics"].items():
    want = exp.get(bins_key, {}).get(k, v)
    if k in row:
        assert abs(row[k]["mean"] - want) < 1e-9, (k, row[k]["mean"], want)
        assert row[k]["lo"] <= row[k]["mean"] <= row[k]["hi"], (k, row[k])
# worst-calibrated rows: |p(pred) - correct|, largest first, ties in file order
rows = list(csv.DictReader(open(path)))
gold = sys.argv[7] if len(sys.argv) > 7 else "gold"
labels = list(cols) if cols else [c[2:] for c in rows[0] if c.startswith("p_")]
pcol = (lambda l: cols[l]) if cols else (lambda l: "p_" + l)
gaps = []
for i, r in enumerate(rows):
    p = float(r[pcol(r[pred_col])])
    gaps.append((-abs(p - (r[gold] == r[pred_col])), i))
want = [i + 1 for _, i in sorted(gaps)[:10]]
got = [w["row"] for w in rep["worst_calibrated"]]
assert got == want, (got, want)
for w in rep["worst_calibrated"]:
    r = rows[w["row"] - 1]
    assert w["gold"] == r[gold] and w["pred"] == r[pred_col], w
    assert abs(w["confidence"] - float(r[pcol(r[pred_col])])) < 1e-9, w  # 10 digits in the JSON
PY
}

expect 0 "$d/bin_500.csv" --json "$tmp/b.json" --markdown "$tmp/b.md" --html "$tmp/b.html" --csv "$tmp/b.csv" \
    --fail-under accuracy=0.8 --fail-over ece=0.1
check_json "$tmp/b.json" "$d/bin_500.csv" "$d/bin_500.expected.json"
expect 0 "$d/c3_200.csv" --json "$tmp/c.json" --html "$tmp/c.html"
check_json "$tmp/c.json" "$d/c3_200.csv" "$d/c3_200.expected.json"
# the reader and evaluation options of senti eval
expect 0 "$d/foreign_cols.csv" --gold-col label --pred-col predicted --prob-cols neg=prob_neg,pos=prob_pos \
    --bins 10 --bootstrap 200 --json "$tmp/f.json"
check_json "$tmp/f.json" "$d/foreign_cols.csv" "$d/foreign_cols.expected.json" metrics_bins10 predicted \
    neg=prob_neg,pos=prob_pos label

# the Markdown: headline, metrics with intervals, per class, worst rows, gates
for s in 'accuracy = 0.8160 (408/500)' '| accuracy | 0.816 | [' '| negative | 0.830 |' \
         '## Worst-calibrated rows' '## Gates: passed'; do
    grep -qF -- "$s" "$tmp/b.md" || { echo "Markdown lacks: $s"; exit 1; }
done
[ "$(grep -c '^| [0-9]* | r0' "$tmp/b.md")" -eq 10 ]
[ "$(wc -l <"$tmp/b.csv")" -eq 2 ]
# no probabilities: labels from the values, no reliability, no worst rows
expect 0 "$d/label_free.csv" --markdown "$tmp/l.md" --html "$tmp/l.html"
! grep -q 'Worst-calibrated' "$tmp/l.md"
grep -q 'No probability columns' "$tmp/l.html"

# gates on the one cell: 1 failed, 2 input error
expect 1 "$d/bin_500.csv" --fail-under accuracy=0.9
grep -q 'bin_500.csv: accuracy = 0.816, required >= 0.9' "$tmp/err"
expect 2 "$d/bin_500.csv" --fail-under 'recall[neutral]=0.5'
# input errors: neither results nor predictions, missing file, options for the wrong input
printf 'review,stars\nnice,5\n' >"$tmp/other.csv"
expect 2 "$tmp/other.csv"
grep -q 'expected an experiment directory, a results.json (senti run) or a predictions CSV' "$tmp/err"
grep -q 'gold' "$tmp/err"
expect 2 "$tmp/none.csv"
expect 2 tests/data/report/results.json --bins 10
grep -q 'apply to a predictions CSV only' "$tmp/err"
expect 2 "$d/bin_500.csv" --bins 0
expect 2 "$d/bin_500.csv" --ci 1.5
# what item 8 of issue 16 saw: a predictions file is no longer parsed as JSON
expect 0 "$d/classify_status.csv"
! grep -q "expected near" "$tmp/err"
grep -q '^# senti report: classify_status.csv' "$tmp/out"

# same input, same bytes
"$SENTI" report "$d/bin_500.csv" --html "$tmp/b2.html" 2>/dev/null
"$SENTI" report "$d/bin_500.csv" --html "$tmp/b3.html" 2>/dev/null
cmp "$tmp/b2.html" "$tmp/b3.html"

# the page in Chromium: no console message, one of each chart, the numbers, the layout
tools/screenshot.sh "$tmp/b.html" "$tmp/shots"
if grep -E 'CONSOLE|Uncaught|Refused to' "$tmp/shots/console.log"; then echo "console messages"; exit 1; fi
sed 's/<[^>]*>//g' "$tmp/shots/dom.html" >"$tmp/dom.txt"
for s in 'accuracy = 0.8160 (408/500)' 'Gates: passed (2 of 2 passed)' 'Worst-calibrated rows' \
         '143r00142positivenegative0.997no0.997'; do
    grep -qF -- "$s" "$tmp/dom.txt" || { echo "rendered DOM lacks: $s"; exit 1; }
done
[ "$(grep -o 'aria-label="reliability diagram"' "$tmp/shots/dom.html" | wc -l)" -eq 1 ]
[ "$(grep -o 'aria-label="confusion matrix"' "$tmp/shots/dom.html" | wc -l)" -eq 1 ]
for f in b c l; do
    for w in 1280 390; do tools/report_layout.py "$tmp/$f.html" $w --check >/dev/null; done
done
echo ok
