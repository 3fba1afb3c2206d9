#!/usr/bin/env bash
# A verbalizer's label_map (verbalizers/sst5-3class.json: SST-5's 0..4 read as
# negative/neutral/positive) in classify (gold written as the mapped label,
# few-shot demonstrations drawn per mapped label), eval on its output, the
# manifest, finetune's per-label draw, and an unmapped value as a row error.
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
DS=${SENTI_DATASETS:-../shared/datasets}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
V=verbalizers/sst5-3class.json
base=(-m "$MODEL" -v "$V" -q)

"$SENTI" classify "${base[@]}" -i "$DS/sst5/dev.csv" --limit 8 -k 1 --train "$DS/sst5/train.csv" \
    --sampling balanced -o "$T/p.csv" > "$T/p.out" 2> /dev/null
python3 - "$DS/sst5/dev.csv" "$T/p.csv" "$T/p.out" <<'PY' || fail "mapped gold labels"
import csv, json, re, sys
to3 = {"0": "negative", "1": "negative", "2": "neutral", "3": "positive", "4": "positive"}
src = list(csv.DictReader(open(sys.argv[1], newline="")))[:8]
out = list(csv.DictReader(open(sys.argv[2], newline="")))
assert [r["gold"] for r in out] == [to3[s["label"]] for s in src], [r["gold"] for r in out]
assert set(r["pred"] for r in out) <= {"negative", "neutral", "positive"}
right = sum(r["gold"] == r["pred"] for r in out)
assert re.search(r"^accuracy = [0-9.]+ \(%d/8\)$" % right, open(sys.argv[3]).read(), re.M), open(sys.argv[3]).read()
m = json.load(open(sys.argv[2] + ".manifest.json"))
assert m["verbalizer"]["label_map"] == to3, m["verbalizer"]["label_map"]
# the balanced demonstration set has one row of each mapped label
rows = m["demonstrations"]["shared_rows_in_order"]
assert len(rows) == 1, rows
PY
"$SENTI" eval --bootstrap 0 "$T/p.csv" 2> /dev/null | grep -q "^accuracy = " || fail "eval of the mapped predictions"

# finetune draws --shots-per-class rows of each mapped label
"$SENTI" finetune -m "$MODEL" -v "$V" --train "$DS/sst5/dev.csv" --method head --shots-per-class 2 \
    -o "$T/h.json" -q > /dev/null 2>&1
python3 -c 'import json,sys; c=json.loads(open(sys.argv[1]).readline()); assert c["n_train"] == 6, c' \
    "$T/h.json.log.jsonl" || fail "finetune rows per mapped label"

# a value neither a label nor in the map: a row error naming it (exit 2, no output)
printf 'sentence,label\ngood film,4\nodd one,7\n' > "$T/bad.csv"
set +e
"$SENTI" classify "${base[@]}" -i "$T/bad.csv" -o "$T/bad.out.csv" > /dev/null 2> "$T/e"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "bad.csv:3: label '7' (first seen in data row 2) is not in verbalizer '$V' (neither a label nor in its label_map)" "$T/e" \
    || fail "unmapped value: $rc $(cat "$T/e")"
[ ! -e "$T/bad.out.csv" ] || fail "output after the error"
echo "t_label_map: ok"
