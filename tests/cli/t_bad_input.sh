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

echo "bad input: $n_fail failed"
[ $n_fail -eq 0 ]
