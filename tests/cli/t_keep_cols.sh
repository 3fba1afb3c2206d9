#!/usr/bin/env bash
# senti classify --keep-text / --keep-cols: input columns copied into the
# predictions CSV and JSON lines unchanged (quotes, commas and all), so rows
# join back without the row number; unknown or clashing names are refused.
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
DS=${SENTI_DATASETS:-../shared/datasets}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# tweets with quotes, commas and emoji, plus a second copy of the label as "class"
python3 - "$DS/tweeteval/val.csv" "$T/in.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
pick = [r for r in rows if '"' in r["text"] or "," in r["text"]][:5]
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["text", "label", "class"])
    for r in pick:
        w.writerow([r["text"], r["label"], "c-" + r["label"]])
PY
base=(-m "$MODEL" -v verbalizers/tweeteval.json -q -i "$T/in.csv")
"$SENTI" classify "${base[@]}" -o "$T/plain.csv" > /dev/null 2>&1
"$SENTI" classify "${base[@]}" --keep-text --keep-cols class,label -o "$T/k.csv" --jsonl "$T/k.jsonl" > /dev/null 2>&1
python3 - "$T/in.csv" "$T/plain.csv" "$T/k.csv" "$T/k.jsonl" <<'PY' || fail "kept columns"
import csv, json, sys
src = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
plain = list(csv.reader(open(sys.argv[2], newline="", encoding="utf-8")))
kept = list(csv.reader(open(sys.argv[3], newline="", encoding="utf-8")))
assert kept[0] == plain[0] + ["text", "class", "label"], kept[0]
assert len(kept) == len(src) + 1
for s, p, k in zip(src, plain[1:], kept[1:]):
    assert k[:len(p)] == p, "senti's own columns changed"
    assert k[len(p):] == [s["text"], s["class"], s["label"]], (k, s)
lines = [json.loads(l) for l in open(sys.argv[4], encoding="utf-8")]
for s, j in zip(src, lines):
    assert list(j)[-3:] == ["text", "class", "label"] and j["text"] == s["text"] and j["class"] == s["class"]
m = json.load(open(sys.argv[3] + ".manifest.json"))
assert m["data"]["pass_through"] == ["text", "class", "label"], m["data"]
PY
# eval reads the file with the extra columns as before
"$SENTI" eval --bootstrap 0 "$T/plain.csv" 2> /dev/null | head -1 > "$T/e1"
"$SENTI" eval --bootstrap 0 "$T/k.csv" 2> /dev/null | head -1 > "$T/e2"
cmp -s "$T/e1" "$T/e2" || fail "eval of the file with kept columns differs"

# refused before any model work: unknown column (named), senti's own names, twice
set +e
"$SENTI" classify "${base[@]}" --keep-cols class,nope -o "$T/x.csv" > /dev/null 2> "$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "in.csv:1: no kept column 'nope' in the header (columns: text, label, class)" "$T/e" \
    || fail "unknown column: $rc $(cat "$T/e")"
for bad in gold status p_positive raw_p_x; do
    printf 'text,label,%s\nfine,positive,1\n' "$bad" > "$T/c.csv"
    "$SENTI" classify -m "$MODEL" -v verbalizers/tweeteval.json -q -i "$T/c.csv" --keep-cols "$bad" -o "$T/x.csv" \
        > /dev/null 2> "$T/e"; rc=$?
    [ $rc -eq 2 ] && grep -q "column '$bad' clashes with senti's" "$T/e" || fail "clash $bad: $rc $(cat "$T/e")"
done
"$SENTI" classify "${base[@]}" --keep-text --keep-cols text -o "$T/x.csv" > /dev/null 2> "$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "column 'text' would be in the predictions file twice" "$T/e" || fail "twice: $(cat "$T/e")"
"$SENTI" classify "${base[@]}" --keep-cols class, -o "$T/x.csv" > /dev/null 2> "$T/e"; rc=$?
[ $rc -eq 2 ] && grep -q "an empty column name" "$T/e" || fail "empty name: $(cat "$T/e")"
set -e
[ ! -e "$T/x.csv" ] || fail "an output was written after a refusal"
echo "t_keep_cols: ok"
