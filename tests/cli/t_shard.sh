#!/usr/bin/env bash
# senti run --shard I/N + senti merge (docs/scale.md): an experiment of 70 demo
# rows in three score groups run as one process and as 2 shards (run side by
# side, as a job array would) then merged gives byte-identical predictions,
# results.json (apart from its "timing" section) and reports; the merge does
# no row scoring of its own (every row prompt comes from the shards' caches).
# Bad setups fail with exit 2 and a message: an index out of 0..N-1, another
# N or another experiment in the same directory, a merge with a shard missing.
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
exp=tests/data/scale/small.json
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# a failing step names its line and shows the runs' logs
trap 'echo "t_shard.sh:$LINENO: exit $?: $BASH_COMMAND"; tail -n 5 "$tmp"/*.log 2>/dev/null' ERR

expect_fail() { # expect_fail CODE PATTERN cmd...: the exit code and a message
    local code=$1 pat=$2 rc=0; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    [ "$rc" -eq "$code" ] || { echo "exit $rc (want $code): $*"; cat "$tmp/err"; exit 1; }
    grep -q -- "$pat" "$tmp/err" || { echo "no '$pat' in the message of: $*"; cat "$tmp/err"; exit 1; }
}
expect_fail 2 'index must be in 0..1 (shards are numbered from 0)' "$SENTI" run "$exp" -o "$tmp/x" --shard 3/2
expect_fail 2 'index must be in 0..1' "$SENTI" run "$exp" -o "$tmp/x" --shard 2/2
expect_fail 2 'shard N' "$SENTI" run "$exp" -o "$tmp/x" --shard 0/0
expect_fail 2 'expected I/N' "$SENTI" run "$exp" -o "$tmp/x" --shard 1
expect_fail 2 'shard I' "$SENTI" run "$exp" -o "$tmp/x" --shard -1/2
[ ! -e "$tmp/x" ] || { echo "a refused run created its output directory"; exit 1; }

"$SENTI" run "$exp" -o "$tmp/one" -t 2 2>"$tmp/one.log" >/dev/null

"$SENTI" run "$exp" -o "$tmp/sh" -t 1 --shard 0/2 2>"$tmp/s0.log" >/dev/null &
p0=$!
"$SENTI" run "$exp" -o "$tmp/sh" -t 1 --shard 1/2 2>"$tmp/s1.log" >/dev/null &
p1=$!
wait $p0; wait $p1
# 2 shards of 64 + 6, 64 + 6, 64 + 6 rows: the fs.s3 cell is cut between them at row 64
grep -q 'fs.k1.s3.none rows 0..64 done' "$tmp/s0.log" && grep -q 'fs.k1.s3.none rows 64..70 done' "$tmp/s1.log" ||
    { echo "the shards did not split as planned"; cat "$tmp"/s?.log; exit 1; }

# another N or another experiment in the same directory; the merge of an unfinished set
expect_fail 2 'holds 2 shards of experiment .scale-small.' "$SENTI" run "$exp" -o "$tmp/sh" --shard 0/3
expect_fail 2 "holds 2 shards of experiment 'scale-small'.*this is 'tiny-run'" \
    "$SENTI" run tests/data/report/tiny_run.json -o "$tmp/sh" --shard 0/2
mv "$tmp/sh/shards/1-of-2/shard.json" "$tmp/s1.json"
expect_fail 2 '1 of 2 shards not finished.*: 1/2' "$SENTI" merge "$tmp/sh"
[ ! -e "$tmp/sh/results.json" ] || { echo "a refused merge wrote results.json"; exit 1; }
mv "$tmp/s1.json" "$tmp/sh/shards/1-of-2/shard.json"
expect_fail 2 'usage' "$SENTI" merge
"$SENTI" merge "$tmp/sh" -t 2 >"$tmp/merge.out" 2>"$tmp/merge.log"
grep -q '^merge: 4 cells (4 run, 0 resumed)' "$tmp/merge.out"

n=0
for f in "$tmp"/one/cells/*/predictions.csv; do cmp "$f" "$tmp/sh/${f#"$tmp"/one/}"; n=$((n + 1)); done
[ $n -eq 4 ]
python3 - "$tmp/one/results.json" "$tmp/sh/results.json" "$tmp/sh/cells" <<'PY'
import glob, json, sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
cut = lambda s: s[: s.index(b'\n "timing"')]
assert cut(a) == cut(b), "results.json differs outside timing"
for m in glob.glob(sys.argv[3] + "/*/manifest.json"):  # every row prompt came from the shards
    c = json.load(open(m))["counts"]
    assert c["prompts_from_cache"] >= 70, (m, c)
PY
for d in one sh; do "$SENTI" report "$tmp/$d" --markdown "$tmp/$d.md" --csv "$tmp/$d.csv" --html "$tmp/$d.html" >/dev/null; done
cmp "$tmp/one.md" "$tmp/sh.md" && cmp "$tmp/one.csv" "$tmp/sh.csv"
cmp <(sed "s|$tmp/one/|DIR/|" "$tmp/one.html") <(sed "s|$tmp/sh/|DIR/|" "$tmp/sh.html")
echo ok
