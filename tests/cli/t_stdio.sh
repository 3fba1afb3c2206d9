#!/usr/bin/env bash
# "-" is standard input for every data input and standard output for every
# output: classify -i - / -o - / --jsonl -, eval -, compare -, report -; never
# a file named "-" or "-.manifest.json".
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
SENTI=$(realpath "$SENTI"); MODEL=$(realpath "$MODEL"); V=$(realpath verbalizers/demo.json)
head -7 datasets/demo.csv > "$T/x.csv"
cd "$T"
base=(-m "$MODEL" -v "$V" --id-col id -q)

# the reference: files in, files out
"$SENTI" classify "${base[@]}" -i x.csv -o ref.csv --jsonl ref.jsonl > ref.out 2> /dev/null
"$SENTI" eval --bootstrap 0 ref.csv > ref.eval

# a pipe: stdin -> classify -> stdout -> eval on stdin; same bytes, same metrics
cat x.csv | "$SENTI" classify "${base[@]}" -i - -o - 2> pipe.err | tee pipe.csv \
    | "$SENTI" eval --bootstrap 0 - > pipe.eval
cmp -s ref.csv pipe.csv || fail "classify -i - -o - differs from the file run"
diff <(grep -v '^file:' ref.eval) <(grep -v '^file:' pipe.eval) > /dev/null || fail "eval - differs"
grep -q '^file: -' pipe.eval || fail "eval names stdin: $(grep '^file' pipe.eval)"
grep -q 'note: predictions on standard output, so no manifest is written' pipe.err || fail "no manifest note"
grep -q '^accuracy = ' pipe.err || fail "accuracy line not on stderr with -o -"
[ ! -e ./- ] && [ ! -e ./-.manifest.json ] || fail "a file named - was written"

# --jsonl - with an explicit manifest path; the manifest records the input as -
"$SENTI" classify "${base[@]}" -i - --jsonl - --manifest m.json < x.csv > pipe.jsonl 2> /dev/null
cmp -s ref.jsonl pipe.jsonl || fail "--jsonl - differs"
python3 -c 'import json,sys; d=json.load(open("m.json"))["data"]; assert d["path"] == "-" and d["sha256"] is None, d' || fail "manifest path"

# two outputs on stdout are refused before any work; an output never replaces an input
set +e
"$SENTI" classify "${base[@]}" -i x.csv -o - --jsonl - > /dev/null 2> two.err; rc=$?
[ $rc -eq 2 ] && grep -q 'would both go to standard output' two.err || fail "two stdout outputs: $rc $(cat two.err)"
"$SENTI" classify "${base[@]}" -i x.csv -o x.csv > /dev/null 2> same.err; rc=$?
[ $rc -eq 2 ] && grep -q 'refusing to overwrite an input' same.err || fail "output == input: $rc $(cat same.err)"
# a bad row read from stdin is named <stdin> with its line
printf 'id,text,label\na,"unterminated,positive\n' | "$SENTI" classify "${base[@]}" -i - -o out.csv 2> bad.err; rc=$?
[ $rc -eq 2 ] && grep -q '^senti classify: <stdin>:2: ' bad.err || fail "stdin error: $rc $(cat bad.err)"
[ ! -e out.csv ] || fail "partial output after an error"
printf 'id,gold,pred\n' | "$SENTI" eval - > /dev/null 2> e.err; rc=$?
[ $rc -eq 2 ] && grep -q '<stdin>' e.err || fail "eval empty stdin: $rc $(cat e.err)"
"$SENTI" finetune -v "$V" --train x.csv --method head -o - > /dev/null 2> ft.err; rc=$?
[ $rc -eq 2 ] && grep -q 'must be a file' ft.err || fail "finetune -o -: $rc $(cat ft.err)"
set -e

# compare and report read a predictions file on stdin, eval -o - writes to stdout
"$SENTI" compare --bootstrap 0 - ref.csv < pipe.csv | grep -q 'rows: 6 matched by id' || fail "compare -"
"$SENTI" eval --bootstrap 0 --format json -o - ref.csv 2> /dev/null | python3 -c 'import json,sys; json.load(sys.stdin)' \
    || fail "eval -o - is not JSON on stdout"
"$SENTI" report - --bootstrap 0 --markdown - < ref.csv | grep -q 'accuracy' || fail "report - --markdown -"
[ ! -e ./- ] || fail "a file named - was written"
echo "t_stdio: ok"
