#!/usr/bin/env python3
"""Pivot the finished cells of a leaderboard run into one Markdown table.

    tools/leaderboard_table.py EXPERIMENT.json OUTDIR [--readme README.md]

Rows are recipes (model x strategy x calibration, or a baseline), columns the
experiment's datasets in order; a cell is the accuracy of that recipe on that
dataset (mean +- standard deviation over seeds when there are several), "-"
when the run has not finished it. The best language-model recipe and the best
baseline of each dataset are in bold, and a last row gives the difference
between the two (what a user gains over a bag-of-words model). Select-then-apply
cells (kind select) form their own row, counted among the language-model
recipes, and a last row compares them with the best fixed language-model recipe
(picked on the test rows, so a bar that no selection from 32 rows can see). Reads
OUTDIR/cells/*/cell.json only, so a run still in progress (or resumed over
several sessions) gives the table of what is done. With --readme, the table
replaces the text between <!-- senti-table:leaderboard --> markers.

With --speed SPEED.json (written by tools/model_speed.sh) the README's
<!-- senti-table:models --> block gets a second table, one row per model of
the experiment: SST-2 scoring speed (rows/s at 0 and 8 shots, from SPEED) and
the model's SST-2 test accuracy per prompting recipe, plus its mean accuracy
over all corpora with contextual calibration ("-" until every corpus is done).
Dev tool (make reports); senti itself never needs Python.
"""
import argparse
import glob
import json
import os
import statistics
import sys


def recipe(c):
    if c["kind"] in ("baseline", "select"):
        return ("~" + c["kind"], c["strategy"], 0, "none")
    return (c["model"], c["strategy"], c["shots"], c["calibration"])


def recipe_name(key):
    model, strategy, shots, calib = key
    if model == "~baseline":
        return "baseline: " + strategy
    if model == "~select":
        return "senti select, then its recipe: " + strategy
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
    order = lambda k: (k[0] == "~baseline", k[0] == "~select", models.index(k[0]) if k[0] in models else 0, k[2], k[1],
                       k[3] != "none", k[3])
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
    sel = [k for k in keys if k[0] == "~select"]
    if sel:  # select-then-apply against the best fixed recipe chosen afterwards on the test rows
        row = []
        for d in datasets:
            fixed = [statistics.mean(acc[k][d]) for k in keys if d in acc[k] and k[0] not in ("~baseline", "~select")]
            row.append("%+.3f" % (statistics.mean(acc[sel[0]][d]) - max(fixed)) if d in acc[sel[0]] and fixed else "-")
        lines.append("| %s - best fixed language-model recipe | %s |" % (sel[0][1], " | ".join(row)))
    return "\n".join(lines) + "\n" + selections(outdir, datasets)


def selections(outdir, datasets):
    """One line per finished select cell: what the labelled rows chose."""
    rows = []
    for path in sorted(glob.glob(os.path.join(outdir, "cells", "*", "cell.json"))):
        c = json.load(open(path))["result"]
        recipe_path = os.path.join(os.path.dirname(path), "recipe.json")
        if c["kind"] != "select" or c.get("status", "ok") != "ok" or not os.path.exists(recipe_path):
            continue
        r = json.load(open(recipe_path))
        sel = r["selection"]
        rows.append((datasets.index(c["dataset"]) if c["dataset"] in datasets else 99, c["seed"],
                     "%s seed %s: `%s`, CV accuracy %.3f (optimistic), test %.3f; %d of %d candidates evaluated"
                     % (c["dataset"], c["seed"], r["candidate"], r["cv"]["accuracy"],
                        c["metrics"]["accuracy"]["value"], sel["evaluated"], sel["candidates"])))
    if not rows:
        return ""
    return "\nWhat `senti select` chose from the 16 labelled rows per class:\n\n" + "".join(
        "- %s\n" % text for _, _, text in sorted(rows))


def model_rows(exp, outdir, speed):
    datasets = [d["name"] for d in exp["datasets"]]
    acc = {}
    for path in sorted(glob.glob(os.path.join(outdir, "cells", "*", "cell.json"))):
        c = json.load(open(path))["result"]
        if c.get("status", "ok") == "ok" and c["kind"] != "baseline":
            acc.setdefault(recipe(c), {}).setdefault(c["dataset"], []).append(c["metrics"]["accuracy"]["value"])
    first = datasets[0]
    lines = ["| model | rows/s, 0-shot | rows/s, 8-shot | %s zero-shot | + contextual | 4-shot + contextual "
             "| mean of %d corpora, zero-shot + contextual |" % (first, len(datasets)),
             "|---|---:|---:|---:|---:|---:|---:|"]
    for m in exp["models"]:
        rates = speed["models"].get(os.path.basename(m["path"]), {})
        row = [m["name"], "%.1f" % rates["0"] if "0" in rates else "-", "%.1f" % rates["8"] if "8" in rates else "-"]
        for key in [(m["name"], "zero-shot", 0, "none"), (m["name"], "zero-shot", 0, "contextual"),
                    (m["name"], "four-shot", 4, "contextual")]:
            v = acc.get(key, {}).get(first)
            row.append(fmt(v) if v else "-")
        ctx = acc.get((m["name"], "zero-shot", 0, "contextual"), {})
        row.append("%.3f" % statistics.mean(statistics.mean(ctx[d]) for d in datasets)
                   if all(d in ctx for d in datasets) else "-")
        lines.append("| " + " | ".join(row) + " |")
    note = "\n_Speed: %d SST-2 dev rows, %d threads, %s, %s (tools/model_speed.sh)._\n" % (
        speed["rows"], speed["threads"], speed["host"], speed["date"])
    return "\n".join(lines) + "\n" + note


def replace_block(text, name, body, readme):
    start, end = "<!-- senti-table:%s -->" % name, "<!-- /senti-table:%s -->" % name
    if start not in text or end not in text:
        sys.exit("leaderboard_table: %s lacks the markers %s ... %s" % (readme, start, end))
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + body + end + tail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("experiment")
    ap.add_argument("outdir")
    ap.add_argument("--readme")
    ap.add_argument("--speed")
    a = ap.parse_args()
    exp = json.load(open(a.experiment))
    table = build(exp, a.outdir)
    models = model_rows(exp, a.outdir, json.load(open(a.speed))) if a.speed else None
    if not a.readme:
        sys.stdout.write(table + ("\n" + models if models else ""))
        return
    text = replace_block(open(a.readme).read(), "leaderboard", table, a.readme)
    if models:
        text = replace_block(text, "models", models, a.readme)
    tmp = a.readme + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, a.readme)


if __name__ == "__main__":
    main()
