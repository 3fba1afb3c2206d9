#!/usr/bin/env bash
# senti run --keep-going (make -k): a failing cell (here a dataset with an
# unterminated quote, and a truncated model) does not stop the others; the
# failures are reported as they happen (even with -q), results.json lists the
# failed cells as pending, the exit code is the first failure's (2 input,
# 3 model), and --resume after the fix runs only the failed cells. Without
# --keep-going the run stops at the first failure and writes no results.json.
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export KG_DIR=$tmp
fail() { echo "FAIL: $*" >&2; exit 1; }
pending() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(d.get("pending", [])), "|", " ".join(c["name"] for c in d["cells"]))' "$1"; }

printf 'id,text,label\n1,"fine film",positive\n2,"broken quote,negative\n3,ok,negative\n' > "$tmp/bad.csv"
head -c 100000 "$SENTI_MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf" > "$tmp/trunc.gguf"
exp() { # $1: file, $2: models JSON, $3: datasets JSON
    cat > "$1" <<JSON
{"name": "kg", "models": $2, "datasets": $3,
 "verbalizers": [{"name": "demo", "path": "verbalizers/demo.json"}],
 "strategies": [{"name": "zs", "kind": "zero-shot", "calibration": ["none", "contextual"]}],
 "eval": {"bootstrap": 50}}
JSON
}
smol='{"name": "smollm2", "path": "${SENTI_MODEL_DIR}/SmolLM2-135M-Instruct.Q4_1.gguf"}'
bad='{"name": "bad", "path": "${KG_DIR}/bad.csv", "id": "id"}'
demo='{"name": "demo", "path": "datasets/demo.csv", "id": "id", "limit": 4}'
exp "$tmp/x.json" "[$smol]" "[$bad, $demo]"

# without --keep-going: stops at the first cell, nothing else runs
rc=0; "$SENTI" run "$tmp/x.json" -o "$tmp/a" -q 2>"$tmp/a.err" || rc=$?
[ $rc -eq 2 ] || fail "stop at the first failure: exit $rc"
grep -q 'bad.csv:3: unterminated quoted field' "$tmp/a.err" || fail "no located error: $(cat "$tmp/a.err")"
[ ! -e "$tmp/a/results.json" ] || fail "a stopped run wrote results.json"
[ -z "$(ls "$tmp"/a/cells/*demo.demo*/cell.json 2>/dev/null)" ] || fail "a cell ran after the failure"

# with it: the demo cells run, the bad ones are pending, exit 2
rc=0; "$SENTI" run "$tmp/x.json" -o "$tmp/b" -q --keep-going >"$tmp/b.out" 2>"$tmp/b.err" || rc=$?
[ $rc -eq 2 ] || fail "--keep-going: exit $rc"
[ "$(grep -c '^\[[12]/4\] FAILED: cell smollm2.bad.demo.zs.k0.[a-z]*: .*bad.csv:3: unterminated quoted field' "$tmp/b.err")" -eq 2 ] \
    || fail "failures not reported under -q: $(cat "$tmp/b.err")"
grep -q '2 of 4 cells failed (results.json lists them as pending); the first: cell smollm2.bad.demo.zs.k0.none' "$tmp/b.err" \
    || fail "summary message: $(cat "$tmp/b.err")"
grep -q '^run: 4 cells (2 run, 0 resumed, 2 failed)' "$tmp/b.out" || fail "summary line: $(cat "$tmp/b.out")"
[ "$(pending "$tmp/b/results.json")" = \
  "smollm2.bad.demo.zs.k0.none smollm2.bad.demo.zs.k0.contextual | smollm2.demo.demo.zs.k0.none smollm2.demo.demo.zs.k0.contextual" ] \
    || fail "results.json: $(pending "$tmp/b/results.json")"
"$SENTI" report "$tmp/b" --markdown "$tmp/b.md" 2>/dev/null || fail "report of a partial run"
grep -qi 'pending' "$tmp/b.md" || fail "the report does not say that cells are pending"

# fixed input: --resume runs only the failed cells, and the run is complete
printf 'id,text,label\n1,"fine film",positive\n2,"broken quote",negative\n3,ok,negative\n' > "$tmp/bad.csv"
"$SENTI" run "$tmp/x.json" -o "$tmp/b" --keep-going --resume >"$tmp/c.out" 2>"$tmp/c.err" || fail "resume after the fix: $(cat "$tmp/c.err")"
[ "$(grep -c 'already done (resume)' "$tmp/c.err")" -eq 2 ] || fail "resume reran finished cells: $(cat "$tmp/c.err")"
grep -q '^run: 4 cells (2 run, 2 resumed)' "$tmp/c.out" || fail "resume summary: $(cat "$tmp/c.out")"
[ "$(pending "$tmp/b/results.json")" = \
  " | smollm2.bad.demo.zs.k0.none smollm2.bad.demo.zs.k0.contextual smollm2.demo.demo.zs.k0.none smollm2.demo.demo.zs.k0.contextual" ] \
    || fail "results.json after the resume: $(pending "$tmp/b/results.json")"

# a model error first: exit 3; every cell failing: no results.json
exp "$tmp/y.json" "[{\"name\": \"broken\", \"path\": \"$tmp/trunc.gguf\"}, $smol]" "[$demo]"
rc=0; "$SENTI" run "$tmp/y.json" -o "$tmp/d" -q --keep-going >/dev/null 2>"$tmp/d.err" || rc=$?
[ $rc -eq 3 ] || fail "a model failure first: exit $rc ($(cat "$tmp/d.err"))"
[ "$(pending "$tmp/d/results.json")" = \
  "broken.demo.demo.zs.k0.none broken.demo.demo.zs.k0.contextual | smollm2.demo.demo.zs.k0.none smollm2.demo.demo.zs.k0.contextual" ] \
    || fail "results.json with a broken model: $(pending "$tmp/d/results.json")"
exp "$tmp/z.json" "[{\"name\": \"broken\", \"path\": \"$tmp/trunc.gguf\"}]" "[$demo]"
rc=0; "$SENTI" run "$tmp/z.json" -o "$tmp/e" -q --keep-going 2>"$tmp/e.err" || rc=$?
[ $rc -eq 3 ] || fail "all failing: exit $rc"
grep -q 'no cell finished (2 failed); the first failure: ' "$tmp/e.err" || fail "all failing: $(cat "$tmp/e.err")"
[ ! -e "$tmp/e/results.json" ] || fail "results.json written with no finished cell"

# a cell that fails now is pending even where an older result of it (same hash, same
# inputs: here its model file, which the inputs do not cover, broke since) is on disk
ln -s "$(cd "$SENTI_MODEL_DIR" && pwd)/SmolLM2-135M-Instruct.Q4_1.gguf" "$tmp/m.gguf"
exp "$tmp/w.json" "[{\"name\": \"m\", \"path\": \"$tmp/m.gguf\"}, $smol]" "[$demo]"
"$SENTI" run "$tmp/w.json" -o "$tmp/g" -q >/dev/null 2>&1 || fail "the run before the model broke"
ln -sfn "$tmp/trunc.gguf" "$tmp/m.gguf"
rc=0; "$SENTI" run "$tmp/w.json" -o "$tmp/g" -q --keep-going >/dev/null 2>"$tmp/g.err" || rc=$?
[ $rc -eq 3 ] || fail "the broken model: exit $rc ($(cat "$tmp/g.err"))"
[ "$(pending "$tmp/g/results.json")" = \
  "m.demo.demo.zs.k0.none m.demo.demo.zs.k0.contextual | smollm2.demo.demo.zs.k0.none smollm2.demo.demo.zs.k0.contextual" ] \
    || fail "an older result counted for a failed cell: $(pending "$tmp/g/results.json")"

# not with --collect or --shard
rc=0; "$SENTI" run "$tmp/x.json" -o "$tmp/b" --keep-going --collect 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "-k --collect: exit $rc"
rc=0; "$SENTI" run "$tmp/x.json" -o "$tmp/f" --keep-going --shard 0/2 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "-k --shard: exit $rc"
echo ok
