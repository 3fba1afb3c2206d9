#!/usr/bin/env bash
# Messages and records that say what they mean: eval --format csv prints the
# shortest decimal that reads back exactly; the classify manifest names the
# label column found by default; the head fine-tune's stdout and log agree on
# the row counts. (The LoRA refusal naming its label word: t_exit_codes.sh.)
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 50 rows, 17 right: accuracy 17/50 = 0.34 (0.34000000000000002 with %.17g)
python3 - "$T/p.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("id,gold,pred,p_a,p_b\n")
    for i in range(50):
        gold = "a" if i % 2 else "b"
        right = i < 17
        pred = gold if right else ("b" if gold == "a" else "a")
        pa = 0.7 if pred == "a" else 0.3
        f.write("r%d,%s,%s,%g,%g\n" % (i, gold, pred, pa, 1 - pa))
PY
"$SENTI" eval --bootstrap 200 --format csv "$T/p.csv" > "$T/e.csv" 2> /dev/null
"$SENTI" eval --bootstrap 200 --format json "$T/p.csv" > "$T/e.json" 2> /dev/null
grep -qx 'accuracy,,0.34,[0-9.e-]*,[0-9.e-]*' "$T/e.csv" || fail "accuracy row: $(grep '^accuracy,' "$T/e.csv")"
python3 - "$T/e.csv" <<'PY' || fail "csv numbers: $(cat "$T/e.csv")"
import csv, sys
def sig(s):  # significant digits of a decimal
    m = s.lstrip("-").lower().split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return len(m)
rows = list(csv.DictReader(open(sys.argv[1])))
n = 0
for r in rows:
    for k in ("value", "ci_lo", "ci_hi"):
        s = r[k]
        if s:  # reads back exactly, with as few digits as Python's shortest repr
            v = float(s)
            assert sig(s) == sig(repr(v)), (r["metric"], s, repr(v))
            n += 1
assert n > 20, n
PY
# the manifest names the label column found by default, and null when there is none
base=(-m "$MODEL" -v verbalizers/demo.json -q)
python3 - datasets/demo.csv "$T/x.csv" "$T/nolabel.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))[:4]
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n").writerows(rows)
csv.writer(open(sys.argv[3], "w", newline=""), lineterminator="\n").writerows([r[:2] for r in rows])
PY
"$SENTI" classify "${base[@]}" -i "$T/x.csv" -o "$T/x.out.csv" > /dev/null 2>&1
"$SENTI" classify "${base[@]}" -i "$T/nolabel.csv" -o "$T/n.out.csv" > /dev/null 2>&1
python3 - "$T/x.out.csv.manifest.json" "$T/n.out.csv.manifest.json" <<'PY' || fail "manifest columns"
import json, sys
d = json.load(open(sys.argv[1]))["data"]
assert d["label_col"] == "label" and d["text_col"] == "text" and d["id_col"] is None, d
d = json.load(open(sys.argv[2]))["data"]
assert d["label_col"] is None and d["text_col"] == "text", d
PY

# head fine-tune: lambda chosen on a split, the final fit on all rows; stdout and log agree
"$SENTI" finetune -m "$MODEL" -v verbalizers/demo.json --train datasets/demo.csv --method head \
    --shots-per-class 6 -o "$T/h.json" -q > "$T/h.out" 2> /dev/null
python3 - "$T/h.out" "$T/h.json.log.jsonl" <<'PY' || fail "head row counts: $(cat "$T/h.out")"
import json, re, sys
out = open(sys.argv[1]).read()
m = re.search(r"chosen on (\d+) train / (\d+) validation rows\), train accuracy = [0-9.]+% on all (\d+) rows", out)
assert m, out
tr, va, n = map(int, m.groups())
ev = [json.loads(l) for l in open(sys.argv[2])]
cfg = [e for e in ev if e["event"] == "config"][0]
s = [e for e in ev if e["event"] == "summary"][0]
assert n == 12 == cfg["n_train"] == s["n_rows"], (n, cfg["n_train"], s)
assert (tr, va) == (s["lambda_train"], s["lambda_val"]) and tr + va == n, (tr, va, s)
PY
echo "t_messages: ok"
