#!/usr/bin/env python3
"""Golden label distributions from llama.cpp for `senti classify` (dev-only).

senti writes every scored prompt with its exact token ids (`--prompts`); this
script scores the same ids and the same label-word tokens (from the run's
manifest) with llama.cpp and stores the raw label distributions. The test
tests/check_classify.c re-runs senti on the same rows and compares.

    /opt/oracle/bin/python tools/oracle/gen_classify.py [--senti build/senti] [--model KEY] [--f32]

--model smollm2|qwen05|qwen15 writes only that model's runs (default: all).

Writes tests/data/classify/<name>.jsonl: a first line with the run's settings,
then one line per row {"row", "prefix_ids", "suffix_ids", "p"}.

With --f32, llama.cpp scores on an F32 copy of the model with an F32 KV cache
(see gen_logits.py --f32) and the files are <name>_f32.jsonl.
"""
import argparse, json, math, os, subprocess, sys, tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_cpp import Llama

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.abspath(os.path.join(ROOT, "..", "shared", "datasets"))

TRAIN = os.path.join(DATA, "sst2", "train.csv")
SMOL, QWEN05, QWEN15 = ("SmolLM2-135M-Instruct.Q4_1.gguf", "qwen2.5-coder-0.5b-instruct.gguf",
                        "qwen2.5-coder-1.5b-instruct.gguf")
RUNS = [
    # name (ends with _<model key>), model file, verbalizer, rows, extra senti options
    ("sst2_dev200_0shot_smollm2", SMOL, "verbalizers/sst2.json", 200, []),
    ("sst2_dev200_4shot_smollm2", SMOL, "verbalizers/sst2.json", 200,
     ["--shots", "4", "--train", TRAIN, "--seed", "1"]),
    # the larger models on fewer rows: make check runs the 0.5B fixtures on 2 cores
    ("sst2_dev64_0shot_qwen05", QWEN05, "verbalizers/sst2.json", 64, []),
    ("sst2_dev64_4shot_qwen05", QWEN05, "verbalizers/sst2.json", 64,
     ["--shots", "4", "--train", TRAIN, "--seed", "1"]),
    ("sst2_dev32_0shot_qwen15", QWEN15, "verbalizers/sst2.json", 32, []),
    ("sst2_dev32_4shot_qwen15", QWEN15, "verbalizers/sst2.json", 32,
     ["--shots", "4", "--train", TRAIN, "--seed", "1"]),
]


class PromptScorer:
    """Last-position log-softmax of token sequences, reusing the longest prefix
    already in llama.cpp's KV cache (the demonstrations of a few-shot run, a
    row's prompt before each label word): positions past it are removed and
    only the rest is decoded, with output at the last token only."""

    def __init__(self, llm):
        self.llm, self.cached = llm, []

    def log_softmax(self, ids):
        k = 0
        while k < min(len(self.cached), len(ids) - 1) and self.cached[k] == ids[k]:
            k += 1
        self.llm._ctx.kv_cache_seq_rm(0, k, -1)
        self.llm._batch.set_batch(batch=list(ids[k:]), n_past=k, logits_all=False)
        self.llm._ctx.decode(self.llm._batch)
        self.cached = list(ids)
        nv = self.llm.n_vocab()
        logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(nv,)).astype(np.float64)
        m = logits.max()
        return logits - m - math.log(np.exp(logits - m).sum())


def word_logprob(sc, ids, word):
    """log P(word tokens | ids) = sum over the word's tokens of the log-softmax
    after ids + the tokens before it."""
    return sum(float(sc.log_softmax(list(ids) + list(word[:i]))[word[i]]) for i in range(len(word)))


def label_distribution(sc, ids, labels):
    scores = []
    for words in labels:  # logsumexp over a label's words
        lps = [word_logprob(sc, ids, w) for w in words]
        m = max(lps)
        scores.append(m + math.log(sum(math.exp(x - m) for x in lps)))
    m = max(scores)
    e = [math.exp(s - m) for s in scores]
    return [x / sum(e) for x in e]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--senti", default=os.path.join(ROOT, "build", "senti"))
    ap.add_argument("--rows", type=int, help="override every run's row count")
    ap.add_argument("--model", help="only the runs whose name ends with _MODEL")
    ap.add_argument("--f32", action="store_true", help="llama.cpp on an F32 copy with an F32 KV cache")
    a = ap.parse_args()
    f32_dir = tempfile.TemporaryDirectory() if a.f32 else None
    os.makedirs(os.path.join(ROOT, "tests", "data", "classify"), exist_ok=True)
    for name, model, verb, rows, extra in RUNS:
        if a.model and not name.endswith("_" + a.model):
            continue
        rows = a.rows or rows
        mpath = os.path.join(ROOT, "models", model)
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [a.senti, "classify", "-m", mpath, "-v", verb, "-i", os.path.join(DATA, "sst2", "dev.csv"),
                   "--text-col", "sentence", "--limit", str(rows), "-q", "-t", "2",
                   "--prompts", os.path.join(tmp, "p.jsonl"), "-o", os.path.join(tmp, "pred.csv")] + extra
            subprocess.run(cmd, check=True, cwd=ROOT)
            prompts = [json.loads(l) for l in open(os.path.join(tmp, "p.jsonl"))]
            manifest = json.load(open(os.path.join(tmp, "pred.csv.manifest.json")))
        labels = [[w["tokens"] for w in lab["words"]] for lab in manifest["verbalizer"]["labels"]]
        kv = {}
        if a.f32:
            from f32_copy import f32_copy
            f32_path = os.path.join(f32_dir.name, model)
            if not os.path.exists(f32_path):
                for old in os.listdir(f32_dir.name):  # one copy on disk at a time (1.5B: ~7 GB)
                    os.unlink(os.path.join(f32_dir.name, old))
                f32_copy(mpath, f32_path)
            mpath, kv = f32_path, {"type_k": 0, "type_v": 0}  # GGML_TYPE_F32
        llm = Llama(model_path=mpath, n_ctx=2048, n_threads=2, n_batch=512, verbose=False, **kv)
        sc = PromptScorer(llm)
        out = os.path.join(ROOT, "tests", "data", "classify", name + ("_f32" if a.f32 else "") + ".jsonl")
        with open(out, "w") as f:
            head = {"model": model, "verbalizer": verb, "options": [x.replace(DATA, "$DATASETS") for x in extra],
                    "rows": rows, "labels": [lab["label"] for lab in manifest["verbalizer"]["labels"]],
                    "llama_cpp_python": __import__("llama_cpp").__version__,
                    "weights": "f32 copy, f32 KV cache" if a.f32 else "as stored, default F16 KV cache"}
            f.write(json.dumps(head) + "\n")
            # calibration inputs come first in the prompt dump; the rows are the last `rows` lines
            for i, p in enumerate(prompts[-rows:]):
                ids = p["prefix_ids"] + p["suffix_ids"]
                dist = label_distribution(sc, ids, labels)
                f.write(json.dumps({"row": i + 1, "prefix_ids": p["prefix_ids"], "suffix_ids": p["suffix_ids"],
                                    "p": [round(x, 9) for x in dist]}) + "\n")
        print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
