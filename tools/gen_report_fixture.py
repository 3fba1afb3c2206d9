#!/usr/bin/env python3
"""Write tests/data/report/results.json and results_baseline.json: realistic
results of a small CBU-style experiment (2 models, SST-2-like binary data,
zero-shot + few-shot 1/4 shots x 3 seeds, with and without contextual
calibration), in the senti-results/1 schema.

Predictions are simulated with a seeded numpy generator; every number in the
file is then computed here with scikit-learn / numpy / scipy, independently
of senti's C code, so the report tests check what the report shows against
reference values. Dev-only: `make check` never runs this.

usage: /opt/oracle/bin/python tools/gen_report_fixture.py
"""
import hashlib
import json
import math
import os
import zlib

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, brier_score_loss, confusion_matrix,
                             f1_score, log_loss, matthews_corrcoef, precision_recall_fscore_support)

N = 200
LABELS = ["0", "1"]
DISPLAY = ["negative", "positive"]
BINS = 15
BOOT = 200


def ece_top(prob, gold, bins=BINS):
    conf = prob.max(1)
    top = prob.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    out, rel = 0.0, []
    for b in range(bins):
        lo, hi = edges[b], edges[b + 1]
        m = (conf > lo) & (conf <= hi) if b else (conf >= lo) & (conf <= hi)
        cnt = int(m.sum())
        if cnt:
            c, a = float(conf[m].mean()), float((top[m] == gold[m]).mean())
            out += cnt / len(gold) * abs(a - c)
        else:
            c = a = None
        rel.append({"lo": round(lo, 6), "hi": round(hi, 6), "count": cnt, "confidence": c, "accuracy": a})
    return out, rel


def metrics(gold, pred, prob):
    return {
        "accuracy": accuracy_score(gold, pred),
        "balanced_accuracy": balanced_accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, average="macro", zero_division=0),
        "mcc": matthews_corrcoef(gold, pred),
        "nll": log_loss(gold, prob, labels=[0, 1]),
        "brier": 2 * brier_score_loss(gold, prob[:, 1]),  # multi-class Brier: sum over labels
        "ece": ece_top(prob, gold)[0],
    }


def cell_stats(gold, prob, rng):
    pred = prob.argmax(1)
    point = metrics(gold, pred, prob)
    reps = {k: [] for k in point}
    for _ in range(BOOT):
        idx = rng.integers(0, N, N)
        for k, v in metrics(gold[idx], pred[idx], prob[idx]).items():
            reps[k].append(v)
    out = {}
    for k, v in point.items():
        lo, hi = np.percentile(reps[k], [2.5, 97.5])
        out[k] = {"value": round(float(v), 6), "lo": round(float(lo), 6), "hi": round(float(hi), 6)}
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=[0, 1], zero_division=0)
    per_class = [{"label": LABELS[i], "display": DISPLAY[i], "precision": round(float(p[i]), 6),
                  "recall": round(float(r[i]), 6), "f1": round(float(f[i]), 6), "support": int(s[i]),
                  "predicted": int((pred == i).sum())} for i in range(2)]
    correct = (pred == gold).astype(int)
    bits = "".join("1" if c else "0" for c in correct)
    bits += "0" * (-len(bits) % 4)
    hexbits = "".join("%x" % int(bits[i:i + 4], 2) for i in range(0, len(bits), 4))
    return pred, out, per_class, confusion_matrix(gold, pred, labels=[0, 1]).tolist(), ece_top(prob, gold)[1], hexbits


def simulate(gold, skill, bias, noise_seed):
    r = np.random.default_rng(noise_seed)
    margin = (2 * gold - 1) * skill + r.normal(0, 1.6, N) + bias
    p1 = 1 / (1 + np.exp(-margin))
    return np.stack([1 - p1, p1], 1)


def build(shift):
    rng = np.random.default_rng(20240917)
    gold = np.array([0] * (N // 2) + [1] * (N // 2))
    rng.shuffle(gold)
    ids = [str(i + 1) for i in range(N)]
    rows_sha = hashlib.sha256(("\n".join(i + "\t" + LABELS[g] for i, g in zip(ids, gold))).encode()).hexdigest()
    cells, groups = [], {}
    models = {"smollm2": 1.1, "gemma3": 1.6}
    for mname, skill in models.items():
        for strat, shots_list in (("zero", [0]), ("fewshot", [1, 4])):
            for shots in shots_list:
                for seed in ([0] if shots == 0 else [1, 2, 3]):
                    bias = 1.4 - 0.25 * shots + (0.5 * math.sin(seed * 2.1) if shots else 0)
                    raw = simulate(gold, skill + 0.15 * shots + shift, bias, zlib.crc32(("%s-%d-%d" % (mname, shots, seed)).encode()))
                    for cal in ("none", "contextual"):
                        prob = raw
                        if cal == "contextual":  # divide out a content-free estimate of the bias
                            w = np.array([1 + math.tanh(bias / 2), 1 - math.tanh(bias / 2)])
                            prob = raw * w
                            prob = prob / prob.sum(1, keepdims=True)
                        name = "%s.sst2.cbu.%s.k%d%s.%s" % (mname, strat, shots, ".s%d" % seed if shots else "", cal)
                        pred, m, pc, conf, rel, bits = cell_stats(gold, prob, rng)
                        cells.append({
                            "name": name,
                            "hash": hashlib.sha256(name.encode()).hexdigest()[:16],
                            "model": mname, "dataset": "sst2", "verbalizer": "cbu", "strategy": strat,
                            "kind": "zero-shot" if strat == "zero" else "few-shot",
                            "shots": shots, "seed": seed, "calibration": cal,
                            "status": "ok",
                            "predictions": "cells/%s/predictions.csv" % name,
                            "manifest": "cells/%s/manifest.json" % name,
                            "labels": LABELS, "display": DISPLAY,
                            "n": N, "correct": int((pred == gold).sum()), "skipped": 0,
                            "metrics": m, "per_class": pc, "confusion": conf, "reliability": rel,
                            "rows_sha256": rows_sha, "correct_bits": bits,
                        })
                        gname = "%s.sst2.cbu.%s.k%d.%s" % (mname, strat, shots, cal)
                        groups.setdefault(gname, []).append(cells[-1])
    out_groups = []
    for gname, cs in groups.items():
        g = {"name": gname, "model": cs[0]["model"], "dataset": "sst2", "verbalizer": "cbu",
             "strategy": cs[0]["strategy"], "shots": cs[0]["shots"], "calibration": cs[0]["calibration"],
             "cells": [c["name"] for c in cs], "n_seeds": len(cs)}
        for k in ("accuracy", "macro_f1", "ece"):
            v = np.array([c["metrics"][k]["value"] for c in cs])
            g[k] = {"mean": round(float(v.mean()), 6), "std": round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 6),
                    "min": round(float(v.min()), 6), "max": round(float(v.max()), 6)}
        out_groups.append(g)
    comps = []
    by = {c["name"]: c for c in cells}
    for c in cells:
        if c["calibration"] == "none":
            continue
        a = by[c["name"].rsplit(".", 1)[0] + ".none"]
        ca = np.array([int(ch) for ch in bin(int(a["correct_bits"], 16))[2:].zfill(len(a["correct_bits"]) * 4)][:N])
        cb = np.array([int(ch) for ch in bin(int(c["correct_bits"], 16))[2:].zfill(len(c["correct_bits"]) * 4)][:N])
        b01 = int(((ca == 1) & (cb == 0)).sum())
        b10 = int(((ca == 0) & (cb == 1)).sum())
        p = 1.0 if b01 + b10 == 0 else binomtest(min(b01, b10), b01 + b10, 0.5).pvalue
        diff = c["metrics"]["accuracy"]["value"] - a["metrics"]["accuracy"]["value"]
        verdict = "no significant difference" if p >= 0.05 else ("b better" if diff > 0 else "a better")
        comps.append({"a": a["name"], "b": c["name"], "factor": "calibration", "metric": "accuracy",
                      "a_value": a["metrics"]["accuracy"]["value"], "b_value": c["metrics"]["accuracy"]["value"],
                      "diff": round(diff, 6), "a_only": b01, "b_only": b10, "p_value": round(float(p), 6),
                      "verdict": verdict})
    return {
        "schema": "senti-results/1",
        "senti_version": "0.1.0",
        "experiment": {"name": "cbu-fixture", "description": "Hand-checked fixture: CBU protocol on 200 SST-2-like rows",
                       "file": "experiments/cbu-sst2.json", "sha256": hashlib.sha256(b"fixture").hexdigest()},
        "eval": {"bootstrap": BOOT, "seed": 20240917, "bins": BINS, "ci_level": 0.95},
        "manifest": {
            "models": [{"name": "smollm2", "path": "models/SmolLM2-135M-Instruct.Q4_1.gguf",
                        "sha256": hashlib.sha256(b"smollm2").hexdigest(), "architecture": "llama"},
                       {"name": "gemma3", "path": "models/gemma-3-270m-q4_k_m.gguf",
                        "sha256": hashlib.sha256(b"gemma3").hexdigest(), "architecture": "gemma3"}],
            "datasets": [{"name": "sst2", "split": "test", "path": "../shared/datasets/sst2/test.csv",
                          "sha256": hashlib.sha256(b"sst2").hexdigest(), "rows": N}],
            "verbalizers": [{"name": "cbu", "path": "verbalizers/sst2-cbu.json",
                             "sha256": hashlib.sha256(b"cbu").hexdigest()}],
        },
        "cells": cells,
        "groups": out_groups,
        "comparisons": comps,
        "timing": {"total_seconds": 12.5, "cells": {c["name"]: {"seconds": 0.4, "rows_per_second": 500.0,
                                                                "cache_hits": 0} for c in cells}},
    }


def main():
    d = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "report")
    for fname, shift in (("results.json", 0.0), ("results_baseline.json", 0.6)):
        with open(os.path.join(d, fname), "w") as f:
            json.dump(build(shift), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
