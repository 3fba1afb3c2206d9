#!/usr/bin/env bash
# JSON lines input: the same rows as CSV or as JSON lines (detected by the
# .jsonl extension, or --input-format jsonl, also on stdin) give the same
# predictions file; --text-field/--label-field pick renamed fields, integer
# labels read as their decimal text; a malformed line is named with its file
# and line number, exit 2, nothing written.
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
DS=${SENTI_DATASETS:-../shared/datasets}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
python3 - "$DS/sst2/dev.csv" "$T" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))[:6]
t = sys.argv[2]
with open(t + "/x.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n"); w.writerow(["sentence", "label"])
    for r in rows: w.writerow([r["sentence"], r["label"]])
with open(t + "/x.jsonl", "w", encoding="utf-8") as f:
    for i, r in enumerate(rows):
        f.write(json.dumps({"sentence": r["sentence"], "label": int(r["label"])}) + "\n")
        if i == 2: f.write("\n")  # a blank line is skipped
with open(t + "/renamed.txt", "w", encoding="utf-8") as f:
    for r in rows: f.write(json.dumps({"stars": r["label"], "review": r["sentence"], "extra": None}) + "\n")
PY
base=(-m "$MODEL" -v verbalizers/sst2.json -q)
"$SENTI" classify "${base[@]}" -i "$T/x.csv" -o "$T/csv.csv" > /dev/null 2>&1
"$SENTI" classify "${base[@]}" -i "$T/x.jsonl" -o "$T/jl.csv" > /dev/null 2>&1
cmp -s "$T/csv.csv" "$T/jl.csv" || fail "JSON lines and CSV give different predictions"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]; assert d["format"] == "jsonl" and d["text_col"] == "sentence" and d["label_col"] == "label", d' \
    "$T/jl.csv.manifest.json" || fail "manifest format"
"$SENTI" classify "${base[@]}" -i "$T/renamed.txt" --input-format jsonl --text-field review --label-field stars \
    -o "$T/rn.csv" > /dev/null 2>&1
cmp -s "$T/csv.csv" "$T/rn.csv" || fail "--text-field/--label-field"
"$SENTI" classify "${base[@]}" -i - --input-format jsonl -o "$T/in.csv" < "$T/x.jsonl" > /dev/null 2>&1
cmp -s "$T/csv.csv" "$T/in.csv" || fail "JSON lines on stdin"

# malformed lines: named with file and line, exit 2, no output
expect_bad() { # content message
    printf '%b' "$1" > "$T/bad.jsonl"
    set +e
    "$SENTI" classify "${base[@]}" -i "$T/bad.jsonl" -o "$T/bad.csv" > /dev/null 2> "$T/e"; local rc=$?
    set -e
    [ $rc -eq 2 ] && grep -qF "$T/bad.jsonl:$2" "$T/e" || fail "bad input: $rc $(cat "$T/e"), wanted $2"
    [ ! -e "$T/bad.csv" ] || fail "output after an input error"
}
expect_bad '{"text": "fine", "label": "1"}\n{"text": "cut' "2: invalid JSON: "
expect_bad '{"text": "fine", "label": "1"}\n\n"just a string"\n' "3: not a JSON object"
expect_bad '{"text": "fine", "label": "1"}\n{"label": "0"}\n' "2: no field 'text'"
expect_bad '{"text": "fine", "label": "1"}\n{"text": "odd", "label": "9"}\n' "2: label '9' (first seen in data row 2)"
expect_bad '{"text": ["a"], "label": "1"}\n' "1: field 'text' must be a string or an integer"
set +e
"$SENTI" classify "${base[@]}" -i "$T/x.jsonl" --input-format yaml -o "$T/y.csv" > /dev/null 2> "$T/e"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "invalid value 'yaml' for --input-format" "$T/e" || fail "--input-format yaml: $(cat "$T/e")"
echo "t_jsonl: ok"
