#!/usr/bin/env bash
# senti run with a finetune strategy: the head trained in the cell on 4 rows per
# label (seed 2) of demo rows 51-66 is byte for byte the adapter that
# `senti finetune --shots-per-class 4 --seed 2` writes, and its predictions on
# rows 1-6 those of `senti classify --adapter`; --resume keeps the cell.
set -eu
SENTI=${SENTI:-build/senti}
MODEL_DIR=${MODEL_DIR:-models}
MODEL=$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

{ head -1 datasets/demo.csv; tail -n +52 datasets/demo.csv | head -16; } > "$tmp/train.csv"
cat > "$tmp/exp.json" <<JSON
{"name": "ft", "models": [{"name": "smollm2", "path": "$MODEL"}],
 "datasets": [{"name": "demo", "path": "datasets/demo.csv", "id": "id", "limit": 6, "train": "$tmp/train.csv"}],
 "verbalizers": [{"name": "demo", "path": "verbalizers/demo.json"}],
 "strategies": [{"name": "head4", "kind": "finetune", "method": "head", "per_class": 4, "seeds": [2]}]}
JSON
"$SENTI" run "$tmp/exp.json" -o "$tmp/run" 2> "$tmp/run.log" || fail "run: $(cat "$tmp/run.log")"
cell=$tmp/run/cells/smollm2.demo.demo.head4.k0.s2.none
[ -s "$cell/adapter.json" ] || fail "no adapter in the cell folder"
"$SENTI" finetune -m "$MODEL" -v verbalizers/demo.json --train "$tmp/train.csv" --method head \
    --shots-per-class 4 --seed 2 -q -o "$tmp/head.json" > /dev/null
cmp "$cell/adapter.json" "$tmp/head.json" || fail "the cell's adapter differs from senti finetune's"
"$SENTI" classify -m "$MODEL" -v verbalizers/demo.json -i datasets/demo.csv --id-col id --limit 6 \
    --adapter "$tmp/head.json" -q -o "$tmp/direct.csv" > /dev/null 2>&1
cmp "$cell/predictions.csv" "$tmp/direct.csv" || fail "run and classify --adapter differ"
python3 - "$tmp/run/results.json" <<'PY' || fail "results.json"
import json, sys
c = json.load(open(sys.argv[1]))["cells"]
assert len(c) == 1 and c[0]["kind"] == "finetune" and c[0]["seed"] == 2, c
PY
touch -d '2000-01-01' "$cell/predictions.csv"
"$SENTI" run "$tmp/exp.json" -o "$tmp/run" --resume 2> "$tmp/resume.log" || fail "resume: $(cat "$tmp/resume.log")"
[ "$(stat -c %Y "$cell/predictions.csv")" = "$(date -d '2000-01-01' +%s)" ] || fail "--resume re-ran a finished cell"
echo ok
