#!/usr/bin/env bash
# senti run with a finetune strategy: the head trained in the cell on 4 rows per
# label (seed 2) of demo rows 51-66 is byte for byte the adapter that
# `senti finetune --shots-per-class 4 --seed 2` writes, and its predictions on
# rows 1-6 those of `senti classify --adapter`; --resume keeps the cell. The
# seed-3 head applies to the hidden states the seed-2 cell left in the score
# cache (no decoding) and predicts what `senti classify --adapter` does
# without a cache.
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
 "strategies": [{"name": "head4", "kind": "finetune", "method": "head", "per_class": 4, "seeds": [2, 3]}]}
JSON
"$SENTI" run "$tmp/exp.json" -o "$tmp/run" 2> "$tmp/run.log" || fail "run: $(cat "$tmp/run.log")"
# same_as_cli SEED: the cell's adapter is senti finetune's, its predictions senti classify --adapter's
# (no score cache); leaves $tmp/head<SEED>.json
same_as_cli() {
    local cell=$tmp/run/cells/smollm2.demo.demo.head4.k0.s$1.none
    [ -s "$cell/adapter.json" ] || fail "no adapter in the cell folder (seed $1)"
    "$SENTI" finetune -m "$MODEL" -v verbalizers/demo.json --train "$tmp/train.csv" --method head \
        --shots-per-class 4 --seed "$1" -q -o "$tmp/head$1.json" > /dev/null
    cmp "$cell/adapter.json" "$tmp/head$1.json" || fail "the cell's adapter differs from senti finetune's (seed $1)"
    "$SENTI" classify -m "$MODEL" -v verbalizers/demo.json -i datasets/demo.csv --id-col id --limit 6 \
        --adapter "$tmp/head$1.json" -q -o "$tmp/direct$1.csv" > /dev/null 2>&1
    cmp "$cell/predictions.csv" "$tmp/direct$1.csv" || fail "run and classify --adapter differ (seed $1)"
}
same_as_cli 2
same_as_cli 3 # its head applied to the hidden states that seed 2 left in the cache
cell=$tmp/run/cells/smollm2.demo.demo.head4.k0.s2.none cell3=$tmp/run/cells/smollm2.demo.demo.head4.k0.s3.none
! cmp -s "$cell/predictions.csv" "$cell3/predictions.csv" || fail "two seeds, one head: the test proves nothing"
python3 - "$cell/manifest.json" "$cell3/manifest.json" <<'PY' || fail "cache counts"
import json, sys
a, b = (json.load(open(p))["counts"] for p in sys.argv[1:])
assert a["prompts_from_cache"] == 0 and a["tokens_decoded"] > 0, a
assert b["prompts_from_cache"] == 6 and b["tokens_decoded"] == 0, b
PY
# senti classify --score-cache with a head: a second run takes every row from the cache, same bytes
for i in 1 2; do
    "$SENTI" classify -m "$MODEL" -v verbalizers/demo.json -i datasets/demo.csv --id-col id --limit 6 \
        --adapter "$tmp/head3.json" --score-cache "$tmp/sc" -o "$tmp/c$i.csv" > /dev/null 2> "$tmp/c$i.err"
done
cmp "$tmp/c1.csv" "$tmp/direct3.csv" && cmp "$tmp/c2.csv" "$tmp/direct3.csv" || fail "--score-cache with a head"
grep -q ', 0 prompts from the score cache' "$tmp/c1.err" && grep -q ', 6 prompts from the score cache' "$tmp/c2.err" ||
    fail "cache counts: $(cat "$tmp/c1.err" "$tmp/c2.err")"
python3 - "$tmp/run/results.json" <<'PY' || fail "results.json"
import json, sys
c = json.load(open(sys.argv[1]))["cells"]
assert [(x["kind"], x["seed"]) for x in c] == [("finetune", 2), ("finetune", 3)], c
PY
touch -d '2000-01-01' "$cell/predictions.csv"
"$SENTI" run "$tmp/exp.json" -o "$tmp/run" --resume 2> "$tmp/resume.log" || fail "resume: $(cat "$tmp/resume.log")"
[ "$(stat -c %Y "$cell/predictions.csv")" = "$(date -d '2000-01-01' +%s)" ] || fail "--resume re-ran a finished cell"
echo ok
