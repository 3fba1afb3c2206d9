#!/usr/bin/env python3
"""peer_score.py - the llama.cpp peer for `make bench`: label scoring, rows/s.

Dev-only (needs llama-cpp-python, see docs/oracle.md); never used by tests.

    peer_score.py -m MODEL.gguf --prompts P.jsonl --manifest M.json
                  [--threads 2] [--mode reuse|naive]

Scores the prompts that `senti classify --prompts P.jsonl` wrote (their exact
token ids: "prefix_ids" then "suffix_ids") for the label words of that run's
manifest, the way senti scores them: log-softmax over the full vocabulary at
the last prompt position, read at each word's first token (single-token words
only: the bench verbalizer has no other kind).

  --mode reuse  the shared prefix stays in llama.cpp's KV cache; each row
                removes the previous row's positions and decodes only its own
                tokens (what senti does with prefix reuse)
  --mode naive  every row clears the cache and decodes its whole prompt
  --out FILE    each row's label-word log-probabilities, one JSON list a line

One warm-up row, then every row is timed. Prints one JSON object:
  {"engine": "llama.cpp", "mode": m, "rows": n, "seconds": s, "rows_per_s": x,
   "tokens_decoded": t, "threads": T}
"""

import argparse
import json
import math
import sys
import time


def label_tokens(manifest):
    toks = []
    for label in manifest["verbalizer"]["labels"]:
        for w in label["words"]:
            if len(w["tokens"]) != 1:
                sys.exit("peer_score: multi-token label word %r is not supported" % w["text"])
            toks.append(w["tokens"][0])
    return toks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mode", choices=("reuse", "naive"), default="reuse")
    ap.add_argument("--out", help="also write each row's label-word log-probabilities (JSON lines)")
    a = ap.parse_args()

    import llama_cpp
    import numpy as np

    rows = [json.loads(line) for line in open(a.prompts, encoding="utf-8")]
    with open(a.manifest, encoding="utf-8") as f:
        words = label_tokens(json.load(f))
    longest = max(len(r["prefix_ids"]) + len(r["suffix_ids"]) for r in rows)
    llm = llama_cpp.Llama(model_path=a.model, n_ctx=max(512, longest + 8), n_batch=512, n_ubatch=512,
                          n_threads=a.threads, n_threads_batch=a.threads, flash_attn=False, verbose=False)
    n_vocab = llm.n_vocab()
    state = {"prefix": None}

    def decode(ids, n_past):
        llm._batch.set_batch(batch=ids, n_past=n_past, logits_all=False)
        llm._ctx.decode(llm._batch)

    def score(r):
        """Label-word log-probabilities of one row; returns the tokens decoded."""
        pre, suf = r["prefix_ids"], r["suffix_ids"]
        decoded = 0
        if a.mode == "naive" or state["prefix"] != pre:
            llm._ctx.kv_cache_clear()
            if a.mode == "naive":
                decode(pre + suf, 0)
                decoded = len(pre) + len(suf)
                state["prefix"] = None
            else:
                if pre:
                    decode(pre, 0)
                state["prefix"] = pre
                decoded = len(pre)
        if a.mode == "reuse":
            llm._ctx.kv_cache_seq_rm(0, len(pre), -1)
            decode(suf, len(pre))
            decoded += len(suf)
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,)).astype(np.float64)
        m = logits.max()
        lse = m + math.log(np.exp(logits - m).sum())
        return [float(logits[t] - lse) for t in words], decoded

    score(rows[0])  # warm-up
    state["prefix"] = None
    t0 = time.perf_counter()
    decoded, out = 0, []
    for r in rows:
        lp, d = score(r)
        decoded += d
        out.append(lp)
    secs = time.perf_counter() - t0
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            for lp in out:
                f.write(json.dumps(lp) + "\n")
    print(json.dumps({"engine": "llama.cpp", "mode": a.mode, "rows": len(rows), "seconds": secs,
                      "rows_per_s": len(rows) / secs, "tokens_decoded": decoded, "threads": a.threads,
                      "llama_cpp_version": llama_cpp.__version__}))


if __name__ == "__main__":
    main()
