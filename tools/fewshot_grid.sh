#!/usr/bin/env bash
# The README's accuracy table: zero-, 4- and 8-shot classification of a corpus
# with a model, several demonstration seeds, each scored with and without
# contextual calibration (both distributions are in one predictions file:
# p_* calibrated, raw_p_* not). Prints a Markdown table made by `senti eval`.
#
#   tools/fewshot_grid.sh MODEL.gguf NAME DATASET.csv TRAIN.csv VERBALIZER TEXT_COL LIMIT "SEEDS" OUTDIR
set -euo pipefail
SENTI=${SENTI:-build/senti}
model=$1 name=$2 data=$3 train=$4 verb=$5 col=$6 limit=$7 seeds=$8 out=$9
mkdir -p "$out"
labels=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["labels"]))' "$verb")
raw_cols=$(for l in $labels; do printf '%s=raw_p_%s,' "$l" "$l"; done | sed 's/,$//')

acc() { # predictions file, optional --prob-cols
    "$SENTI" eval "$@" --bootstrap 0 --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])'
}

for shots in 0 4 8; do
    for seed in $([ "$shots" -eq 0 ] && echo 1 || echo "$seeds"); do
        f="$out/$name-${shots}shot-seed$seed.csv"
        [ -s "$f" ] || "$SENTI" classify -m "$model" -v "$verb" -i "$data" --text-col "$col" --limit "$limit" -q \
            --shots "$shots" --train "$train" --seed "$seed" --calibrate contextual -o "$f" > /dev/null
        echo "$shots $seed $(acc "$f" --prob-cols "$raw_cols") $(acc "$f")"
    done
done > "$out/$name-accuracy.txt"

python3 - "$out/$name-accuracy.txt" "$name" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("| %s | shots | seeds | accuracy | with contextual calibration |" % sys.argv[2])
print("|---|---|---|---|---|")
for k in ("0", "4", "8"):
    raw = [float(r[2]) for r in rows if r[0] == k]
    cal = [float(r[3]) for r in rows if r[0] == k]
    fmt = lambda v: "%.1f" % (100 * v[0]) if len(v) == 1 else "%.1f ± %.1f" % (100 * statistics.mean(v), 100 * statistics.stdev(v))
    print("| | %s | %d | %s | %s |" % (k, len(raw), fmt(raw), fmt(cal)))
PY
