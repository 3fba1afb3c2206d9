#!/usr/bin/env bash
# One McNemar test: on the demo's zero-shot none-vs-contextual pair (100 rows,
# 18 vs 42 discordant, so past the old chi-square switch at 25) `senti compare`
# prints the same p as `senti report` (results.json's comparisons, which the
# report reads, and the report's Markdown), and that p is the
# exact binomial one: 2 * P[X <= 18], X ~ Bin(60, 1/2), computed here with
# integers (scipy.stats.binomtest(18, 60).pvalue = 0.002670436282807066).
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SENTI" run tests/data/report/demo_zs.json -o "$T/run" >"$T/run.log" 2>&1 || { cat "$T/run.log"; fail "run"; }
C="$T/run/cells/smollm2.demo.demo.zero-shot.k0"
"$SENTI" compare --bootstrap 0 --format json "$C.none/predictions.csv" "$C.contextual/predictions.csv" \
    > "$T/cmp.json"
"$SENTI" compare --bootstrap 0 "$C.none/predictions.csv" "$C.contextual/predictions.csv" > "$T/cmp.txt"
"$SENTI" report "$T/run" --markdown "$T/rep.md"
python3 - "$T/cmp.json" "$T/cmp.txt" "$T/run/results.json" "$T/rep.md" <<'PY' || fail "p values differ"
import json, math, re, sys
cmp = json.load(open(sys.argv[1]))["mcnemar"]
b, c = cmp["b"], cmp["c"]
n, k = b + c, min(b, c)
exact = min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n)
assert n >= 25, "too few discordant rows to tell the tests apart: %d" % n
assert abs(cmp["p_value"] - exact) <= 1e-12 * exact, (cmp["p_value"], exact)
txt = re.search(r"McNemar: .* p = (\S+)", open(sys.argv[2]).read()).group(1)
rep = json.load(open(sys.argv[3]))
pairs = [x for x in rep["comparisons"] if x["a"].endswith("zero-shot.k0.none")
         and x["b"].endswith("zero-shot.k0.contextual")]
assert len(pairs) == 1, rep["comparisons"]
r = pairs[0]
assert (r["a_only"], r["b_only"]) == (b, c), (r, b, c)
assert abs(r["p_value"] - cmp["p_value"]) <= 1e-9 * exact, (r["p_value"], cmp["p_value"])
# the printed values: both %.4g, so the same text
md = [l for l in open(sys.argv[4]) if "zero-shot.k0.none | " in l and "zero-shot.k0.contextual" in l]
assert len(md) == 1, md
assert md[0].split("|")[6].strip() == txt, (md[0], txt)
assert float(txt) == float("%.4g" % exact), (txt, exact)
PY
echo ok
