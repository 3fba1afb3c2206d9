#!/usr/bin/env python3
"""peer_bench.py - the llama.cpp peer for `make bench`: prefill tokens/s.

Dev-only (needs llama-cpp-python, see docs/oracle.md); never used by tests.

    peer_bench.py -m MODEL.gguf [--tokens 32,128,512] [--reps 5] [--threads 2]
                  [--text-file F]
    peer_bench.py --write-text F      # writes the shared bench prompt; needs
                                      # only the standard library

Prompt: the UTF-8 text of --text-file (default: the built-in bench text),
tokenized by llama.cpp with BOS when the model's metadata asks for it and no
special-token parsing; a prefill of N tokens uses the first N ids. senti's
`bench-prefill --text-file F` follows the same rule (see tools/bench.sh).

Per N: one warm-up, then --reps timed runs; each run clears the KV cache and
does a single llama_decode of the N tokens (n_batch = n_ubatch = 512, output
at the last position only). tokens_per_s = N / median(seconds).
Prints one JSON object on stdout:
  {"engine": "llama.cpp", "model": file name, "threads": T, "n_batch": 512,
   "n_ubatch": 512, "llama_cpp_version": str,
   "results": [{"tokens": N, "reps": R, "seconds_median": s,
                "tokens_per_s": x, "tokens_per_s_best": N / min seconds},
               ...]}
On a busy machine prefer tokens_per_s_best: ggml's worker threads spin at
barriers, so one descheduled thread stalls every op and medians collapse.
"""

import argparse
import json
import os
import statistics
import sys
import time

# Our own sentences, repeated with a counter so that the text is long enough
# (> 1000 tokens for both models) without being one token repeated.
BENCH_PARAGRAPH = (
    "Review {k}: The first half of the film moves slowly, but the actors "
    "carry it with quiet conviction, and the photography of the coastal town "
    "is often beautiful. When the plot finally turns, the script trades its "
    "careful observation for loud coincidences, and the last twenty minutes "
    "feel rushed. Still, the lead performance is generous and funny, the "
    "music never tells you what to feel, and I left the theater thinking "
    "about two of its scenes for days. Three stars out of five, maybe four "
    "on a second viewing.\n"
)


def bench_text(paragraphs=12):
    return "".join(BENCH_PARAGRAPH.format(k=k + 1) for k in range(paragraphs))


def load(path, threads):
    import llama_cpp
    return llama_cpp.Llama(
        model_path=path, n_ctx=1024, n_batch=512, n_ubatch=512,
        n_threads=threads, n_threads_batch=threads, flash_attn=False,
        verbose=False)


def prefill_seconds(llm, ids):
    """One timed prefill of `ids` on a cleared KV cache."""
    llm._ctx.kv_cache_clear()
    llm.reset()
    llm._batch.set_batch(batch=ids, n_past=0, logits_all=False)
    t0 = time.perf_counter()
    llm._ctx.decode(llm._batch)
    return time.perf_counter() - t0


def run(a):
    import llama_cpp
    text = bench_text()
    if a.text_file:
        with open(a.text_file, encoding="utf-8") as f:
            text = f.read()
    llm = load(a.model, a.threads)
    ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    results = []
    for n in a.tokens:
        if n > len(ids) or n > 512:
            sys.exit("peer_bench: %d tokens requested, text has %d (max 512)"
                     % (n, len(ids)))
        prefill_seconds(llm, ids[:n])  # warm-up
        secs = [prefill_seconds(llm, ids[:n]) for _ in range(a.reps)]
        med = statistics.median(secs)
        results.append({"tokens": n, "reps": a.reps,
                        "seconds_median": round(med, 6),
                        "tokens_per_s": round(n / med, 2),
                        "tokens_per_s_best": round(n / min(secs), 2)})
    return {"engine": "llama.cpp", "model": os.path.basename(a.model),
            "threads": a.threads, "n_batch": 512, "n_ubatch": 512,
            "llama_cpp_version": "llama-cpp-python " + llama_cpp.__version__,
            "results": results}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--model")
    ap.add_argument("--tokens", default="32,128,512",
                    type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--text-file")
    ap.add_argument("--write-text", metavar="FILE")
    a = ap.parse_args()
    if a.write_text:
        with open(a.write_text, "w", encoding="utf-8") as f:
            f.write(bench_text())
        return
    if not a.model:
        ap.error("-m MODEL is required")
    print(json.dumps(run(a)))


if __name__ == "__main__":
    main()
