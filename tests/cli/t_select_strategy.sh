#!/usr/bin/env bash
# The "select" experiment strategy (docs/experiments.md) on a tiny
# experiment: SmolLM2, a space of one template (plus the verbalizer's), one
# calibration, 3 rows per label drawn with seeds 1 and 2 from a 30-row train
# file, 10 evaluated rows. Checks: the drawn rows are the rows a bow-logreg
# baseline with the same per_class and seed trains on; each cell keeps its
# rows, recipe, ranking and CV predictions; its predictions equal
# `senti select` + `senti classify --recipe` run by hand on the cell's rows;
# `-t 1` and `-t 2` give the same predictions and manifests' rows byte for
# byte; the parser refuses what a select strategy does not take.
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
MODEL=$SENTI_MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=${KEEP_TMP:-$(mktemp -d)}; [ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

head -31 datasets/demo.csv > "$tmp/train.csv"
{ head -1 datasets/demo.csv; sed -n 40,49p datasets/demo.csv; } > "$tmp/test.csv"
cat > "$tmp/space.json" <<'JSON'
{"templates": {"review": "Review: {text}\nSentiment:"},
 "label_words": {"lower": {"negative": "negative", "positive": "positive"}},
 "calibrations": ["contextual"], "shots": [0], "adapters": [], "ensembles": false, "label_word_search": false}
JSON
cat > "$tmp/exp.json" <<JSON
{"name": "sel", "models": [{"name": "smollm2", "path": "$MODEL"}],
 "datasets": [{"name": "d", "path": "$tmp/test.csv", "text": "text", "label": "label", "id": "id",
               "train": "$tmp/train.csv"}],
 "verbalizers": [{"name": "demo", "path": "verbalizers/demo.json"}],
 "strategies": [{"name": "sel", "kind": "select", "per_class": 3, "seeds": [1, 2], "budget": 30, "space": "$tmp/space.json"},
                {"name": "bow", "kind": "baseline", "method": "bow-logreg", "per_class": 3, "seeds": [1, 2]}]}
JSON
"$SENTI" run "$tmp/exp.json" -o "$tmp/run1" -t 1 -q > /dev/null 2> "$tmp/run1.err" || fail "run -t 1: $(cat "$tmp/run1.err")"
for s in 1 2; do
    cell=$tmp/run1/cells/select.d.demo.sel.k0.s$s.none
    for f in labelled.csv recipe.json recipe.ranking.csv recipe.ranking.md recipe.cv.csv predictions.csv manifest.json; do
        [ -s "$cell/$f" ] || fail "cell s$s lacks $f"
    done
    # the drawn rows: those of the baseline with the same per_class and seed
    python3 - "$cell/labelled.csv" "$tmp/run1/cells/baseline.d.demo.bow.k0.s$s.none/baseline.json" <<'PY' \
        || fail "seed $s: the select cell's rows are not the baseline's"
import csv, json, sys
ids = sorted(int(r["id"]) for r in csv.DictReader(open(sys.argv[1])))
def rows(o):
    if isinstance(o, dict):
        if "rows" in o and isinstance(o["rows"], list): return o["rows"]
        for v in o.values():
            r = rows(v)
            if r is not None: return r
b = sorted(rows(json.load(open(sys.argv[2]))))
assert len(ids) == 6 and ids == b, (ids, b)
PY
    # by hand: senti select on the cell's rows, then classify --recipe
    "$SENTI" select -i "$cell/labelled.csv" --text-col text --label-col label --id-col id -v verbalizers/demo.json -m "$MODEL" \
        --space "$tmp/space.json" --budget 30 --seed $s -t 1 -o "$tmp/hand$s.json" -q > /dev/null 2>&1 || fail "select by hand"
    "$SENTI" classify --recipe "$tmp/hand$s.json" -i "$tmp/test.csv" --text-col text --id-col id -o "$tmp/hand$s.csv" -q \
        > /dev/null 2>&1 || fail "classify --recipe by hand"
    cmp "$cell/predictions.csv" "$tmp/hand$s.csv" || fail "seed $s: the cell differs from select + classify --recipe"
    cmp "$cell/recipe.cv.csv" "$tmp/hand$s.cv.csv" || fail "seed $s: the CV predictions differ"
done
cmp -s "$tmp/run1/cells/select.d.demo.sel.k0.s1.none/labelled.csv" \
    "$tmp/run1/cells/select.d.demo.sel.k0.s2.none/labelled.csv" && fail "seeds 1 and 2 drew the same rows"
grep -q '"kind": "select"' "$tmp/run1/results.json" || fail "results.json: kind select"

# -t 2: the same bytes
"$SENTI" run "$tmp/exp.json" -o "$tmp/run2" -t 2 -q > /dev/null 2>&1 || fail "run -t 2"
for s in 1 2; do
    for f in labelled.csv predictions.csv recipe.cv.csv recipe.ranking.csv; do
        a=$tmp/run1/cells/select.d.demo.sel.k0.s$s.none/$f b=$tmp/run2/cells/select.d.demo.sel.k0.s$s.none/$f
        if [ "$f" = recipe.ranking.csv ]; then # the seconds column aside
            cmp <(cut -d, -f1-10 "$a") <(cut -d, -f1-10 "$b") || fail "-t 1 / -t 2: $f of s$s"
        else
            cmp "$a" "$b" || fail "-t 1 / -t 2: $f of s$s"
        fi
    done
done

# the recipe is applied with the run's score cache: a space whose only prompt is the verbalizer's (the
# space's template and words equal it and are dropped) chooses the prompt the zero-shot cell scored, so
# the select cell decodes none of the evaluated rows (nor the 3 content-free inputs) and predicts
# what that cell predicts
cat > "$tmp/space3.json" <<'JSON'
{"templates": {"review": "Review: {text}\nSentiment:"},
 "label_words": {"names": {"negative": "Negative", "positive": "Positive"}},
 "calibrations": ["contextual"], "shots": [0], "adapters": [], "baselines": [], "ensembles": false,
 "label_word_search": false}
JSON
sed -e "s|\"strategies\": \[|\"strategies\": [{\"name\": \"zs\", \"kind\": \"zero-shot\", \"calibration\": [\"contextual\"]},|" \
    -e "s|$tmp/space.json|$tmp/space3.json|" "$tmp/exp.json" > "$tmp/exp3.json"
"$SENTI" run "$tmp/exp3.json" -o "$tmp/run3" -t 2 -q > /dev/null 2>&1 || fail "run with a zero-shot cell first"
cell=$tmp/run3/cells/select.d.demo.sel.k0.s1.none
grep -q '"candidate": "SmolLM2-135M-Instruct.Q4_1.verbalizer.verbalizer.contextual.k0"' "$cell/recipe.json" \
    || fail "space3 chose another candidate: $(grep candidate "$cell/recipe.json")"
python3 -c 'import json,sys; c = json.load(open(sys.argv[1]))["counts"]; assert c["prompts_from_cache"] == 13 and c["tokens_decoded"] == 0, c' \
    "$cell/manifest.json" || fail "the select cell did not read the run's cache"
cmp "$cell/predictions.csv" "$tmp/run3/cells/smollm2.d.demo.zs.k0.contextual/predictions.csv" \
    || fail "the select cell's predictions differ from the zero-shot cell's"

# what a select strategy does not take
bad() { # bad PATTERN STRATEGY-JSON: refused at parse (exit 2)
    grep -q '{"name": "sel", "kind": "select"' "$tmp/exp.json" || fail "the test's experiment changed shape"
    sed "s|{\"name\": \"sel\", \"kind\": \"select\"[^}]*}|$2|" "$tmp/exp.json" > "$tmp/bad.json"
    set +e; "$SENTI" run "$tmp/bad.json" -o "$tmp/runb" > /dev/null 2> "$tmp/bad.err"; rc=$?; set -e
    [ $rc = 2 ] && grep -q -- "$1" "$tmp/bad.err" || fail "$2 -> exit $rc: $(cat "$tmp/bad.err")"
}
bad 'needs "per_class"' '{"name": "sel", "kind": "select"}'
bad 'per_class: must be an integer in 2' '{"name": "sel", "kind": "select", "per_class": 1}'
bad 'budget: must be a number of minutes' '{"name": "sel", "kind": "select", "per_class": 3, "budget": 0}'
bad '"method" does not apply' '{"name": "sel", "kind": "select", "per_class": 3, "method": "head"}'
bad 'only "none"' '{"name": "sel", "kind": "select", "per_class": 3, "calibration": "pmi"}'
bad '"budget" and "space" belong to select' '{"name": "sel", "kind": "zero-shot", "budget": 3}'
echo "t_select_strategy: ok"
