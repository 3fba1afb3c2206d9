#!/usr/bin/env bash
# Same inputs, same bytes: predictions do not depend on the thread count
# (-t 1, 2, 3), zero-shot and 4-shot, with and without calibration, on both
# model families (Gemma's sliding-window layers too); nor do eval's intervals,
# nor a trained LoRA adapter (OpenBLAS's threaded sgemm sums in another order
# on 2 threads: training runs fixed blocks on one BLAS thread each).
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL_DIR=${MODEL_DIR:-models}
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

run() { # name threads args...
    local name=$1 t=$2; shift 2
    "$SENTI" classify -q -v verbalizers/demo.json -i datasets/demo.csv -t "$t" -o "$tmp/$name.t$t.csv" "$@" \
        >/dev/null || fail "$name -t $t"
}
for t in 1 2 3; do
    run zero "$t" --limit 24 --calibrate contextual
    run few "$t" --limit 24 --shots 4 --train datasets/demo.csv --seed 2
    run fewctx "$t" --limit 24 --shots 4 --train datasets/demo.csv --seed 2 --calibrate contextual
    run gemma "$t" --limit 12 --shots 2 --train datasets/demo.csv --seed 1 -m "$MODEL_DIR/gemma-3-270m-q4_k_m.gguf"
done
for name in zero few fewctx gemma; do
    for t in 2 3; do
        cmp "$tmp/$name.t1.csv" "$tmp/$name.t$t.csv" || fail "$name: -t 1 and -t $t differ"
    done
done
# the file holds real predictions (not, say, all errors)
[ "$(grep -c ',ok$' "$tmp/few.t1.csv")" -eq 24 ] || fail "few-shot rows not ok"

for t in 1 3; do
    "$SENTI" eval "$tmp/fewctx.t1.csv" --bootstrap 200 --threads "$t" --format json > "$tmp/eval.t$t.json" \
        || fail "eval --threads $t"
done
cmp "$tmp/eval.t1.json" "$tmp/eval.t3.json" || fail "eval intervals depend on --threads"

for t in 1 2; do # 16 rows, one epoch: every kernel of the training pass, forward and backward
    "$SENTI" finetune -q --method lora -v verbalizers/demo.json --train datasets/demo.csv --shots-per-class 8 \
        --epochs 1 --seed 1 -t "$t" -o "$tmp/lora.t$t.gguf" >/dev/null || fail "finetune lora -t $t"
done
cmp "$tmp/lora.t1.gguf" "$tmp/lora.t2.gguf" || fail "the LoRA adapter depends on -t"
# multi-token label words: the full-vocabulary log-softmax runs in fixed blocks of rows
cat > "$tmp/multi.json" <<'JSON'
{"name": "multi", "labels": {"negative": ["thoroughly disappointing"], "positive": ["Positive"]},
 "template": "Review: {text}\nSentiment:"}
JSON
for t in 1 2; do
    "$SENTI" finetune -q --method lora -v "$tmp/multi.json" --train datasets/demo.csv --shots-per-class 4 \
        --epochs 1 --seed 1 -t "$t" -o "$tmp/lora-multi.t$t.gguf" >/dev/null || fail "finetune lora multi -t $t"
done
cmp "$tmp/lora-multi.t1.gguf" "$tmp/lora-multi.t2.gguf" || fail "the multi-token LoRA adapter depends on -t"

# the executable's OpenMP wait default (README, Shared CPUs): 300 spins, unless the user set a policy
spin() { env "$@" OMP_DISPLAY_ENV=verbose "$SENTI" --version 2>&1 >/dev/null | sed -n "s/^ *GOMP_SPINCOUNT = '\(.*\)'$/\1/p"; }
[ "$(spin X=1)" = 300 ] || fail "default spin count: $(spin X=1)"
[ "$(spin GOMP_SPINCOUNT=12345)" = 12345 ] || fail "the user's GOMP_SPINCOUNT is not kept"
[ "$(spin OMP_WAIT_POLICY=active)" != 300 ] || fail "the user's OMP_WAIT_POLICY is overridden"
