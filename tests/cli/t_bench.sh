#!/usr/bin/env bash
# senti bench-prefill (the senti side of tools/bench.sh): its JSON line has the
# speed, the numerics and the memory figures, and the peak resident set at a
# 512-token context stays within the GGUF file + 150 MB (weights are mmapped,
# nothing is copied at load; issue 14's memory goal) for the default model,
# with either numerics. A failed write to standard output is exit 2.
set -eu
SENTI=${SENTI:-build/senti}
model=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for num in f32 q8; do
    "$SENTI" bench-prefill -m "$model" --tokens 512 --reps 1 --numerics $num -t 2 -f README.md > "$tmp/$num.json"
    python3 - "$tmp/$num.json" "$model" $num <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
size = os.path.getsize(sys.argv[2]) / 2**20
assert d["tokens"] == 512 and d["numerics"] == sys.argv[3] and d["threads"] == 2, d
assert d["tokens_per_s"] > 0 and d["gflops"] > 0, d
assert abs(d["model_mb"] - size) < 0.1, (d, size)
assert 0 < d["peak_rss_mb"] <= size + 150, "peak RSS %.1f MB > GGUF %.1f MB + 150" % (d["peak_rss_mb"], size)
PY
done
rc=0; "$SENTI" bench-prefill -m "$model" --tokens 8 --reps 1 -f README.md > /dev/full 2> "$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q 'standard output' "$tmp/err" || { echo "bench-prefill > /dev/full: exit $rc"; cat "$tmp/err"; exit 1; }
echo ok
