#!/usr/bin/env bash
# senti classify end to end on the default model: output accounting, manifest,
# determinism, few-shot from the same file, and clear errors for bad input.
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
base=(-m "$MODEL" -v verbalizers/demo.json --id-col id -q)

# --- a good run: one output row per input row, probabilities sum to 1 ---------
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 12 -o "$tmp/a.csv" --jsonl "$tmp/a.jsonl" > "$tmp/a.out"
grep -Eq '^accuracy = [01]\.[0-9]{4} \([0-9]+/12\)$' "$tmp/a.out" || fail "summary line: $(cat "$tmp/a.out")"
head -1 "$tmp/a.csv" | grep -qx 'id,gold,pred,p_negative,p_positive,raw_p_negative,raw_p_positive,n_tokens,status' \
    || fail "header: $(head -1 "$tmp/a.csv")"
[ "$(tail -n +2 "$tmp/a.csv" | wc -l)" -eq 12 ] || fail "row count"
[ "$(wc -l < "$tmp/a.jsonl")" -eq 12 ] || fail "jsonl row count"
awk -F, 'NR > 1 { s = $4 + $5; if (s < 0.999999 || s > 1.000001 || $9 != "ok") exit 1 }' "$tmp/a.csv" \
    || fail "probabilities or status"
[ "$(sed -n 2p "$tmp/a.csv" | cut -d, -f1)" = d001 ] || fail "ids in input order"
[ -s "$tmp/a.csv.manifest.json" ] || fail "manifest missing"
grep -q '"sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"' "$tmp/a.csv.manifest.json" \
    || fail "manifest lacks the model hash"
python3 -c 'import hashlib,json,sys; d = json.load(open(sys.argv[1]))["data"]; \
assert d["sha256"] == hashlib.sha256(open("datasets/demo.csv", "rb").read()).hexdigest(), d' "$tmp/a.csv.manifest.json" \
    || fail "manifest lacks the input's SHA-256"
! ls "$tmp" | grep -q '\.tmp' || fail "temporary file left behind"

# --- the same inputs give the same predictions file ---------------------------------
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 12 -o "$tmp/b.csv" > /dev/null
cmp -s "$tmp/a.csv" "$tmp/b.csv" || fail "two identical runs differ"

# --- the score cache: a rerun does no model work and gives the same file; a run that
# only changes calibration scores nothing but its content-free inputs ---------------
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 12 --score-cache "$tmp/cache" -o "$tmp/c1.csv" 2> "$tmp/c1.err"
grep -q '[1-9][0-9]* tokens decoded, 0 prompts from the score cache' "$tmp/c1.err" || fail "cold cache: $(cat "$tmp/c1.err")"
cmp -s "$tmp/a.csv" "$tmp/c1.csv" || fail "a run through the cache differs"
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 12 --score-cache "$tmp/cache" -o "$tmp/c2.csv" 2> "$tmp/c2.err"
grep -q ' 0 tokens decoded, 12 prompts from the score cache' "$tmp/c2.err" || fail "warm cache: $(cat "$tmp/c2.err")"
cmp -s "$tmp/a.csv" "$tmp/c2.csv" || fail "cached scores differ"
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 12 --score-cache "$tmp/cache" --calibrate contextual \
    -o "$tmp/c3.csv" 2> "$tmp/c3.err"
grep -q ' 12 prompts from the score cache' "$tmp/c3.err" || fail "calibration change: $(cat "$tmp/c3.err")"
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 12 --calibrate contextual -o "$tmp/c4.csv" 2> /dev/null
cmp -s "$tmp/c3.csv" "$tmp/c4.csv" || fail "contextual through the cache differs"
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 12 --score-cache "$tmp/cache" --agg max -o "$tmp/c5.csv" \
    2> "$tmp/c5.err"
grep -q ' 0 prompts from the score cache' "$tmp/c5.err" || fail "another scoring rule hit the cache"

# --- a run that finds part of its rows in the cache (as after a kill) gives the same
# bits as one that computes them all: rows are packed the same way either way ------
rec=68 # bytes per record with 2 labels: key 32, k 4, n_tokens 4, 2 doubles, check 8, "SRC2"
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 40 --score-cache "$tmp/pc" -o "$tmp/p1.csv" 2>/dev/null >/dev/null
f=$(ls "$tmp"/pc/*.scores)
[ "$(stat -c %s "$f")" -eq $((40 * rec)) ] || fail "cache size $(stat -c %s "$f")"
head -c $((23 * rec + 17)) "$f" > "$f.cut" && mv "$f.cut" "$f" # 23 rows and a torn record
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 40 --score-cache "$tmp/pc" -o "$tmp/p2.csv" 2> "$tmp/p2.err" >/dev/null
grep -q ' 23 prompts from the score cache' "$tmp/p2.err" || fail "partial cache: $(cat "$tmp/p2.err")"
cmp -s "$tmp/p1.csv" "$tmp/p2.csv" || fail "a run resumed from a partial cache differs"

# --- a row's bits depend on the rows packed with it (and its place among them), so the cache
# keys a row in its company: a duplicate row, or a prompt first scored in another file in
# another place, is computed, and a warm run gives the bytes of a cold one -------------
{ echo 'id,text,label'; echo 'a,Great phone.,positive'; echo 'b,Terrible food and a rude waiter.,negative'
  echo 'c,Great phone.,positive'; echo 'd,It was fine I guess.,positive'; } > "$tmp/dup.csv"
{ echo 'id,text,label'; echo 'd,It was fine I guess.,positive'; echo 'b,Terrible food and a rude waiter.,negative'
  echo 'a,Great phone.,positive'; } > "$tmp/other_order.csv"
$SENTI classify "${base[@]}" --id-col id -i "$tmp/dup.csv" -o "$tmp/dup0.csv" 2>/dev/null >/dev/null
$SENTI classify "${base[@]}" --id-col id -i "$tmp/other_order.csv" --score-cache "$tmp/dc" -o "$tmp/oo.csv" \
    2>/dev/null >/dev/null
for run in 1 2; do
    $SENTI classify "${base[@]}" --id-col id -i "$tmp/dup.csv" --score-cache "$tmp/dc" -o "$tmp/dup$run.csv" \
        2> "$tmp/dup$run.err" >/dev/null
    cmp -s "$tmp/dup0.csv" "$tmp/dup$run.csv" || fail "duplicates, run $run through the cache: $(diff "$tmp/dup0.csv" "$tmp/dup$run.csv")"
done
grep -q ' 0 prompts from the score cache' "$tmp/dup1.err" || fail "another file's company hit: $(cat "$tmp/dup1.err")"
grep -q ' 4 prompts from the score cache' "$tmp/dup2.err" || fail "own company missed: $(cat "$tmp/dup2.err")"

# --- few-shot from the same file, calibrated ------------------------------------------
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 6 --shots 2 --train datasets/demo.csv --seed 3 \
    --sampling balanced --calibrate contextual -o "$tmp/f.csv" > /dev/null
[ "$(tail -n +2 "$tmp/f.csv" | wc -l)" -eq 6 ] || fail "few-shot row count"
grep -q '"shared_rows_in_order"' "$tmp/f.csv.manifest.json" || fail "manifest lacks the demonstration rows"
grep -q '"content_free_inputs"' "$tmp/f.csv.manifest.json" || fail "manifest lacks calibration inputs"

# --- demonstrations as chat turns: the same prompts (text, cut and token ids) and the same bytes as the
# turns written out by hand in a demonstration template and separator (another path through the prompt
# builder), recorded in the manifest
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 6 --shots 2 --train datasets/demo.csv --seed 3 \
    --sampling balanced --calibrate contextual --demo-turns -o "$tmp/turns.csv" --prompts "$tmp/turns.jsonl" > /dev/null \
    2> "$tmp/turns.err"
python3 -c 'import json,sys; p = json.load(open(sys.argv[1]))["prompt"]; assert p["demo_turns"] is True, p' \
    "$tmp/turns.csv.manifest.json" || fail "manifest lacks demo_turns"
python3 -c 'import json,sys; p = json.load(open(sys.argv[1]))["prompt"]; assert p["demo_turns"] is False, p' \
    "$tmp/f.csv.manifest.json" || fail "manifest: demo_turns without the flag"
python3 - "$tmp/turns.json" <<'PY'
import json, sys
v = json.load(open("verbalizers/demo.json"))
v["demo_template"] = "Review: {text}\nSentiment:<|im_end|>\n<|im_start|>assistant\n{label}"
v["separator"] = "<|im_end|>\n<|im_start|>user\n"
json.dump(v, open(sys.argv[1], "w"))
PY
$SENTI classify -m "$MODEL" -v "$tmp/turns.json" --id-col id -q -i datasets/demo.csv --limit 6 --shots 2 \
    --train datasets/demo.csv --seed 3 --sampling balanced --calibrate contextual -o "$tmp/byhand.csv" \
    --prompts "$tmp/byhand.jsonl" > /dev/null
python3 - "$tmp/turns.jsonl" "$tmp/byhand.jsonl" <<'PY' || fail "--demo-turns prompts differ from the turns written by hand"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) >= 6, (len(a), len(b))
for x, y in zip(a, b):
    assert x == y, (x, y)
p = a[0]
assert (p["prefix"] + p["suffix"]).count("<|im_start|>assistant\n") == 3, p   # two demonstrations and the row
assert p["suffix"].startswith("<|im_end|>\n<|im_start|>user\n"), p["suffix"]   # the cut: after a label word
PY
cmp -s "$tmp/turns.csv" "$tmp/byhand.csv" || fail "--demo-turns differs from the same turns written by hand"
cmp -s "$tmp/turns.csv" "$tmp/f.csv" && fail "--demo-turns changed nothing"
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 2 --shots 2 --train datasets/demo.csv --chat off --demo-turns \
    -o "$tmp/plain.csv" > /dev/null 2> "$tmp/plain.err"
grep -q "note: --demo-turns has no effect: the prompts have no chat format" "$tmp/plain.err" \
    || fail "--demo-turns on plain prompts: no note ($(cat "$tmp/plain.err"))"
grep -q "no effect" "$tmp/turns.err" 2>/dev/null && fail "a note with a chat format"

# --- rows that cannot be scored are accounted for, not lost --------------------------
$SENTI classify "${base[@]}" -i datasets/demo.csv --limit 5 --ctx 16 --on-error skip -o "$tmp/s.csv" > /dev/null
[ "$(tail -n +2 "$tmp/s.csv" | wc -l)" -eq 5 ] || fail "skip: rows lost"
awk -F, 'NR > 1 && $NF == "ok" { exit 1 }' "$tmp/s.csv" || fail "skip: a 16-token context cannot hold these prompts"

# --- bad input: exit 2, a message naming the problem, no output file ----------------------
expect_error() { # code pattern args...
    local code=$1 pat=$2; shift 2
    set +e; "$SENTI" "$@" > /dev/null 2> "$tmp/err"; local rc=$?; set -e
    [ $rc -eq "$code" ] || fail "exit $rc, wanted $code for: $*  ($(cat "$tmp/err"))"
    grep -q -- "$pat" "$tmp/err" || fail "message lacks '$pat': $(cat "$tmp/err")"
}
expect_error 2 "nope.csv" classify "${base[@]}" -i "$tmp/nope.csv" -o "$tmp/x.csv"
expect_error 2 "no_such_col" classify "${base[@]}" -i datasets/demo.csv --text-col no_such_col -o "$tmp/x.csv"
printf 'id,text,label\nr1,fine,positive\nr2,meh,neutral\n' > "$tmp/lab.csv"
expect_error 2 "label 'neutral'.*data row 2" classify "${base[@]}" -i "$tmp/lab.csv" -o "$tmp/x.csv"
expect_error 2 "unterminated.csv:" classify -m "$MODEL" -v verbalizers/demo.json -q \
    -i tests/data/csv/unterminated.csv -o "$tmp/x.csv"
expect_error 2 "missing.json" classify -m "$MODEL" -v "$tmp/missing.json" -i datasets/demo.csv -o "$tmp/x.csv"
expect_error 2 "calibrate" classify "${base[@]}" -i datasets/demo.csv --calibrate sometimes
head -c 5000000 "$MODEL" > "$tmp/trunc.gguf"
expect_error 3 "trunc.gguf" classify -m "$tmp/trunc.gguf" -v verbalizers/demo.json -i datasets/demo.csv -o "$tmp/x.csv"
[ ! -e "$tmp/x.csv" ] && ! ls "$tmp" | grep -q '^x\.csv' || fail "output left behind after an error"
echo ok
