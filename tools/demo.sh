#!/usr/bin/env bash
# make demo: the demo experiment (experiments/demo.json): the shipped demo set
# classified by the default model zero-shot and 4-shot (2 seeds), each with and
# without contextual calibration, next to a bow-logreg baseline (no model);
# every cell evaluated, then the full report (with "Against the best baseline").
# Outputs: reports/demo/ (predictions + manifests per cell, results.json,
# report.html, report.md).
set -euo pipefail
cd "$(dirname "$0")/.."
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
out=reports/demo
mkdir -p "$out"
$SENTI run experiments/demo.json -o "$out" --resume
$SENTI report "$out" --html "$out/report.html" --markdown "$out/report.md"
echo
sed -n '1,40p' "$out/report.md"
echo
echo "demo: report written to $out/report.html (Markdown: $out/report.md)"
