#!/opt/oracle/bin/python
"""gen_metric_fixtures.py - dev-only: write tests/data/metrics/*.csv and their
expected values (*.expected.json) from scikit-learn, netcal and independent NumPy
implementations of the published calibration definitions.

Never run by `make check`. Usage: /opt/oracle/bin/python tools/gen_metric_fixtures.py

References used:
  scikit-learn: accuracy, balanced accuracy, precision/recall/F1 (macro, micro,
      weighted, per class, zero_division=0), MCC, Cohen's kappa, confusion
      matrix, log loss (NLL), multi-class Brier (scale_by_half=False).
  netcal (when importable): top-label ECE and MCE with equal-width bins.
  NumPy here (definitions in docs/eval.md): ECE (equal width / equal mass),
      MCE, RMSCE, class-wise ECE (Kull et al. 2019), ACE (Nixon et al. 2019),
      AURC with ties spread evenly (Geifman et al. 2019).
  scipy: Wilson interval (binomtest.proportion_ci), McNemar p-values
      (binomtest), temperature/vector scaling fits (optimize).
"""
import json
import math
import os
import sys
import warnings

import numpy as np
import scipy.optimize as so
import scipy.stats as st
import sklearn.metrics as skm
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "metrics")
M_NAMES = ["accuracy", "balanced_accuracy", "macro_f1", "micro_f1", "weighted_f1", "mcc", "kappa",
           "nll", "brier", "ece", "ece_mass", "mce", "rmsce", "classwise_ece", "ace", "aurc"]

try:
    from netcal.metrics import ECE as NC_ECE, MCE as NC_MCE
except Exception:  # netcal is optional
    NC_ECE = NC_MCE = None


def jnum(x):
    x = float(x)
    return None if not math.isfinite(x) else x


# ---- calibration references (NumPy, written from the papers) -------------------

def width_bins(v, M):
    return np.clip(np.ceil(v * M) - 1, 0, M - 1).astype(int)


def gaps_width(v, hit, M):
    b = width_bins(v, M)
    cnt = np.bincount(b, minlength=M).astype(float)
    sv = np.bincount(b, v, M)
    sh = np.bincount(b, hit.astype(float), M)
    return cnt, sv, sh


def mass_bins(v, tiebreak, M):
    """bin of each row: rows sorted by (v, tiebreak), position j -> j*M//n."""
    n = len(v)
    order = np.lexsort((tiebreak, v))
    b = np.empty(n, dtype=int)
    b[order] = (np.arange(n) * M) // n
    return b


def calib_metrics(P, y, M, tiebreak=None):
    n, k = P.shape
    if tiebreak is None:
        tiebreak = np.arange(n)
    conf, top = P.max(1), P.argmax(1)
    ok = top == y
    cnt, sv, sh = gaps_width(conf, ok, M)
    ne = cnt > 0
    gap = np.abs(sh - sv)
    r = {"ece": gap.sum() / n,
         "mce": np.max(gap[ne] / cnt[ne]),
         "rmsce": math.sqrt(np.sum(cnt[ne] * (gap[ne] / cnt[ne]) ** 2) / n)}
    cw = 0.0
    for j in range(k):
        c, s1, s2 = gaps_width(P[:, j], y == j, M)
        cw += np.abs(s2 - s1).sum() / n
    r["classwise_ece"] = cw / k
    bm = mass_bins(conf, tiebreak, M)
    r["ece_mass"] = np.abs(np.bincount(bm, ok.astype(float), M) - np.bincount(bm, conf, M)).sum() / n
    terms = []
    for j in range(k):
        bj = mass_bins(P[:, j], tiebreak, M)
        c = np.bincount(bj, minlength=M)
        a = np.bincount(bj, (y == j).astype(float), M)
        s = np.bincount(bj, P[:, j], M)
        terms += list(np.abs(a[c > 0] - s[c > 0]) / c[c > 0])
    r["ace"] = float(np.mean(terms))
    r["aurc"] = aurc(conf, ok)
    rel = [{"count": int(cnt[b]),
            "confidence": jnum(sv[b] / cnt[b]) if cnt[b] else None,
            "accuracy": jnum(sh[b] / cnt[b]) if cnt[b] else None} for b in range(M)]
    return r, rel


def aurc(conf, ok):
    """Mean over i = 1..n of the expected error rate of the i most confident rows,
    rows of equal confidence taken in random order."""
    n = len(conf)
    order = np.argsort(-conf, kind="stable")
    c, err = conf[order], (~ok[order]).astype(float)
    uniq, inv = np.unique(-c, return_inverse=True)  # groups in descending confidence
    gsize = np.bincount(inv).astype(float)
    gerr = np.bincount(inv, err)
    before = np.concatenate([[0.0], np.cumsum(gsize)[:-1]])
    ebefore = np.concatenate([[0.0], np.cumsum(gerr)[:-1]])
    i = np.arange(1, n + 1, dtype=float)
    g = inv
    risk = (ebefore[g] + (i - before[g]) * (gerr[g] / gsize[g])) / i
    return float(risk.mean())


# ---- the full expected record -----------------------------------------------------

def expected(labels, gold, pred, P, M=15):
    L = list(labels)
    yi = np.array([L.index(g) for g in gold])
    out = {}
    out["accuracy"] = skm.accuracy_score(gold, pred)
    out["balanced_accuracy"] = skm.balanced_accuracy_score(gold, pred)
    out["macro_f1"] = skm.f1_score(gold, pred, average="macro", zero_division=0)
    out["micro_f1"] = skm.f1_score(gold, pred, average="micro", zero_division=0)
    out["weighted_f1"] = skm.f1_score(gold, pred, average="weighted", zero_division=0)
    out["mcc"] = skm.matthews_corrcoef(gold, pred)
    out["kappa"] = skm.cohen_kappa_score(gold, pred)
    rel = None
    if P is not None:
        # sklearn takes probability columns in sorted label order
        S = sorted(L)
        Ps = P[:, [L.index(s) for s in S]]
        out["nll"] = skm.log_loss(gold, Ps, labels=S)
        Y = np.eye(len(L))[yi]
        brier_np = np.mean(np.sum((P - Y) ** 2, axis=1))
        b = skm.brier_score_loss(gold, Ps, labels=S, scale_by_half=False)
        assert abs(b - brier_np) < 1e-12, (b, brier_np)
        out["brier"] = b
        cm, rel = calib_metrics(P, yi, M)
        out.update(cm)
    rec = {"n": len(gold), "k": len(L), "labels": L,
           "metrics": {m: jnum(out[m]) if m in out else None for m in M_NAMES}}
    rec["confusion"] = skm.confusion_matrix(gold, pred, labels=L).tolist()
    p, r, f, s = skm.precision_recall_fscore_support(gold, pred, labels=L, zero_division=0)
    rec["per_class"] = [{"label": L[j], "precision": p[j], "recall": r[j], "f1": f[j],
                         "support": int(s[j])} for j in range(len(L))]
    if P is not None:
        rec["reliability"] = rel
        rec["metrics_bins10"] = {m: jnum(v) for m, v in calib_metrics(P, yi, 10)[0].items()}
        # netcal bins with other edge conventions: compare only when no value sits on an edge
        on_edge = np.any(np.isclose(P * M, np.round(P * M), rtol=0, atol=1e-9))
        if NC_ECE is not None and len(gold) > 1 and not on_edge:
            rec["netcal_ece"] = float(NC_ECE(bins=M).measure(P, yi))
            rec["netcal_mce"] = float(NC_MCE(bins=M).measure(P, yi))
    lo, hi = wilson(int(round(out["accuracy"] * len(gold))), len(gold))
    rec["wilson95"] = [lo, hi]
    return rec


def wilson(x, n):
    ci = st.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def fmt(x):
    return repr(float(x))


def write_csv(name, header, rows):
    with open(os.path.join(OUT, name + ".csv"), "w", newline="") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def q(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n ') else s


def dump(name, rec):
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump(rec, f, indent=1, sort_keys=False)
        f.write("\n")


def standard(name, labels, y, P, pred=None, with_pred=True, M=15):
    """Our own format: id, gold, pred, p_<label>."""
    n, k = P.shape
    L = list(labels)
    if pred is None:
        pred = P.argmax(1)
    gold = [L[i] for i in y]
    pl = [L[i] for i in pred]
    header = ["id", "gold"] + (["pred"] if with_pred else []) + [q("p_" + l) for l in L]
    rows = [[f"r{i:05d}", q(gold[i])] + ([q(pl[i])] if with_pred else []) +
            [fmt(v) for v in P[i]] for i in range(n)]
    write_csv(name, header, rows)
    rec = expected(L, gold, pl, P, M)
    rec["file"] = name + ".csv"
    dump(name, rec)
    return rec


def dirichlet_with_signal(rng, n, k, alpha, strength):
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += strength
    P = np.exp(alpha * logits)
    P /= P.sum(1, keepdims=True)
    return y, P


# ---- bootstrap replay of the C procedure (gsl mt19937, gsl_rng_uniform_int) -------

def mt(seed):
    bg = np.random.MT19937(0)
    bg._legacy_seeding(4357 if seed == 0 else seed)
    return bg


def gsl_uniform_int(bg, n, count):
    scale = 0xFFFFFFFF // n
    out = []
    while len(out) < count:
        kk = int(bg.random_raw()) // scale
        if kk < n:
            out.append(kk)
    return np.array(out)


def bootstrap_replay(labels, y, pred, P, B, seed, level=0.95, M=15):
    n = len(y)
    seeds = [int(v) for v in mt(seed).random_raw(B)]
    L = list(labels)
    reps = {m: [] for m in M_NAMES}
    for s in seeds:
        idx = gsl_uniform_int(mt(s), n, n)
        idx.sort()  # the C side groups duplicates by row; order of draws is irrelevant
        yy, pp, PP = y[idx], pred[idx], P[idx]
        cls = {"accuracy": skm.accuracy_score(yy, pp),
               "macro_f1": skm.f1_score(yy, pp, average="macro", zero_division=0),
               "mcc": skm.matthews_corrcoef(yy, pp)}
        cm, _ = calib_metrics(PP, yy, M, tiebreak=idx)
        cls.update(cm)
        cls["nll"] = skm.log_loss(yy, PP, labels=list(range(len(L))))
        cls["brier"] = float(np.mean(np.sum((PP - np.eye(len(L))[yy]) ** 2, axis=1)))
        for m, v in cls.items():
            reps[m].append(v)
    res = {}
    for m, v in reps.items():
        v = np.array(v, dtype=float)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            continue
        res[m] = [float(np.quantile(v, (1 - level) / 2)), float(np.quantile(v, (1 + level) / 2))]
    return res


# ---- splitmix64 recipe shared with tests/check_metrics.c (the 100 000-row case) -----

MASK = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def big_recipe(n, k, seed):
    """gold = r % k; c_j = 1 + r % 1000, plus r % 3000 on the gold label for 70% of
    rows; p_j = c_j / sum(c) (one IEEE division, identical in C)."""
    s = seed
    y = np.empty(n, dtype=int)
    P = np.empty((n, k))
    for i in range(n):
        s, r = splitmix(s)
        g = r % k
        c = []
        for j in range(k):
            s, r = splitmix(s)
            c.append(1 + r % 1000)
        s, r = splitmix(s)
        if r % 10 < 7:
            s, r = splitmix(s)
            c[g] += r % 3000
        tot = sum(c)
        y[i] = g
        P[i] = [cj / tot for cj in c]
    return y, P


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240917)
    # 1-3 binary
    y, P = dirichlet_with_signal(rng, 40, 2, 1.3, 1.0)
    small = standard("bin_small", ["neg", "pos"], y, P)
    y_small, P_small = y, P
    y, P = dirichlet_with_signal(rng, 500, 2, 2.0, 1.2)
    standard("bin_500", ["negative", "positive"], y, P)
    y = (rng.random(300) < 0.1).astype(int)
    P1 = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.2, 300), 0.01, 0.99)
    standard("bin_skewed", ["neg", "pos"], y, np.stack([1 - P1, P1], 1))
    # 4-6 three classes
    y, P = dirichlet_with_signal(rng, 200, 3, 1.0, 1.5)
    standard("c3_200", ["negative", "neutral", "positive"], y, P)
    y, P = dirichlet_with_signal(rng, 1000, 3, 1.5, 1.0)
    pred = P.argmax(1).copy()
    flip = rng.random(1000) < 0.1
    pred[flip] = rng.integers(0, 3, flip.sum())
    standard("c3_pred_differs", ["negative", "neutral", "positive"], y, P, pred=pred)
    y, P = dirichlet_with_signal(rng, 150, 3, 0.8, 1.0)
    standard("c3_no_pred", ["a", "b", "c"], y, P, with_pred=False)
    # 7-8, 20 five classes
    y, P = dirichlet_with_signal(rng, 300, 5, 1.0, 1.5)
    standard("c5_300", ["1", "2", "3", "4", "5"], y, P)
    y, P = dirichlet_with_signal(rng, 2000, 5, 3.0, 1.5)
    standard("c5_confident", ["vneg", "neg", "neu", "pos", "vpos"], y, P)
    y, P = dirichlet_with_signal(rng, 400, 5, 0.15, 1.0)
    standard("c5_lowconf", ["vneg", "neg", "neu", "pos", "vpos"], y, P)
    # 9-11 tiny and degenerate
    standard("n1", ["neg", "neu", "pos"], np.array([2]), np.array([[0.2, 0.3, 0.5]]))
    y = np.zeros(25, dtype=int)
    _, P = dirichlet_with_signal(rng, 25, 2, 1.0, 0.0)
    standard("one_class_gold", ["pos", "neg"], y, P)
    y = rng.integers(0, 3, 30)
    P = rng.dirichlet([1, 1, 1], 30) * 0.3
    P[:, 1] += 0.7
    standard("one_class_pred", ["a", "b", "c"], y, P)
    # 12-13 ties
    rows = [[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.4, 0.2, 0.4], [0.5, 0.0, 0.5],
            [0.2, 0.4, 0.4], [0.375, 0.375, 0.25]] * 6
    P = np.array(rows)
    y = rng.integers(0, 3, len(P))
    standard("ties_argmax", ["x", "y", "z"], y, P, with_pred=False)
    y, P = dirichlet_with_signal(rng, 600, 2, 1.0, 1.0)
    p1 = np.round(P[:, 1] * 10) / 10
    standard("ties_conf", ["neg", "pos"], y, np.stack([1 - p1, p1], 1))
    # 14-15 extreme probabilities and bin edges
    y = rng.integers(0, 3, 60)
    top = np.where(rng.random(60) < 0.8, y, (y + 1) % 3)
    P = np.eye(3)[top]
    P[:10] = [1 / 3, 1 / 3, 1 / 3]
    standard("extreme_01", ["neg", "neu", "pos"], y, P)
    edges = np.array([b / 15 for b in range(1, 16)] + [0.5, 0.6, 0.9, 1.0])
    c = rng.choice(edges[edges >= 0.5], 200)
    y = (rng.random(200) < 0.7).astype(int)
    standard("bin_edges", ["neg", "pos"], y, np.stack([1 - c, c], 1))
    # 16 our classify format with status rows
    status_fixture(rng)
    # 17 another tool's columns
    foreign_fixture(rng)
    # 18 quoting
    y, P = dirichlet_with_signal(rng, 80, 3, 1.0, 1.0)
    standard("quoted_labels", ['very "good"', "bad, really", "so so"], y, P)
    # 19 absent class in a four-label space
    y, P = dirichlet_with_signal(rng, 120, 3, 1.0, 1.0)
    P4 = np.concatenate([P * 0.9, np.full((120, 1), 0.1)], 1)
    standard("c4_absent_class", ["neg", "neu", "pos", "mixed"], y, P4)
    # 21 large-ish binary
    y, P = dirichlet_with_signal(rng, 5000, 2, 1.0, 1.0)
    standard("bin_5000", ["neg", "pos"], y, P)
    # 22 label-free file (no probabilities)
    label_free_fixture(rng)
    # bootstrap replay on bin_small
    rec = small
    rec["bootstrap"] = {"B": 200, "seed": 7, "level": 0.95,
                        "ci": bootstrap_replay(["neg", "pos"], y_small, P_small.argmax(1), P_small,
                                               200, 7)}
    rec["file"] = "bin_small.csv"
    dump("bin_small", rec)
    # 100 000 rows by recipe
    y, P = big_recipe(100000, 3, 12345)
    L = ["neg", "neu", "pos"]
    rec = expected(L, [L[i] for i in y], [L[i] for i in P.argmax(1)], P)
    rec["recipe"] = {"n": 100000, "k": 3, "seed": 12345}
    dump("big_100k", rec)
    compare_fixture(rng)
    calib_fixture(rng)
    print("fixtures written to", os.path.normpath(OUT))


def status_fixture(rng):
    L = ["negative", "positive"]
    y, P = dirichlet_with_signal(rng, 50, 2, 1.0, 1.0)
    status = ["ok"] * 50
    for i in (3, 17, 30):
        status[i] = "truncated"
    bad = {5: "error: tokenizer failed", 22: "error: empty text", 41: "error: context full"}
    header = ["id", "gold", "pred"] + ["p_" + l for l in L] + ["raw_p_" + l for l in L] + \
        ["n_tokens", "status"]
    rows, keep = [], []
    for i in range(50):
        if i in bad:
            rows.append([f"x{i}", L[y[i]], "", "", "", "", "", "0", q(bad[i])])
            continue
        keep.append(i)
        raw = P[i] ** 1.3 / np.sum(P[i] ** 1.3)
        rows.append([f"x{i}", L[y[i]], L[P[i].argmax()]] + [fmt(v) for v in P[i]] +
                    [fmt(v) for v in raw] + [str(20 + i), status[i]])
    write_csv("classify_status", header, rows)
    k = np.array(keep)
    rec = expected(L, [L[i] for i in y[k]], [L[i] for i in P[k].argmax(1)], P[k])
    rec["file"] = "classify_status.csv"
    rec["n_skipped"] = 3
    rec["first_skipped_row"] = 6
    dump("classify_status", rec)


def foreign_fixture(rng):
    L = ["neg", "pos"]
    y, P = dirichlet_with_signal(rng, 90, 2, 1.0, 1.0)
    header = ["label", "predicted", "prob_neg", "prob_pos", "comment"]
    pred = P.argmax(1)
    rows = [[L[y[i]], L[pred[i]], fmt(P[i, 0]), fmt(P[i, 1]), q("row %d, fine" % i)]
            for i in range(90)]
    write_csv("foreign_cols", header, rows)
    rec = expected(L, [L[i] for i in y], [L[i] for i in pred], P)
    rec["file"] = "foreign_cols.csv"
    rec["params"] = {"gold_col": "label", "pred_col": "predicted",
                     "prob_cols": "neg=prob_neg,pos=prob_pos"}
    dump("foreign_cols", rec)


def label_free_fixture(rng):
    L = ["bad", "good", "ok"]
    y = rng.integers(0, 3, 70)
    pred = np.where(rng.random(70) < 0.6, y, rng.integers(0, 3, 70))
    write_csv("label_free", ["gold", "pred"], [[L[y[i]], L[pred[i]]] for i in range(70)])
    rec = expected(L, [L[i] for i in y], [L[i] for i in pred], None)
    rec["file"] = "label_free.csv"
    dump("label_free", rec)


def mcnemar(b, c):
    """senti's one McNemar test: always the exact two-sided binomial test."""
    if b + c == 0:
        return 1.0, "exact"
    return float(st.binomtest(min(b, c), b + c, 0.5).pvalue), "exact"


def compare_fixture(rng):
    """Two runs over the same 300 rows (B shuffled, matched by id)."""
    L = ["neg", "neu", "pos"]
    y, PA = dirichlet_with_signal(rng, 300, 3, 1.0, 1.0)
    _, noise = dirichlet_with_signal(rng, 300, 3, 1.0, 0.0)
    logit = np.log(PA) * 1.2 + np.log(noise) * 0.5
    logit[np.arange(300), y] += 0.6
    PB = np.exp(logit) / np.exp(logit).sum(1, keepdims=True)
    standard("cmp_a", L, y, PA)
    perm = rng.permutation(300)
    header = ["id", "gold", "pred"] + ["p_" + l for l in L]
    rows = [[f"r{i:05d}", L[y[i]], L[PB[i].argmax()]] + [fmt(v) for v in PB[i]] for i in perm]
    write_csv("cmp_b", header, rows)
    okA, okB = PA.argmax(1) == y, PB.argmax(1) == y
    b, c = int(np.sum(okA & ~okB)), int(np.sum(~okA & okB))
    p, method = mcnemar(b, c)
    ea = expected(L, [L[i] for i in y], [L[i] for i in PA.argmax(1)], PA)
    eb = expected(L, [L[i] for i in y], [L[i] for i in PB.argmax(1)], PB)
    rec = {"b": b, "c": c, "p": p, "method": method,
           "diff": {m: (eb["metrics"][m] - ea["metrics"][m]) for m in
                    ["accuracy", "macro_f1", "ece", "nll", "brier"]}}
    rec["mcnemar_cases"] = [[bb, cc] + list(mcnemar(bb, cc)) for bb, cc in
                            [(0, 0), (3, 10), (10, 3), (1, 0), (12, 12), (20, 40), (100, 130),
                             (24, 0), (13, 12), (18, 42), (400, 480), (2000, 2300)]]
    # aggregation of many runs: accuracy of 6 runs in 2 groups
    vals = rng.random(6)
    rec["aggregate"] = {"values": vals.tolist(), "groups": ["a", "b", "a", "b", "a", "a"],
                        "a": agg(vals[[0, 2, 4, 5]]), "b": agg(vals[[1, 3]])}
    dump("compare_ab", rec)


def agg(v):
    return {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)),
            "min": float(np.min(v)), "max": float(np.max(v))}


def calib_fixture(rng):
    """Over-confident 3-class scores: fit temperature/vector on one split, apply to
    another; a binary pair for Platt scaling."""
    L = ["neg", "neu", "pos"]
    for name, n in (("calib_fit", 600), ("calib_test", 400)):
        y, P = dirichlet_with_signal(rng, n, 3, 3.0, 0.8)
        standard(name, L, y, P)
        if name == "calib_fit":
            fit = (y, P)
    y, P = fit
    Z = np.log(np.clip(P, np.finfo(float).eps, None))  # senti clips scores as its NLL metric does

    def nll_T(t):
        S = Z / t
        S = S - S.max(1, keepdims=True)
        return float(np.mean(np.log(np.exp(S).sum(1)) - S[np.arange(len(y)), y]))

    r = so.minimize_scalar(nll_T, bounds=(0.05, 20), method="bounded",
                           options={"xatol": 1e-12})
    T = float(r.x)

    def nll_vec(theta):
        w, bb = theta[:3], np.concatenate([[0.0], theta[3:]])
        S = Z * w + bb
        S = S - S.max(1, keepdims=True)
        return float(np.mean(np.log(np.exp(S).sum(1)) - S[np.arange(len(y)), y]))

    rv = so.minimize(nll_vec, np.array([1, 1, 1, 0, 0.0]), method="BFGS",
                     options={"gtol": 1e-10})
    rec = {"temperature": T, "temperature_nll": nll_T(T), "vector_nll": float(rv.fun),
           "vector_params": rv.x.tolist(), "nll_before": nll_T(1.0)}
    # binary Platt: logistic regression on logit(p_pos), no penalty
    yb, Pb = dirichlet_with_signal(rng, 500, 2, 2.5, 0.8)
    standard("calib_bin", ["neg", "pos"], yb, Pb)
    x = np.log(Pb[:, 1]) - np.log(Pb[:, 0])
    lr = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(x[:, None], yb)
    rec["platt_a"] = float(lr.coef_[0, 0])
    rec["platt_b"] = float(lr.intercept_[0])
    dump("calib", rec)


if __name__ == "__main__":
    sys.exit(main())
