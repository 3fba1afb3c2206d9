#!/usr/bin/env bash
# Baselines without a language model: senti finetune --method bow-logreg|majority
# writes an adapter, senti classify --adapter applies it with no model (a
# missing -m file is fine and said to be unused), senti eval reads the result;
# bad adapters and mismatched labels fail cleanly; an experiment with baseline
# cells trains on the rows senti finetune draws, resumes, and its report marks
# whether each strategy beats the best baseline.
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect CODE PATTERN CMD...: exit code CODE and PATTERN on stderr
    local code=$1 pat=$2; shift 2
    set +e; "$@" > "$tmp/out" 2> "$tmp/err"; local rc=$?; set -e
    [ "$rc" = "$code" ] || fail "$* -> exit $rc (want $code): $(cat "$tmp/err")"
    grep -q -- "$pat" "$tmp/err" || fail "$* -> stderr lacks '$pat': $(cat "$tmp/err")"
}

# ---- the same adapter whatever -t: 1200 MR rows give ~30k weights, enough for
# OpenBLAS to thread the reductions inside GSL's BFGS (it sums them in another
# order on 2 threads; bow.c fits on one BLAS thread), and the 5 folds run in parallel
for t in 1 2; do
    "$SENTI" finetune --method bow-logreg -v verbalizers/mr.json --train "$SENTI_DATASETS/mr/all.csv" \
        --shots-per-class 600 --seed 3 -t $t -o "$tmp/mr.t$t.json" > /dev/null || fail "finetune bow-logreg -t $t"
done
cmp "$tmp/mr.t1.json" "$tmp/mr.t2.json" || fail "bow-logreg -t 1 and -t 2 differ"

# ---- finetune + classify + eval, no model ----
{ head -1 datasets/demo.csv; tail -n +52 datasets/demo.csv; } > "$tmp/train.csv"   # demo rows 51-100
"$SENTI" finetune --method bow-logreg -v verbalizers/demo.json --train "$tmp/train.csv" --shots-per-class 8 \
    --seed 2 -o "$tmp/bow.json" > "$tmp/ft.out" || fail "finetune bow-logreg"
grep -q "bow-logreg: C = .* 16 rows" "$tmp/ft.out" || fail "finetune summary: $(cat "$tmp/ft.out")"
python3 - "$tmp/bow.json" "$tmp/train.csv" <<'PY' || fail "adapter file contents"
import hashlib, json, sys
a = json.load(open(sys.argv[1]))
assert a["format"] == "senti-bow-logreg" and a["method"] == "bow-logreg", a.keys()
t = a["train"]
assert t["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert t["seed"] == 2 and t["shots_per_class"] == 8 and t["n_rows"] == 16 and len(t["rows"]) == 16
assert t["rows"] == sorted(t["rows"]) and all(1 <= r <= 50 for r in t["rows"])
assert a["C"] in (0.01, 0.1, 1, 10, 100) and a["labels"] == ["negative", "positive"]
PY
expect 0 "not used with a baseline adapter" "$SENTI" classify --adapter "$tmp/bow.json" -i datasets/demo.csv \
    --id-col id --limit 30 -m "$tmp/no-such-model.gguf" -o "$tmp/pred.csv"
head -1 "$tmp/pred.csv" | grep -qx "id,gold,pred,p_negative,p_positive,raw_p_negative,raw_p_positive,n_tokens,status" ||
    fail "header: $(head -1 "$tmp/pred.csv")"
[ "$(tail -n +2 "$tmp/pred.csv" | wc -l)" = 30 ] || fail "rows"
grep -q '"model": null' "$tmp/pred.csv.manifest.json" || fail "manifest names a model"
grep -q '"kind": "baseline"' "$tmp/pred.csv.manifest.json" || fail "manifest lacks the adapter"
"$SENTI" eval "$tmp/pred.csv" > "$tmp/eval.out" || fail "eval"
grep -q "^accuracy" "$tmp/eval.out" || fail "eval output"
# with the verbalizer: the same bytes
"$SENTI" classify --adapter "$tmp/bow.json" -v verbalizers/demo.json -i datasets/demo.csv --id-col id --limit 30 \
    -q -o "$tmp/pred_v.csv" > /dev/null 2>&1 || fail "classify with -v"
cmp "$tmp/pred.csv" "$tmp/pred_v.csv" || fail "-v changed the predictions"
# majority on every row of the train file: 25/25, ties to the first label, p = 0.5
"$SENTI" finetune --method majority -v verbalizers/demo.json --train "$tmp/train.csv" -o "$tmp/maj.json" > /dev/null
"$SENTI" classify --adapter "$tmp/maj.json" -i datasets/demo.csv --id-col id --limit 4 -o "$tmp/maj.csv" > /dev/null 2>&1
[ "$(sed -n 2p "$tmp/maj.csv")" = "d001,positive,negative,0.5,0.5,0.5,0.5,0,ok" ] || fail "majority row: $(sed -n 2p "$tmp/maj.csv")"

# ---- bad input ----
printf '{"format": "senti-bow-logreg", "version": 1,\n "labels": [' > "$tmp/corrupt.json"
expect 2 "corrupt.json:2:" "$SENTI" classify --adapter "$tmp/corrupt.json" -i datasets/demo.csv -o "$tmp/x.csv"
[ ! -e "$tmp/x.csv" ] || fail "output written after an error"
sed 's/"counts":\[25,25\]/"counts":[25,-1]/' "$tmp/maj.json" > "$tmp/badcount.json"
expect 2 "counts\[1\]" "$SENTI" classify --adapter "$tmp/badcount.json" -i datasets/demo.csv -o "$tmp/x.csv"
expect 2 "differ from those of verbalizer" "$SENTI" classify --adapter "$tmp/bow.json" -v verbalizers/sst2.json \
    -i datasets/demo.csv -o "$tmp/x.csv"
printf 'text,label\nfine,positive\nawful,neutral\n' > "$tmp/neutral.csv"
expect 2 "label 'neutral'.*not a label of adapter" "$SENTI" classify --adapter "$tmp/bow.json" -i "$tmp/neutral.csv" \
    -o "$tmp/x.csv"
expect 2 "not calibrated" "$SENTI" classify --adapter "$tmp/bow.json" -i datasets/demo.csv --calibrate contextual \
    -o "$tmp/x.csv"
expect 2 "label 'negative' has no rows in the training data" "$SENTI" finetune --method bow-logreg \
    -v verbalizers/demo.json --train "$tmp/neutral.csv" -o "$tmp/y.json"
expect 2 "applies to --method bow-logreg only" "$SENTI" finetune --method majority --C 2 -v verbalizers/demo.json \
    --train "$tmp/train.csv" -o "$tmp/y.json"
[ ! -e "$tmp/x.csv" ] && [ ! -e "$tmp/y.json" ] || fail "output written after an error"

# ---- an experiment with baseline cells ----
export SENTI_TEST_TRAIN=$tmp/train.csv
"$SENTI" run tests/data/report/baseline_run.json -o "$tmp/run" > "$tmp/run.log" 2>&1 || fail "run: $(cat "$tmp/run.log")"
cell=$tmp/run/cells/baseline.demo.demo.bow.k0.s2.none
cmp "$cell/baseline.json" "$tmp/bow.json" || fail "the experiment's s2 adapter is not senti finetune's"
"$SENTI" classify --adapter "$cell/baseline.json" -v verbalizers/demo.json -i datasets/demo.csv --id-col id \
    --limit 30 -q -o "$tmp/direct.csv" > /dev/null 2>&1
cmp "$cell/predictions.csv" "$tmp/direct.csv" || fail "run and classify --adapter differ"
python3 - "$tmp/run/results.json" <<'PY' || fail "results.json"
import json, sys
r = json.load(open(sys.argv[1]))
names = [c["name"] for c in r["cells"]]
assert names == ["smollm2.demo.demo.zs.k0.none", "smollm2.demo.demo.zs.k0.contextual",
                 "baseline.demo.demo.bow.k0.s1.none", "baseline.demo.demo.bow.k0.s2.none",
                 "baseline.demo.demo.majority.k0.s1.none"], names
for c in r["cells"][2:]:
    assert c["model"] is None and c["kind"] == "baseline", c
maj = r["cells"][4]["metrics"]["accuracy"]["value"]
assert abs(maj - 0.5) < 1e-12, maj   # 15 negative of 30; ties to "negative"
PY
sed '/"timing"/,$d' "$tmp/run/results.json" > "$tmp/first.json"
"$SENTI" run tests/data/report/baseline_run.json -o "$tmp/run" --resume > "$tmp/run2.log" 2>&1 || fail "resume"
grep -q "0 run, 5 resumed" "$tmp/run2.log" || fail "resume reran cells: $(cat "$tmp/run2.log")"
sed '/"timing"/,$d' "$tmp/run/results.json" | cmp - "$tmp/first.json" || fail "resumed results.json differs"
"$SENTI" report "$tmp/run" --markdown "$tmp/report.md" --html "$tmp/report.html" || fail "report"
grep -q "^## Against the best baseline" "$tmp/report.md" || fail "no baseline section"
grep -q "^| smollm2.demo.demo.zs.k0.none | baseline.demo.demo.bow.k0.s[12].none | .*McNemar p = .* | \(\*\*yes\*\*\|no\|no, worse\) |$" \
    "$tmp/report.md" || fail "zero-shot row: $(grep -A8 'best baseline' "$tmp/report.md")"
grep -q 'id="baseline-table"' "$tmp/report.html" || fail "no baseline table in the HTML"

# ---- the baseline path writes through the classifier's own writers: stdout, pass-through columns ----
(cd "$tmp" && "$OLDPWD/$SENTI" classify --adapter bow.json -i "$OLDPWD/datasets/demo.csv" --id-col id --limit 5 \
    --keep-text -o - > stdout.csv 2> stdout.err) || fail "baseline classify -o -: $(cat "$tmp/stdout.err")"
[ ! -e "$tmp/-.manifest.json" ] || fail "baseline -o - wrote ./-.manifest.json"
head -1 "$tmp/stdout.csv" | grep -qx "id,gold,pred,p_negative,p_positive,raw_p_negative,raw_p_positive,n_tokens,status,text" ||
    fail "baseline --keep-text header: $(head -1 "$tmp/stdout.csv")"
cmp <(cut -d, -f1-9 "$tmp/stdout.csv") <(head -6 "$tmp/pred.csv") || fail "baseline -o - rows differ from the file run"

# ---- a seeded split of one file: the baseline trains only on rows the test sample leaves ----
cat > "$tmp/split.json" <<JSON
{"name": "split", "models": [{"name": "m", "path": "$tmp/no-such-model.gguf"}],
 "datasets": [{"name": "demo", "path": "datasets/demo.csv", "id": "id", "sample": 40, "seed": 3,
               "train": "rest", "verbalizer": "demo"}],
 "verbalizers": [{"name": "other", "path": "verbalizers/sst2.json"}, {"name": "demo", "path": "verbalizers/demo.json"}],
 "strategies": [{"name": "bow", "kind": "baseline", "method": "bow-logreg", "per_class": 8},
                {"name": "all", "kind": "baseline", "method": "majority", "train": "all"}]}
JSON
"$SENTI" run "$tmp/split.json" -o "$tmp/split" > /dev/null 2>&1 || fail "seeded-split experiment"
python3 - "$tmp/split/cells" <<'PY' || fail "seeded split: train rows overlap the scored rows"
import csv, json, os, sys
cells = sorted(os.listdir(sys.argv[1]))
assert cells == ["baseline.demo.demo.all.k0.s1.none", "baseline.demo.demo.bow.k0.s1.none"], cells
for c in cells:
    d = os.path.join(sys.argv[1], c)
    scored = {int(r["id"][1:]) for r in csv.DictReader(open(os.path.join(d, "predictions.csv")))}
    train = set(json.load(open(os.path.join(d, "baseline.json")))["train"]["rows"])
    assert len(scored) == 40, len(scored)
    assert not scored & train, sorted(scored & train)
    assert len(train) == (16 if c.endswith("bow.k0.s1.none") else 60), (c, len(train))
PY
echo ok
