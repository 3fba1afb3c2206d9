#!/usr/bin/env bash
# One table of common flags with one meaning each (docs/cli.md, cli.h):
# every subcommand answers --help with exit 0 (bench-prefill included); a
# common flag has the same short letter in every parser that takes it, and
# no parser gives that letter another meaning; -t has the same default (2)
# everywhere, eval/compare/report take it; -q is taken by every command with
# progress; docs/cli.md's table lists exactly the subcommands that take each flag; the old spellings whose meaning changed still work, with a warning
# (eval/compare/report --seed -> --bootstrap-seed, eval --calibrate ->
# --posthoc, logits -k -> --top, classify --aggregate -> --word-agg, finetune
# --alpha -> --lora-alpha).
set -eu
SENTI=${SENTI:-build/senti}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SENTI" --dump-options >"$tmp/opts"
cmds=$(awk -F'\t' '$1 == "command" { print $2 }' "$tmp/opts")
[ "$(echo "$cmds" | wc -l)" -ge 11 ] || fail "--dump-options lists too few commands"
# every command of senti --help is in the dump, and answers --help
for c in $("$SENTI" --help | awk '/^  [a-z]/ { print $1 }'); do
    echo "$cmds" | grep -qx "$c" || fail "$c is not in --dump-options"
done
for c in $cmds; do
    "$SENTI" "$c" --help >"$tmp/help" 2>"$tmp/err" || fail "senti $c --help exits non-zero"
    [ -s "$tmp/help" ] && [ ! -s "$tmp/err" ] || fail "senti $c --help: empty or noisy"
    "$SENTI" "$c" -h >/dev/null || fail "senti $c -h"
done

# common short letters: one long meaning everywhere
awk -F'\t' '$1 == "common" && $2 != "-" { print $2, $3 }' "$tmp/opts" >"$tmp/common"
[ "$(wc -l <"$tmp/common")" -ge 8 ]
while read -r short long; do
    awk -F'\t' -v s="$short" -v l="$long" '$1 == "option" && $3 == s && $4 != l && $4 != "-" {
        print "senti " $2 ": " s " is " $4 ", not " l; bad = 1 } END { exit bad }' "$tmp/opts" ||
        fail "common letter $short"
    awk -F'\t' -v s="$short" -v l="$long" '$1 == "option" && $4 == l && $3 != s {
        print "senti " $2 ": " l " without " s; bad = 1 } END { exit bad }' "$tmp/opts" ||
        fail "common option $long"
done <"$tmp/common"
for c in eval compare report; do
    grep -qP "^option\t$c\t-t\t--threads\t" "$tmp/opts" || fail "$c has no -t"
done
# docs/cli.md's table names, for each common flag, exactly the subcommands whose parser takes it
# (the old spellings aside: eval/compare/report --seed, eval --calibrate)
awk -F'|' '/^## Common options/ { on = 1; next } /^#/ { on = 0 } on && /^\| `-/ { print $2 "|" $4 }' docs/cli.md \
    >"$tmp/table"
[ "$(wc -l <"$tmp/table")" -ge 10 ] || fail "docs/cli.md: the common options table is missing"
while IFS='|' read -r flags doc_cmds; do
    case $doc_cmds in *every*) continue ;; esac
    want=$(echo "$doc_cmds" | tr ',' '\n' | tr -d ' ' | grep . | sort | tr '\n' ' ')
    for long in $(echo "$flags" | grep -o -- '--[a-z-]*'); do
        case $long in --seed) old='eval|compare|report' ;; --calibrate) old='eval' ;; *) old='-' ;; esac
        have=$(awk -F'\t' -v l="$long" '$1 == "option" && $4 == l { print $2 }' "$tmp/opts" | grep -vxE "$old" |
            sort -u | tr '\n' ' ')
        [ "$have" = "$want" ] || fail "docs/cli.md: $long is taken by [$have], the table says [$want]"
    done
done <"$tmp/table"
for c in classify finetune run merge select; do
    grep -qP "^option\t$c\t-q\t--quiet\t" "$tmp/opts" || fail "$c has no -q"
done
# the same thread default in every help that shows one
for c in classify finetune logits eval compare report bench-prefill; do
    "$SENTI" "$c" --help | grep -E -- '-t, --threads' | grep -q '2)' || fail "$c: -t default is not 2"
done

# eval/compare/report: -t and --bootstrap-seed, old --seed warns and still works
pred=$tmp/p.csv
printf 'id,gold,pred,p_negative,p_positive\n1,negative,negative,0.7,0.3\n2,positive,negative,0.6,0.4\n3,positive,positive,0.2,0.8\n4,negative,negative,0.9,0.1\n' >"$pred"
"$SENTI" eval -t 1 --bootstrap 20 --bootstrap-seed 7 --format json "$pred" >"$tmp/a.json" 2>"$tmp/err"
! grep -q deprecated "$tmp/err" || { cat "$tmp/err"; fail "eval --bootstrap-seed warned"; }
"$SENTI" eval -t 1 --bootstrap 20 --seed 7 --format json "$pred" >"$tmp/b.json" 2>"$tmp/err"
grep -q 'warning: --seed is deprecated, use --bootstrap-seed' "$tmp/err" || fail "eval --seed: no warning"
cmp "$tmp/a.json" "$tmp/b.json" || fail "eval --seed and --bootstrap-seed differ"
"$SENTI" compare -t 1 --bootstrap 20 --seed 7 "$pred" "$pred" >/dev/null 2>"$tmp/err"
grep -q 'warning: --seed is deprecated' "$tmp/err" || fail "compare --seed: no warning"
"$SENTI" report -t 1 --bootstrap 0 --seed 7 "$pred" >/dev/null 2>"$tmp/err"
grep -q 'warning: --seed is deprecated' "$tmp/err" || fail "report --seed: no warning"
# eval --calibrate: --posthoc
"$SENTI" eval --bootstrap 0 --calibrate platt --calib-file "$pred" "$pred" >"$tmp/c.txt" 2>"$tmp/err" || true
grep -q 'warning: --calibrate is deprecated, use --posthoc' "$tmp/err" || { cat "$tmp/err"; fail "eval --calibrate"; }
# the other renamed spellings warn (checked at parse time, before --help)
"$SENTI" logits -k 3 --help 2>&1 >/dev/null | grep -q 'warning: -k is deprecated, use --top' || fail "logits -k"
"$SENTI" classify --aggregate mean --help 2>&1 >/dev/null | grep -q 'warning: --aggregate is deprecated, use --word-agg' ||
    fail "classify --aggregate"
"$SENTI" classify --word-agg mean --help 2>&1 >/dev/null | grep -q . && fail "classify --word-agg warned"
"$SENTI" finetune --alpha 8 --help 2>&1 >/dev/null | grep -q 'warning: --alpha is deprecated, use --lora-alpha' ||
    fail "finetune --alpha"
# bad values of the shared flags are usage errors (exit 2) naming the flag
rc=0; "$SENTI" eval -t 0 "$pred" >/dev/null 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q -- '--threads' "$tmp/err" || fail "eval -t 0: exit $rc"
rc=0; "$SENTI" bench-prefill -t x -f "$pred" >/dev/null 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q -- '--threads' "$tmp/err" || fail "bench-prefill -t x: exit $rc"
rc=0; "$SENTI" bench-prefill >/dev/null 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -q 'usage: senti bench-prefill' "$tmp/err" || fail "bench-prefill without -f: exit $rc"
echo ok
