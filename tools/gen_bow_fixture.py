#!/usr/bin/env python3
"""Reference probabilities of the bow-logreg baseline from scikit-learn (dev tool).

    /opt/oracle/bin/python tools/gen_bow_fixture.py   ->  tests/data/bow/sklearn.json

TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + LogisticRegression(C), fitted
to convergence (tol 1e-10), on (a) the first 80 rows of SST-2 train (read from the shared
datasets at test time too; the fixture stores only row numbers), scored on the first 50
dev rows, and (b) a 3-label set of sentences written for this test.
"""
import csv
import json
import os
import sys

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("SENTI_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))

MULTI_TRAIN = [
    ("the food was wonderful and the staff were kind", "positive"),
    ("a delightful evening, we loved every dish", "positive"),
    ("great value, friendly service, will return", "positive"),
    ("superb coffee and a lovely view", "positive"),
    ("terrible service and cold soup", "negative"),
    ("the worst meal we have had in years", "negative"),
    ("rude waiter, dirty tables, never again", "negative"),
    ("overpriced and bland, a real disappointment", "negative"),
    ("the restaurant opens at nine on weekdays", "neutral"),
    ("we ordered the soup and a salad", "neutral"),
    ("the menu lists twelve dishes and three desserts", "neutral"),
    ("parking is behind the building", "neutral"),
    ("Service was OK; the soup was cold but the coffee great", "neutral"),
]
MULTI_TEST = [
    "kind staff and wonderful coffee",
    "cold soup, rude staff",
    "the building has parking",
    "a view of the menu",
    "nothing in the vocabulary here",
    "Ünïcode wörds: café crème, naïve résumé",
]


def fit(texts, labels, C):
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    X = vec.fit_transform(texts)
    clf = LogisticRegression(C=C, tol=1e-10, max_iter=100000)
    clf.fit(X, labels)
    return vec, clf


def probs(vec, clf, texts, order):
    P = clf.predict_proba(vec.transform(texts))
    idx = [list(clf.classes_).index(c) for c in order]
    return [[float(row[i]) for i in idx] for row in P]


def read(path, n):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:n]
    return [r["sentence"] for r in rows], [r["label"] for r in rows]


def main():
    out = {"sklearn": sklearn.__version__}
    tr_x, tr_y = read(os.path.join(DATA, "sst2", "train.csv"), 80)
    te_x, _ = read(os.path.join(DATA, "sst2", "dev.csv"), 50)
    for C in (1.0, 10.0):
        vec, clf = fit(tr_x, tr_y, C)
        out[f"binary_C{C:g}"] = {"train": "sst2/train.csv", "n_train": 80, "test": "sst2/dev.csv", "n_test": 50,
                                 "labels": ["0", "1"], "C": C, "n_terms": len(vec.vocabulary_),
                                 "prob": probs(vec, clf, te_x, ["0", "1"])}
    texts = [t for t, _ in MULTI_TRAIN]
    labels = [y for _, y in MULTI_TRAIN]
    order = ["negative", "neutral", "positive"]
    vec, clf = fit(texts, labels, 3.0)
    out["multi_C3"] = {"train_texts": texts, "train_labels": labels, "labels": order, "C": 3.0,
                       "n_terms": len(vec.vocabulary_), "test_texts": MULTI_TEST,
                       "prob": probs(vec, clf, MULTI_TEST, order)}
    path = os.path.join(ROOT, "tests", "data", "bow", "sklearn.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(path, file=sys.stderr)


if __name__ == "__main__":
    main()
