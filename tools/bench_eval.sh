#!/usr/bin/env bash
# bench_eval.sh - time `senti eval` on 1,000,000 rows x 5 labels with 1000
# bootstrap resamples (target: under 30 s on the 2-core dev machine).
#   SENTI=build/senti tools/bench_eval.sh [ROWS] [RESAMPLES]
set -eu
SENTI=${SENTI:-build/senti}
ROWS=${1:-1000000}
B=${2:-1000}
TMP=${TMPDIR:-/tmp}/senti-bench-eval-$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
# Deterministic synthetic predictions: gold uniform over 5 labels, scores
# favour the gold label 70% of the time, probabilities = scores / sum.
awk -v n="$ROWS" 'BEGIN {
    srand(12345);
    split("vneg neg neu pos vpos", L, " ");
    print "id,gold,pred,p_vneg,p_neg,p_neu,p_pos,p_vpos,status";
    for (i = 0; i < n; i++) {
        g = int(rand() * 5) + 1; s = 0;
        for (j = 1; j <= 5; j++) { c[j] = 1 + rand() * 10; s += c[j] }
        if (rand() < 0.7) { c[g] += rand() * 30; s = 0; for (j = 1; j <= 5; j++) s += c[j] }
        best = 1; for (j = 2; j <= 5; j++) if (c[j] > c[best]) best = j;
        printf "%d,%s,%s", i, L[g], L[best];
        for (j = 1; j <= 5; j++) printf ",%.10f", c[j] / s;
        print ",ok";
    }
}' > "$TMP/preds.csv"
echo "file: $(du -h "$TMP/preds.csv" | cut -f1), $ROWS rows x 5 labels, $B resamples"
start=$(date +%s.%N)
"$SENTI" eval --bootstrap "$B" --tol 1e-6 --format json -o "$TMP/out.json" "$TMP/preds.csv"
end=$(date +%s.%N)
echo "senti eval: $(echo "$end - $start" | bc) s"
