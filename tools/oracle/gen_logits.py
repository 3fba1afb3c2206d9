#!/usr/bin/env python3
"""gen_logits.py - golden llama.cpp log-probabilities for senti's forward pass.

Dev-only fixture generator (never run by `make check`). Needs the venv with
llama-cpp-python (see docs/oracle.md).

    /opt/oracle/bin/python tools/oracle/gen_logits.py smollm2 [--models DIR] [--out FILE]
    /opt/oracle/bin/python tools/oracle/gen_logits.py gemma3
    /opt/oracle/bin/python tools/oracle/gen_logits.py smollm2 --f32
    (models: smollm2, gemma3, qwen05, qwen15; the file names are in MODELS)

With --f32, llama.cpp runs on an F32 copy of the model (every tensor
dequantized by gguf-py, f32_copy.py) with an F32 KV cache, so it computes in
float32 from exactly the numbers senti computes from, and writes
tests/data/logits/<model>_f32.jsonl. Without it, llama.cpp runs the quantized
file as users run it: 8-bit activations in its quantized matrix products and
an F16 KV cache, which moves log-probabilities by up to ~0.7 on these models.

Writes tests/data/logits/<model>.jsonl, one JSON object per prompt:
  name, text          prompt id and the exact UTF-8 text
  ids                 llama.cpp's tokenization (BOS per the model's metadata,
                      special tokens such as <|im_start|> parsed)
  parse_special       true (how `ids` were made from `text`)
  top                 40 x [id, logprob], highest first (ties: lower id first)
  sample              64 x [id, logprob] at ids drawn without replacement from
                      the whole vocabulary (numpy default_rng, seed =
                      crc32(name)), ascending id
  logsumexp           log sum exp of the last position's raw logits
  top2_margin         logprob(top1) - logprob(top2)
  next (5 prompts)    [pos, ids[pos+1], logprob of ids[pos+1] at pos] for
                      every position but the last
  llama_cpp_version   llama-cpp-python version + vendored llama.cpp build
All logprobs are the log-softmax of the logits over the full vocabulary, at
the LAST position unless stated, computed in float64 from llama.cpp's float32
logits, rounded to 6 decimals. llama.cpp runs on the CPU with n_threads=2,
n_batch=n_ubatch=512, flash attention off, one llama_decode per prompt on a
cleared KV cache of the default type (F16), output at the last position only
("next": a separate decode with outputs at every position).
"""

import argparse
import json
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prompts  # noqa: E402

import llama_cpp  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = {
    "smollm2": ("SmolLM2-135M-Instruct.Q4_1.gguf", False),
    "gemma3": ("gemma-3-270m-q4_k_m.gguf", True),
    "qwen05": ("qwen2.5-coder-0.5b-instruct.gguf", False),
    "qwen15": ("qwen2.5-coder-1.5b-instruct.gguf", False),
}
NEXT_PROMPTS = ["rev_emoji", "sst_dev_64", "fewshot_4", "chat_system", "long_500"]
N_TOP, N_SAMPLE = 40, 64
THREADS = 2


def version_string():
    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    return "llama-cpp-python %s; %s" % (llama_cpp.__version__, info.strip())


GGML_TYPE_F32 = 0


def load(path, f32_kv=False):
    kv = {"type_k": GGML_TYPE_F32, "type_v": GGML_TYPE_F32} if f32_kv else {}
    return llama_cpp.Llama(
        model_path=path, n_ctx=1024, n_batch=512, n_ubatch=512,
        n_threads=THREADS, n_threads_batch=THREADS, flash_attn=False,
        verbose=False, **kv)


def eval_logits(llm, ids, all_rows):
    """Cleared KV cache, one llama_decode of `ids` (<= n_batch); float64
    logits [n, n_vocab] (output at every position) or [n_vocab] (output at
    the last position only, as a scorer would ask)."""
    llm._ctx.kv_cache_clear()
    llm.reset()
    llm._batch.set_batch(batch=list(ids), n_past=0, logits_all=all_rows)
    llm._ctx.decode(llm._batch)
    n, nv, ctx = len(ids), llm.n_vocab(), llm._ctx.ctx
    if all_rows:
        ptr = llama_cpp.llama_get_logits(ctx)
        return np.ctypeslib.as_array(ptr, shape=(n, nv)).astype(np.float64)
    ptr = llama_cpp.llama_get_logits_ith(ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(nv,)).astype(np.float64)


def logsumexp(x):
    m = np.max(x, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)))[..., 0]


def r6(x):
    return round(float(x), 6)


def record(name, text, ids, logits, version):
    """One fixture line from the last position's float64 logits [n_vocab]."""
    lse = logsumexp(logits)
    lp = logits - lse
    order = np.lexsort((np.arange(lp.size), -lp))  # by -lp, then id
    top = [[int(i), r6(lp[i])] for i in order[:N_TOP]]
    rng = np.random.default_rng(zlib.crc32(name.encode("utf-8")))
    sample = np.sort(rng.choice(lp.size, size=N_SAMPLE, replace=False))
    return {
        "name": name, "text": text, "ids": [int(t) for t in ids],
        "parse_special": True,
        "top": top,
        "sample": [[int(i), r6(lp[i])] for i in sample],
        "logsumexp": r6(lse),
        "top2_margin": r6(lp[order[0]] - lp[order[1]]),
        "llama_cpp_version": version,
    }


def next_field(all_logits, ids):
    lp = all_logits - logsumexp(all_logits)[:, None]
    return [[p, int(ids[p + 1]), r6(lp[p, ids[p + 1]])]
            for p in range(len(ids) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--models", default=os.path.join(ROOT, "models"))
    ap.add_argument("--out")
    ap.add_argument("--f32", action="store_true",
                    help="llama.cpp on an F32 copy with an F32 KV cache")
    a = ap.parse_args()
    fname, want_bos = MODELS[a.model]
    out = a.out or os.path.join(ROOT, "tests", "data", "logits",
                                a.model + ("_f32" if a.f32 else "") + ".jsonl")
    path = os.path.join(a.models, fname)
    if a.f32:
        import tempfile
        from f32_copy import f32_copy
        tmp = tempfile.mkdtemp()
        f32_path = os.path.join(tmp, "f32.gguf")
        f32_copy(path, f32_path)
        llm = load(f32_path, f32_kv=True)
        os.unlink(f32_path)  # mapped by llama.cpp; the space is freed at exit
        os.rmdir(tmp)
    else:
        llm = load(path)
    meta_bos = llm.metadata.get("tokenizer.ggml.add_bos_token") == "true"
    if meta_bos != want_bos:
        sys.exit("add_bos_token metadata is %s, expected %s" % (meta_bos, want_bos))

    def tok(text):  # add_special=True: llama.cpp adds BOS iff metadata says so
        return llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)

    plist = prompts.build_prompts(a.model, lambda t: len(tok(t)))
    names = [n for n, _ in plist]
    assert len(set(names)) == len(names) and len(plist) >= 30
    version = version_string()
    lines, next_ids = [], {}
    for name, text in plist:
        ids = tok(text)
        assert 5 <= len(ids) <= 500, (name, len(ids))
        bare = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        assert ids == ([llm.token_bos()] if want_bos else []) + bare, name
        rec = record(name, text, ids, eval_logits(llm, ids, False), version)
        lines.append(rec)
        if name in NEXT_PROMPTS:
            next_ids[name] = ids
        print("%-24s %4d tokens  top1 %6d  margin %.4f" % (
            name, len(ids), rec["top"][0][0], rec["top2_margin"]),
            file=sys.stderr)
    add_next(llm, lines, next_ids)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for rec in lines:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print("wrote %s (%d prompts, %d bytes)" % (out, len(lines),
                                               os.path.getsize(out)),
          file=sys.stderr)


def add_next(llm, lines, next_ids):
    """Logprobs of the actual next token at every position (a decode with
    outputs at all positions), and a check that its last row agrees with the
    last-position-only run that made the fixture."""
    for rec in lines:
        ids = next_ids.get(rec["name"])
        if ids is None:
            continue
        all_logits = eval_logits(llm, ids, True)
        rec["next"] = next_field(all_logits, ids)
        last = all_logits[-1] - logsumexp(all_logits[-1])
        diff = max(abs(last[i] - lp) for i, lp in rec["top"])
        print("next %-19s %4d positions; last-row diff vs single-output "
              "run %.2e" % (rec["name"], len(rec["next"]), diff),
              file=sys.stderr)


if __name__ == "__main__":
    main()
