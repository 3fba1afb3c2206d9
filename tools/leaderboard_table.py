#!/usr/bin/env python3
"""Pivot the finished cells of a leaderboard run into one Markdown table.

    tools/leaderboard_table.py EXPERIMENT.json OUTDIR [--readme README.md]

Rows are recipes (model x strategy x calibration, or a baseline), columns the
experiment's datasets in order; a cell is the accuracy of that recipe on that
dataset (mean +- standard deviation over seeds when there are several), "-"
when the run has not finished it. The best language-model recipe and the best
baseline of each dataset are in bold, and a last row gives the difference
between the two (what a user gains over a bag-of-words model). Reads
OUTDIR/cells/*/cell.json only, so a run still in progress (or resumed over
several sessions) gives the table of what is done. With --readme, the table
replaces the text between <!-- senti-table:leaderboard --> markers.
Dev tool (make reports); senti itself never needs Python.
"""
import argparse
import glob
import json
import os
import statistics
import sys


def recipe(c):
    if c["kind"] == "baseline":
        return ("~baseline", c["strategy"], 0, "none")
    return (c["model"], c["strategy"], c["shots"], c["calibration"])


def recipe_name(key):
    model, strategy, shots, calib = key
    if model == "~baseline":
        return "baseline: " + strategy
    return "%s %s%s" % (model, strategy, "" if calib == "none" else " + " + calib)


def fmt(values):
    m = statistics.mean(values)
    if len(values) == 1:
        return "%.3f" % m
    return "%.3f ± %.3f" % (m, statistics.stdev(values))


def build(exp, outdir):
    datasets = [d["name"] for d in exp["datasets"]]
    models = [m["name"] for m in exp["models"]]
    acc = {}
    for path in sorted(glob.glob(os.path.join(outdir, "cells", "*", "cell.json"))):
        c = json.load(open(path))["result"]
        if c.get("status", "ok") != "ok" or c["dataset"] not in datasets:
            continue
        acc.setdefault(recipe(c), {}).setdefault(c["dataset"], []).append(c["metrics"]["accuracy"]["value"])
    order = lambda k: (k[0] == "~baseline", models.index(k[0]) if k[0] in models else 0, k[2], k[1], k[3] != "none", k[3])
    keys = sorted(acc, key=order)
    best = {}
    for d in datasets:
        for group in (False, True):
            cand = [(statistics.mean(acc[k][d]), k) for k in keys if d in acc[k] and (k[0] == "~baseline") == group]
            if cand:
                best[(d, group)] = max(cand)
    lines = ["| recipe | " + " | ".join(datasets) + " |", "|---|" + "---:|" * len(datasets)]
    for k in keys:
        cells = []
        for d in datasets:
            if d not in acc[k]:
                cells.append("-")
                continue
            text = fmt(acc[k][d])
            b = best.get((d, k[0] == "~baseline"))
            cells.append("**%s**" % text if b and b[1] == k else text)
        lines.append("| %s | %s |" % (recipe_name(k), " | ".join(cells)))
    gain = []
    for d in datasets:
        lm, bl = best.get((d, False)), best.get((d, True))
        gain.append("%+.3f" % (lm[0] - bl[0]) if lm and bl else "-")
    lines.append("| best language model - best baseline | %s |" % " | ".join(gain))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("experiment")
    ap.add_argument("outdir")
    ap.add_argument("--readme")
    a = ap.parse_args()
    table = build(json.load(open(a.experiment)), a.outdir)
    if not a.readme:
        sys.stdout.write(table)
        return
    text = open(a.readme).read()
    start, end = "<!-- senti-table:leaderboard -->", "<!-- /senti-table:leaderboard -->"
    if start not in text or end not in text:
        sys.exit("leaderboard_table: %s lacks the markers %s ... %s" % (a.readme, start, end))
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    open(a.readme, "w").write(head + start + "\n" + table + end + tail)


if __name__ == "__main__":
    main()
