#!/usr/bin/env bash
# Bad input, table-driven: each case is a command, the exit code it must end
# with and a fragment its stderr must hold; no case may crash (exit >= 128),
# Every case runs; the failures are listed at the end.
set -euo pipefail
SENTI=${SENTI:-build/senti}
n_fail=0
fail() { echo "FAIL: $*" >&2; n_fail=$((n_fail + 1)); }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
V=verbalizers/demo.json
D=datasets/demo.csv

# expect NAME RC FRAGMENT -- COMMAND...   (sets ok=1 when the case passed)
expect() {
    local name=$1 want=$2 frag=$3; shift 4
    set +e
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    set -e
    ok=0
    if [ $rc -ge 128 ]; then fail "$name: crashed (exit $rc): $(tail -3 "$tmp/err")"
    elif [ $rc -ne "$want" ]; then fail "$name: exit $rc, want $want: $(tail -3 "$tmp/err")"
    elif [ -n "$frag" ] && ! grep -qF -- "$frag" "$tmp/err"; then fail "$name: stderr lacks '$frag': $(tail -3 "$tmp/err")"
    else ok=1; fi
}
# then CHECK...: a further check on the output of the last case, when it passed
then_check() { [ $ok -eq 0 ] || "$@" || fail "$name"; }

# ---- predictions files (eval, compare) ----
printf 'id,gold,pred\n1,a,a\n2,b,a\n3,a,b\n4,b,b\n' > "$tmp/A.csv"
# the same ids in another order, behind a UTF-8 byte order mark: rows must be matched by id
printf '\xef\xbb\xbfid,gold,pred\n4,b,b\n3,a,b\n2,b,a\n1,a,a\n' > "$tmp/B.csv"
expect compare-bom 0 "" -- "$SENTI" compare "$tmp/A.csv" "$tmp/B.csv"
name="compare-bom: rows not matched by id" then_check grep -q 'A right/B wrong 0, A wrong/B right 0' "$tmp/out"
printf '\xef\xbb\xbfgold,pred\na,a\nb,a\n' > "$tmp/bomgold.csv"
expect eval-bom-gold-first 0 "" -- "$SENTI" eval "$tmp/bomgold.csv"
printf 'gold,pred,gold\na,a,b\n' > "$tmp/dup.csv"
expect eval-duplicate-column 2 "header: column 'gold' appears twice (columns 1 and 3)" -- "$SENTI" eval "$tmp/dup.csv"
printf 'gold,pred\n\xff\xfe,a\n' > "$tmp/utf8.csv"
expect eval-invalid-utf8 2 "utf8.csv: row 1: column 1: value with invalid UTF-8 at byte 0" -- "$SENTI" eval "$tmp/utf8.csv"
printf 'gold,pred\na\0b,a\n' > "$tmp/nul.csv"
expect eval-nul-in-label 2 "nul.csv: row 1: column 1: value with a NUL byte" -- "$SENTI" eval "$tmp/nul.csv"
printf 'id,gold,p_a,p_b\n1,a,0.5,0.5\n2,c,0.5,0.5\n' > "$tmp/badgold.csv"
expect eval-unknown-gold 2 "row 2: gold label 'c' is not a label of the file" -- "$SENTI" eval "$tmp/badgold.csv"

python3 -c "print('gold,' + ','.join('p_l%d' % i for i in range(10000))); print('l0,1' + ',0' * 9999)" > "$tmp/wide.csv"
expect eval-10k-labels 2 "wide.csv: header: more than 1000 probability columns (labels)" -- "$SENTI" eval "$tmp/wide.csv"
python3 -c "print('gold,pred'); [print('a%d,a%d' % (i, i)) for i in range(1500)]" > "$tmp/many.csv"
expect eval-1500-distinct-labels 2 "many.csv: 1500 distinct gold/pred labels, more than the 1000" -- "$SENTI" eval "$tmp/many.csv"

# ---- verbalizers ----
{ printf '\xef\xbb\xbf'; cat "$V"; } > "$tmp/bom.json"
expect verbalizer-bom 0 "" -- "$SENTI" classify -q -v "$tmp/bom.json" -i "$D" --limit 2 -o "$tmp/bom.csv"
long=$(printf 'x%.0s' $(seq 600))
printf '{"labels": {"negative": ["bad"], "%s": ["good"]}}' "$long" > "$tmp/long.json"
printf 'text,label\ngreat fun,%s\nawful,negative\n' "$long" > "$tmp/long_data.csv"
expect long-label 0 "" -- "$SENTI" classify -q -v "$tmp/long.json" -i "$tmp/long_data.csv" -o "$tmp/long.csv"
name="long-label: header cut" then_check grep -q ",p_$long,.*,raw_p_$long," "$tmp/long.csv"

# ---- datasets ----
expect sample-huge 0 "" -- "$SENTI" classify -q -v "$V" -i "$D" --sample 2305843009213693953 --limit 3 -o "$tmp/s.csv"
name="sample-huge: want 3 rows" then_check test "$(cat "$tmp/s.csv" 2>/dev/null | wc -l)" -eq 4

printf 'text,label,text\ngood,positive,bad\n' > "$tmp/dupdata.csv"
expect dataset-duplicate-column 2 "dupdata.csv:1: text column 'text' appears twice (columns 1 and 3)" \
    -- "$SENTI" classify -q -v "$V" -i "$tmp/dupdata.csv" -o "$tmp/dupdata.out.csv"
name="dataset-duplicate-column: output left" then_check test ! -e "$tmp/dupdata.out.csv"

# ---- experiments ----
sed 's/"calibration": \["none", "contextual"\]}/"calibration": ["none", "platt"]}/' experiments/demo.json > "$tmp/platt.json"
grep -q platt "$tmp/platt.json" || fail "platt fixture not made"
expect experiment-platt 2 'must be a calibration method: none, contextual, pmi or batch' \
    -- "$SENTI" run "$tmp/platt.json" -o "$tmp/platt" --list

# ---- numbers: one strict parser, every value in range ----
printf 'gold,pred\na,a\nb,a\n' > "$tmp/P.csv"
expect eval-bootstrap-abc 2 "--bootstrap: 'abc' is not a whole number" -- "$SENTI" eval "$tmp/P.csv" --bootstrap abc
expect eval-bins-wrap 2 "--bins: 4294967311 is not in [1, 10000]" -- "$SENTI" eval "$tmp/P.csv" --bins 4294967311
expect eval-tol-nan 2 "--tol: 'nan' is not a finite number" -- "$SENTI" eval "$tmp/P.csv" --tol nan
expect eval-ci-hex 2 "--ci: '0x0.F' is not a finite number" -- "$SENTI" eval "$tmp/P.csv" --ci 0x0.F
expect compare-alpha-underflow 2 "--alpha: 1e-400 is beyond the range of a double" \
    -- "$SENTI" compare "$tmp/P.csv" "$tmp/P.csv" --alpha 1e-400
expect finetune-C-hex 2 "--C: '0x10' is not a finite number" \
    -- "$SENTI" finetune --method bow-logreg -v "$V" --train "$D" -o "$tmp/b.json" --C 0x10
expect eval-tol-negative 2 "--tol: -1 is not in [0, 0.1]" -- "$SENTI" eval "$tmp/P.csv" --tol -1
expect eval-tol-huge 2 "--tol: 1e9 is not in [0, 0.1]" -- "$SENTI" eval "$tmp/P.csv" --tol 1e9
expect eval-threads-100000 2 "--threads: 100000 is not in [1, " -- "$SENTI" eval "$tmp/P.csv" --threads 100000
expect compare-threads-100000 2 "--threads: 100000 is not in [1, " -- "$SENTI" compare "$tmp/P.csv" "$tmp/P.csv" --threads 100000
expect classify-ctx-wrap 2 "--ctx: 4294967312 is not in [16, 1048576]" \
    -- "$SENTI" classify -v "$V" -i "$D" --ctx 4294967312 -o "$tmp/x.csv"
expect classify-sample-1e12 2 "--sample: '1e12' is not a whole number" -- "$SENTI" classify -v "$V" -i "$D" --sample 1e12 -o "$tmp/x.csv"
expect classify-shots-1000 2 "--shots: 1000 is not in [0, 64]" -- "$SENTI" classify -v "$V" -i "$D" --shots 1000 -o "$tmp/x.csv"
expect run-threads-abc 2 "--threads: 'abc' is not a whole number" -- "$SENTI" run experiments/demo.json --list -t abc
expect run-threads-negative 2 "--threads: -5 is not in [1, " -- "$SENTI" run experiments/demo.json --list -t -5
expect finetune-epochs-huge 2 "--epochs: 1000000 is not in [1, 100000]" \
    -- "$SENTI" finetune --method lora -v "$V" --train "$D" -o "$tmp/a.gguf" --epochs 1000000

# ---- fine-tuning on too few rows ----
printf 'id,text,label\n1,Loved it.,positive\n2,Great stuff.,positive\n' > "$tmp/pos_only.csv"
for method in head lora bow-logreg; do # head crashed (GSL shuffle of 0 rows), lora trained without a word
    expect "finetune-$method-label-without-rows" 2 "label 'negative' has no rows in the training data" \
        -- "$SENTI" finetune -q -t 1 --method "$method" --epochs 1 -v "$V" --train "$tmp/pos_only.csv" -o "$tmp/no.$method"
    name="finetune-$method-label-without-rows: files left" then_check test -z "$(ls "$tmp" | grep "^no\.")"
done
printf 'id,text,label\n1,Loved it.,positive\n2,Hated it.,negative\n' > "$tmp/one_each.csv"
expect finetune-head-no-validation 0 "" \
    -- "$SENTI" finetune -q -t 1 --method head -v "$V" --train "$tmp/one_each.csv" -o "$tmp/h1.json"
name="finetune-head-no-validation: summary" then_check grep -q "lambda = 10 (no validation rows: the largest of the grid)" "$tmp/out"
expect finetune-lora-no-validation 0 "" \
    -- "$SENTI" finetune -q -t 1 --method lora --epochs 1 -v "$V" --train "$tmp/one_each.csv" -o "$tmp/l1.gguf"
name="finetune-lora-no-validation: no nan" then_check grep -q "no validation rows (the last epoch kept)" "$tmp/out"

# ---- input problems are exit 2, naming the limit ----
printf 'text,label\ngood,positive\nbad,negative\n' > "$tmp/two.csv"
expect shots-more-than-rows 2 "64 demonstrations needed from the training set, only 2 rows available" \
    -- "$SENTI" classify -v "$V" -i "$D" --limit 2 --shots 64 --train "$tmp/two.csv" -o "$tmp/x.csv"
python3 -c "import json; v = json.load(open('$V')); v['template'] = ' '.join(['word'] * 100000) + ' {text}'; json.dump(v, open('$tmp/bigt.json', 'w'))"
expect template-too-long 2 "even without text the prompt needs 100031 tokens + 1 for the label, context is 2048" \
    -- "$SENTI" classify -v "$tmp/bigt.json" -i "$D" --limit 2 -o "$tmp/x.csv"

# ---- an output never replaces an input (same file by device and inode) ----
cp "$D" "$tmp/in.csv"; cp "$V" "$tmp/v.json"; ln -s in.csv "$tmp/link.csv"
sum_in=$(sha256sum < "$tmp/in.csv")
expect classify-o-is-input 2 "the predictions file would replace the input" -- "$SENTI" classify -v "$V" -i "$tmp/in.csv" -o "$tmp/in.csv"
expect classify-o-is-input-link 2 "the predictions file would replace the input" -- "$SENTI" classify -v "$V" -i "$tmp/in.csv" -o "$tmp/link.csv"
expect classify-manifest-is-input 2 "the manifest would replace the input" \
    -- "$SENTI" classify -v "$V" -i "$tmp/in.csv" -o "$tmp/p.csv" --manifest "$tmp/in.csv"
expect classify-o-is-train 2 "the predictions file would replace the training file" \
    -- "$SENTI" classify -v "$V" -i "$D" --shots 2 --train "$tmp/in.csv" -o "$tmp/in.csv"
expect classify-o-is-verbalizer 2 "the predictions file would replace the verbalizer" -- "$SENTI" classify -v "$tmp/v.json" -i "$D" -o "$tmp/v.json"
expect classify-jsonl-is-o 2 "named as both the predictions file and the JSON lines file" \
    -- "$SENTI" classify -v "$V" -i "$D" -o "$tmp/same.out" --jsonl "$tmp/same.out"
cp tests/data/report/results.json "$tmp/results.json"
expect report-html-is-results 2 "the HTML report would replace the input" \
    -- "$SENTI" report "$tmp/results.json" --html "$tmp/results.json"
expect eval-o-is-input 2 "the output would replace the predictions file" -- "$SENTI" eval "$tmp/P.csv" -o "$tmp/P.csv"
expect finetune-o-is-train 2 "the adapter would replace the training file" \
    -- "$SENTI" finetune --method head -v "$V" --train "$tmp/in.csv" -o "$tmp/in.csv"
cp "$tmp/in.csv" "$tmp/ad.json.log.jsonl"
expect finetune-log-is-train 2 "the training log would replace the training file" \
    -- "$SENTI" finetune -q --method head -v "$V" --train "$tmp/ad.json.log.jsonl" -o "$tmp/ad.json"
name="finetune-log-is-train: training file intact" then_check cmp -s "$tmp/ad.json.log.jsonl" "$tmp/in.csv"
name="inputs intact" then_check test "$(sha256sum < "$tmp/in.csv")" = "$sum_in"
name="verbalizer intact" then_check cmp -s "$tmp/v.json" "$V"
name="no output files made" then_check test ! -e "$tmp/p.csv" -a ! -e "$tmp/same.out"

# ---- every write is checked: a full disk is an error, and no partial file is left ----
if [ -c /dev/full ]; then
    "$SENTI" run experiments/demo.json -o "$tmp/demo" --list > /dev/null
    expect eval-stdout-full 2 "error writing standard output" -- sh -c "'$SENTI' eval '$tmp/P.csv' > /dev/full"
    expect eval-o-full 2 "/dev/full: flush failed: No space left on device" -- "$SENTI" eval "$tmp/P.csv" -o /dev/full
    expect run-list-full 2 "error writing standard output" -- sh -c "'$SENTI' run experiments/demo.json --list > /dev/full"
    expect report-markdown-full 2 "/dev/full: flush failed" -- "$SENTI" report tests/data/report/results.json --markdown /dev/full
    expect report-html-full 2 "/dev/full: " -- "$SENTI" report tests/data/report/results.json --html /dev/full
    # classify writes every output or none: a failed JSON lines file or manifest takes the predictions
    # with it (with a language model, and with a bow-logreg adapter that loads none)
    expect classify-jsonl-full 2 "/dev/full: flush failed" -- "$SENTI" classify -q -v "$V" -i "$D" --limit 2 \
        -o "$tmp/full1.csv" --jsonl /dev/full
    name="classify-jsonl-full: predictions left" then_check test ! -e "$tmp/full1.csv"
    expect classify-manifest-missing-dir 2 "$tmp/no/dir/m.json: cannot create a temporary file" \
        -- "$SENTI" classify -q -v "$V" -i "$D" --limit 2 -o "$tmp/full2.csv" --jsonl "$tmp/full2.jsonl" \
        --manifest "$tmp/no/dir/m.json"
    name="classify-manifest-missing-dir: outputs left" then_check test ! -e "$tmp/full2.csv" -a ! -e "$tmp/full2.jsonl"
    "$SENTI" finetune -q --method bow-logreg -v "$V" --train "$D" -o "$tmp/bow.json" > /dev/null
    expect classify-bow-manifest-full 2 "/dev/full: flush failed" -- "$SENTI" classify -q --adapter "$tmp/bow.json" \
        -i "$D" -o "$tmp/full3.csv" --jsonl "$tmp/full3.jsonl" --manifest /dev/full
    name="classify-bow-manifest-full: outputs left" then_check test ! -e "$tmp/full3.csv" -a ! -e "$tmp/full3.jsonl"
    expect report-one-full 2 "/dev/full: flush failed" -- "$SENTI" report tests/data/report/results.json \
        --html "$tmp/full4.html" --markdown /dev/full
    name="report-one-full: HTML left" then_check test ! -e "$tmp/full4.html"
    name="no temporary file left" then_check test -z "$(find "$tmp" -name '*.tmp??????')"
    name="/dev/full is still the device" then_check test -c /dev/full
else
    fail "/dev/full is missing or not a character device"
fi

# ---- a resumed run removes what a killed writer left behind ----
mkdir -p "$tmp/res"
: > "$tmp/res/results.json.tmpAbC123"
"$SENTI" run experiments/demo.json -o "$tmp/res" --list >/dev/null
name="run --list does not sweep" then_check test -e "$tmp/res/results.json.tmpAbC123"

echo "bad input: $n_fail failed"
[ $n_fail -eq 0 ]
