#!/usr/bin/env bash
# The fine-tuning acceptance protocol (issue: fine-tuned runs): on SST-2, draw
# 16 labelled rows per class from the training split with each of 5 seeds,
# train a `head` and a `lora` adapter on them, then evaluate every adapter on
# SST-2 test next to zero-shot and 8-shot prompting in one experiment
# (experiments/finetune-sst2.json) and one report.
#
#   tools/finetune_acceptance.sh [OUTDIR]      (default results/finetune)
#   STAGE=train tools/finetune_acceptance.sh   train the adapters only
#
# Adapters go to OUTDIR/adapters/{head,lora}-s<seed>.{json,gguf} with their
# training logs (*.log.jsonl, wall time in the summary line); an adapter that
# already exists is kept, so the script can be rerun after an interruption
# (`senti run --resume` keeps finished cells). When results/cbu/cache
# exists (the CBU experiment on the same model), the zero- and 8-shot cells
# take their scores from it.
set -euo pipefail
SENTI=${SENTI:-build/senti}
OUT=${1:-results/finetune}
export SENTI_MODEL_DIR=${SENTI_MODEL_DIR:-models} SENTI_DATASETS=${SENTI_DATASETS:-../shared/datasets}
MODEL=$SENTI_MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf
TRAIN=$SENTI_DATASETS/sst2/train.csv
THREADS=${THREADS:-2}
mkdir -p "$OUT/adapters"
export SENTI_FT_ADAPTERS=$OUT/adapters

for seed in 1 2 3 4 5; do
    for method in head lora; do
        ext=$([ $method = head ] && echo json || echo gguf)
        f=$OUT/adapters/$method-s$seed.$ext
        [ -s "$f" ] && continue
        echo "== $method seed $seed" >&2
        "$SENTI" finetune -m "$MODEL" -v verbalizers/sst2.json --train "$TRAIN" --text-col sentence \
            --label-col label --method $method --shots-per-class 16 --seed $seed -t "$THREADS" -q -o "$f.tmp.$ext"
        mv "$f.tmp.$ext" "$f"
        mv "$f.tmp.$ext.log.jsonl" "$f.log.jsonl"
    done
done

[ "${STAGE:-all}" = train ] && exit 0
if [ -d results/cbu/cache ] && [ ! -d "$OUT/cache" ]; then
    cp -r results/cbu/cache "$OUT/cache"
fi
"$SENTI" run experiments/finetune-sst2.json -o "$OUT" --resume --threads "$THREADS"
"$SENTI" report "$OUT" --html "$OUT/report.html" --markdown "$OUT/report.md"
# training wall time and validation accuracy of each adapter
for f in "$OUT"/adapters/*.log.jsonl; do
    python3 -c 'import json,sys
s = [json.loads(l) for l in open(sys.argv[1]) if "\"summary\"" in l][-1]
print("%-28s %s" % (sys.argv[1].split("/")[-1], {k: s[k] for k in s if k in ("seconds", "train_acc", "best_val_acc", "lambda", "tokens_per_s", "best_epoch")}))' "$f"
done
