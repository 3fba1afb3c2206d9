#!/usr/bin/env bash
# make demo: classify the shipped demo set zero-shot, few-shot and calibrated
# with the default model, evaluate each run, compare them and write a report
# into reports/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
out=reports/demo
mkdir -p "$out"
common=(-m "$MODEL" -v verbalizers/demo.json -i datasets/demo.csv --id-col id -q)

echo "== zero-shot"
$SENTI classify "${common[@]}" -o "$out/zero-shot.csv"
echo "== zero-shot, contextual calibration"
$SENTI classify "${common[@]}" --calibrate contextual -o "$out/zero-shot-cc.csv"
echo "== 4-shot (demonstrations drawn from the same file, never the scored row)"
$SENTI classify "${common[@]}" --shots 4 --train datasets/demo.csv --seed 1 --sampling balanced \
    -o "$out/4-shot.csv"
echo "== 4-shot, contextual calibration"
$SENTI classify "${common[@]}" --shots 4 --train datasets/demo.csv --seed 1 --sampling balanced \
    --calibrate contextual -o "$out/4-shot-cc.csv"

for run in zero-shot zero-shot-cc 4-shot 4-shot-cc; do
    $SENTI eval "$out/$run.csv" --format json -o "$out/$run.eval.json"
    $SENTI eval "$out/$run.csv" --format text > "$out/$run.eval.txt"
    echo "$run: $(grep -m1 '^accuracy' "$out/$run.eval.txt")"
done
echo "== paired comparison: 4-shot vs zero-shot"
$SENTI compare "$out/zero-shot.csv" "$out/4-shot.csv" | tee "$out/compare.txt"
if $SENTI report --help >/dev/null 2>&1; then
    $SENTI report "$out" --html "$out/report.html" --markdown "$out/report.md"
    echo "report: $out/report.html"
fi
echo "demo outputs in $out/"
