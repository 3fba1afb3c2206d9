#!/usr/bin/env bash
# senti run with an adapter strategy: a head trained by senti finetune on demo
# rows 50-65 is applied to rows 1-6 exactly as `senti classify --adapter` applies it.
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
MODEL=$SENTI_MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

tail -n +51 datasets/demo.csv | head -16 > "$tmp/body.csv"
{ head -1 datasets/demo.csv; cat "$tmp/body.csv"; } > "$tmp/train.csv"
"$SENTI" finetune -m "$MODEL" -v verbalizers/demo.json --train "$tmp/train.csv" --method head -q \
    -o "$tmp/head.json" > /dev/null
export SENTI_TEST_ADAPTER=$tmp/head.json
"$SENTI" run tests/data/report/adapter_run.json -o "$tmp/run" 2> "$tmp/run.log" || fail "run: $(cat "$tmp/run.log")"
cell=$tmp/run/cells/smollm2.demo.demo.head.k0.none
[ -s "$cell/predictions.csv" ] || fail "no predictions for the adapter cell"
grep -q '"kind": "head"' "$cell/manifest.json" || fail "manifest lacks the adapter"
"$SENTI" classify -m "$MODEL" -v verbalizers/demo.json -i datasets/demo.csv --id-col id --limit 6 \
    --adapter "$tmp/head.json" -q -o "$tmp/direct.csv" > /dev/null 2>&1
cmp "$cell/predictions.csv" "$tmp/direct.csv" || fail "run and classify --adapter differ"
cmp -s "$cell/predictions.csv" "$tmp/run/cells/smollm2.demo.demo.zs.k0.none/predictions.csv" &&
    fail "the adapter changed nothing"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r["cells"]) == 2, r.keys()' \
    "$tmp/run/results.json" || fail "results.json"

# the adapter belongs to the model it was trained on: a file of the same shapes but other bytes
# (one byte appended) is refused naming both SHA-256s; it used to run, silently wrong
cp "$MODEL" "$tmp/other.gguf"; printf 'x' >> "$tmp/other.gguf"
set +e
"$SENTI" classify -m "$tmp/other.gguf" -v verbalizers/demo.json -i datasets/demo.csv --limit 2 --adapter "$tmp/head.json" \
    -q -o "$tmp/other.csv" > /dev/null 2> "$tmp/other.err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "head.json: the adapter was trained on the model with SHA-256 $(sha256sum "$MODEL" | cut -c1-16)" \
    "$tmp/other.err" || fail "adapter on another model: exit $rc $(cat "$tmp/other.err")"
[ ! -e "$tmp/other.csv" ] || fail "predictions written with another model"
echo ok
