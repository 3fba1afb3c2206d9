#!/usr/bin/env bash
# tools/bench.sh - prefill speed, label-scoring rows/s and LoRA training speed of
# senti, with the llama.cpp peer side by side where it has one, on both models
# (called by `make bench`; informational, always exits 0).
#
#   SENTI=build/senti MODEL_DIR=models tools/bench.sh
#
# Environment: SENTI, MODEL_DIR, SENTI_DATASETS (../shared/datasets); BENCH_THREADS (2), BENCH_REPS (5),
# BENCH_TOKENS ("32 128 512"), ORACLE_PY (/opt/oracle/bin/python: a Python
# with llama-cpp-python, see docs/oracle.md).
#
# Contract for senti's side (one run per prompt length):
#   $SENTI bench-prefill -m MODEL --tokens N --reps R --threads T --text-file F
# F is a UTF-8 text (written here by `peer_bench.py --write-text`). Tokenize
# it like `senti tokenize` (BOS when the model's metadata says so), take the
# first N ids, and per rep: clear the KV cache, prefill the N ids in one
# batch with logits at the last position only, time it. After one untimed
# warm-up run, print one JSON object on stdout:
#   {"tokens": N, "tokens_per_s": N / median seconds}
# (extra keys are allowed). The peer, tools/oracle/peer_bench.py, does the same
# with llama.cpp. A side that is missing or fails is shown as n/a.
set -u

SENTI=${SENTI:-build/senti}
MODEL_DIR=${MODEL_DIR:-models}
DATA=${SENTI_DATASETS:-../shared/datasets}
ORACLE_PY=${ORACLE_PY:-/opt/oracle/bin/python}
THREADS=${BENCH_THREADS:-2}
REPS=${BENCH_REPS:-5}
SIZES=${BENCH_TOKENS:-"32 128 512"}
HERE=$(cd "$(dirname "$0")" && pwd)
PEER="$HERE/oracle/peer_bench.py"

# Neither side may use more threads than asked for.
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
# Passive OpenMP waits: with active spinning, llama.cpp on a 2-vCPU machine
# that has any other load stalls at every graph barrier (measured: 30x slower).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
text="$tmp/bench.txt"
python3 "$PEER" --write-text "$text" || { echo "bench: cannot write the prompt" >&2; exit 0; }

# json_get FILE KEY [TOKENS]: a number from senti's object, or from the peer's
# results entry for TOKENS; empty when absent.
json_get() {
    python3 - "$@" <<'EOF' 2>/dev/null
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    if len(sys.argv) > 3:
        d = next(r for r in d["results"] if r["tokens"] == int(sys.argv[3]))
    print("%.1f" % float(d[sys.argv[2]]))
except Exception:
    pass
EOF
}

ratio() { # senti peer
    if [ -n "$1" ] && [ -n "$2" ]; then
        python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"
    else
        echo "n/a"
    fi
}

bench_model() { # label file
    local model="$MODEL_DIR/$2" n s p list
    echo
    echo "== $1 ($2), $THREADS threads, median of $REPS =="
    if [ ! -f "$model" ]; then
        echo "bench: $model missing (make models-all)"
        return
    fi
    list=$(echo $SIZES | tr ' ' ',')
    if ! "$ORACLE_PY" "$PEER" -m "$model" --tokens "$list" --reps "$REPS" \
            --threads "$THREADS" --text-file "$text" > "$tmp/peer.json" 2> "$tmp/peer.err"; then
        echo "bench: llama.cpp peer unavailable ($ORACLE_PY): $(tail -n1 "$tmp/peer.err")"
    fi
    printf '%6s | %-22s | %-22s | %16s | %s\n' tokens "senti f32 tok/s GFLOP/s" "senti q8 tok/s GFLOP/s" \
        "llama.cpp tok/s" "ratios f32, q8 to llama.cpp; q8 / f32"
    for n in $SIZES; do
        local -A tps=() gf=()
        for num in f32 q8; do # the two numerics alternate, in the same run
            tps[$num]= gf[$num]=
            if [ -x "$SENTI" ] && "$SENTI" bench-prefill -m "$model" --tokens "$n" --reps "$REPS" --numerics "$num" \
                    --threads "$THREADS" --text-file "$text" > "$tmp/senti.json" 2> "$tmp/senti.err"; then
                tps[$num]=$(json_get "$tmp/senti.json" tokens_per_s)
                gf[$num]=$(json_get "$tmp/senti.json" gflops)
                [ "$num" = f32 ] && cp "$tmp/senti.json" "$tmp/mem.json" # the last (largest) size's memory
            fi
        done
        s=${tps[f32]}
        p=$(json_get "$tmp/peer.json" tokens_per_s "$n")
        printf '%6s | %10s %11s | %10s %11s | %16s | %s, %s; %s\n' "$n" "${tps[f32]:-n/a}" "${gf[f32]:-n/a}" \
            "${tps[q8]:-n/a}" "${gf[q8]:-n/a}" "${p:-n/a}" "$(ratio "${tps[f32]}" "$p")" "$(ratio "${tps[q8]}" "$p")" \
            "$(ratio "${tps[q8]}" "${tps[f32]}")"
    done
    if [ -n "$s" ]; then # weights are mmapped: the goal is at most the file + 150 MB (issue 14)
        python3 - "$tmp/mem.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
# below the file size when pages of the weights (unused embedding rows) were never touched
print("memory: peak RSS %.0f MB at %d tokens of context; GGUF %.0f MB, goal <= %.0f MB (%s)" %
      (d["peak_rss_mb"], d["tokens"], d["model_mb"], d["model_mb"] + 150,
       "met" if d["peak_rss_mb"] <= d["model_mb"] + 150 else "NOT met"))
EOF
    fi
    if [ -z "$s" ]; then
        echo "(senti side: $(head -n1 "$tmp/senti.err" 2>/dev/null || echo "$SENTI not built"))"
    fi
}

# The machine's matrix-product peaks (senti bench-kernels): OpenBLAS SGEMM
# f32 on 2048^3 with the bench's threads, and per weight type one thread's
# tile as each numerics computes it (f32: dequantize + sgemm; q8: unpack +
# int8 GEMM; q8 kernel alone: the int8 peak probe). GFLOP/s, best of reps.
echo
echo "== matrix-product peaks (GFLOP/s, best of reps) =="
if [ -x "$SENTI" ]; then
    "$SENTI" bench-kernels --threads "$THREADS" --cols 1024 --tokens 256 --reps 10 2>&1
fi

bench_model smollm2 SmolLM2-135M-Instruct.Q4_1.gguf
bench_model gemma3 gemma-3-270m-q4_k_m.gguf
bench_model qwen05 qwen2.5-coder-0.5b-instruct.gguf
bench_model qwen15 qwen2.5-coder-1.5b-instruct.gguf

# SST-2 scoring, rows/s: senti with the shared prefix decoded once per run
# (default) and decoded again for every row (--no-prefix-reuse), against the
# llama.cpp peer scoring the very same token ids (tools/oracle/peer_score.py)
# with the prefix kept in its KV cache (reuse) and with every prompt decoded
# whole (naive).
ROWS=${BENCH_ROWS:-100}
classify_rate() { # model, shots, extra options...
    local model=$1 shots=$2
    shift 2
    "$SENTI" classify -m "$model" -v verbalizers/sst2.json -q \
        -i "$DATA/sst2/dev.csv" --text-col sentence --limit "$ROWS" --shots "$shots" \
        --train "$DATA/sst2/train.csv" --seed 1 -t "$THREADS" -o "$tmp/c.csv" "$@" 2>&1 >/dev/null |
        sed -n 's/.*, \([0-9.]*\) rows\/s.*/\1/p'
}
peer_rate() { # model, mode
    "$ORACLE_PY" "$HERE/oracle/peer_score.py" -m "$1" \
        --prompts "$tmp/prompts.jsonl" --manifest "$tmp/prompts.csv.manifest.json" --threads "$THREADS" \
        --mode "$2" 2>/dev/null | python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["rows_per_s"])' \
        2>/dev/null
}
bench_scoring() { # label file
    local model="$MODEL_DIR/$2" shots a b c d
    for shots in 0 8; do
        echo
        echo "== $shots-shot SST-2 scoring, $1, $ROWS dev rows, $THREADS threads =="
        [ -d "$DATA/sst2" ] || { echo "bench: $DATA/sst2 missing"; continue; }
        [ -f "$model" ] || { echo "bench: $model missing (make models-all)"; continue; }
        "$SENTI" classify -m "$model" -v verbalizers/sst2.json -q \
            -i "$DATA/sst2/dev.csv" --text-col sentence --limit "$ROWS" --shots "$shots" \
            --train "$DATA/sst2/train.csv" --seed 1 -t "$THREADS" -o "$tmp/prompts.csv" \
            --prompts "$tmp/prompts.jsonl" >/dev/null 2>&1
        a=$(classify_rate "$model" "$shots"); b=$(classify_rate "$model" "$shots" --no-prefix-reuse)
        c=$(peer_rate "$model" reuse); d=$(peer_rate "$model" naive)
        printf '%-34s %8s rows/s\n' "senti, prefix reuse" "${a:-n/a}" "senti, no prefix reuse" "${b:-n/a}" \
            "llama.cpp, prefix kept in KV cache" "${c:-n/a}" "llama.cpp, each prompt whole" "${d:-n/a}"
        echo "ratios: senti / senti without reuse $(ratio "$a" "$b"), senti / llama.cpp reuse $(ratio "$a" "$c")," \
            "senti / llama.cpp naive $(ratio "$a" "$d")"
    done
}
bench_scoring smollm2 SmolLM2-135M-Instruct.Q4_1.gguf
bench_scoring qwen05 qwen2.5-coder-0.5b-instruct.gguf

# LoRA training speed: one epoch on 16 rows per class (tokens/s of forward + backward).
echo
echo "== LoRA training step speed, smollm2, q,v rank 8, $THREADS threads =="
if [ -d "$DATA/sst2" ] && "$SENTI" finetune -m "$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf" \
        -v verbalizers/sst2.json --train "$DATA/sst2/train.csv" --text-col sentence --label-col label \
        --method lora --shots-per-class 16 --seed 1 --epochs 1 -t "$THREADS" -q -o "$tmp/bench-lora.gguf" \
        > "$tmp/lora.out" 2>&1; then
    python3 -c 'import json,sys
s = [json.loads(l) for l in open(sys.argv[1]) if "\"summary\"" in l][-1]
print("%.0f training tokens/s (forward + backward), %d steps in %.1f s" % (s["tokens_per_s"], s["steps"], s["seconds"]))' \
        "$tmp/bench-lora.gguf.log.jsonl"
else
    echo "bench: LoRA training failed: $(tail -n1 "$tmp/lora.out")"
fi

echo
echo "== senti eval: 1,000,000 rows x 5 labels, 1000 bootstrap resamples =="
SENTI=$SENTI "$HERE/bench_eval.sh" "${BENCH_EVAL_ROWS:-1000000}" 1000 || true
exit 0
