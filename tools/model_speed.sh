#!/usr/bin/env bash
# tools/model_speed.sh - label-scoring speed of every model present, for the
# README's model table (dev tool; `make reports` does not run it: it wants a
# quiet machine).
#
#   SENTI=build/senti MODEL_DIR=models tools/model_speed.sh OUT.json
#
# For each model file present: `senti classify` on the first ROWS rows of
# SST-2 dev (default 100) with 0 and with 8 demonstrations (seed 1, drawn
# from SST-2 train), THREADS threads (default 2), no score cache; the rows/s
# is the one classify reports. Writes one JSON object
#   {"rows": R, "threads": T, "host": ..., "date": ..., "models": {FILE: {"0": r/s, "8": r/s}}}
# through a temporary file, then prints it. Environment: SENTI, MODEL_DIR,
# SENTI_DATASETS (../shared/datasets), ROWS, THREADS.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: tools/model_speed.sh OUT.json" >&2; exit 2; }
out=$1
SENTI=${SENTI:-build/senti}
MODEL_DIR=${MODEL_DIR:-models}
DATA=${SENTI_DATASETS:-../shared/datasets}
ROWS=${ROWS:-100}
THREADS=${THREADS:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rate() { # model shots
    "$SENTI" classify -m "$1" -v verbalizers/sst2.json -q -i "$DATA/sst2/dev.csv" --text-col sentence \
        --limit "$ROWS" --shots "$2" --train "$DATA/sst2/train.csv" --seed 1 -t "$THREADS" \
        -o "$tmp/c.csv" 2>&1 >/dev/null | sed -n 's/.*, \([0-9.]*\) rows\/s.*/\1/p'
}
entries=
for f in SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf qwen2.5-coder-0.5b-instruct.gguf \
         qwen2.5-coder-1.5b-instruct.gguf; do
    [ -f "$MODEL_DIR/$f" ] || { echo "model_speed: $MODEL_DIR/$f missing, skipped" >&2; continue; }
    r0=$(rate "$MODEL_DIR/$f" 0)
    r8=$(rate "$MODEL_DIR/$f" 8)
    [ -n "$r0" ] && [ -n "$r8" ] || { echo "model_speed: classify failed on $f" >&2; exit 1; }
    echo "model_speed: $f: $r0 rows/s 0-shot, $r8 rows/s 8-shot" >&2
    entries="$entries${entries:+,}\"$f\": {\"0\": $r0, \"8\": $r8}"
done
printf '{"rows": %d, "threads": %d, "host": "%s", "date": "%s", "models": {%s}}\n' "$ROWS" "$THREADS" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') ($(nproc) cores)" \
    "$(date -u +%Y-%m-%d)" "$entries" > "$tmp/speed.json"
python3 -m json.tool "$tmp/speed.json" > "$out.tmp" && mv "$out.tmp" "$out"
cat "$out"
