#!/usr/bin/env bash
# mpirun -n N senti run (docs/scale.md): the 70-row experiment of t_shard.sh on
# 2 and 3 ranks, in 64-row work units, gives predictions byte-identical to one
# process and the same results.json apart from "timing"; a job whose rank 1 is
# killed (SIGKILL) mid-run, run again with --resume, loses no scored row (the
# rows in the rank caches at the kill all come back from the cache) and gives
# the same bytes; ranks that do not see the same output directory (here: a
# relative -o in two working directories) stop with exit 2 naming the rank.
# mpirun -n N senti classify: 100 demo rows, few-shot with batch calibration
# and pass-through text, on 2 and 3 ranks in 64-row units, writes predictions
# CSV, JSON lines, prompts and manifest byte-identical to one process, once,
# and removes its work directory; a job whose rank 1 is killed, run again,
# takes the rows scored before the kill from FILE.mpi/; standard input or
# output and adapters are refused with exit 2 and one message.
# Needs Open MPI (make deps installs it; make builds senti with it).
set -eu
SENTI=$(realpath "${SENTI:-build/senti}")
export SENTI_MODEL_DIR=$(realpath "${MODEL_DIR:-models}")
exp=$(realpath tests/data/scale/small.json)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
command -v mpirun >/dev/null || { echo "mpirun not found: make deps installs openmpi-bin"; exit 1; }
ldd "$SENTI" | grep -q libmpi || { echo "$SENTI was built without MPI (mpicc missing at build time?)"; exit 1; }
# Under make asan: Open MPI keeps its own state past MPI_Finalize and its
# plugins' frames cannot be symbolized, so LeakSanitizer is off inside the
# ranks (ASan still stops on every memory error; senti's own allocations are
# leak-checked by the single-process tests, t_shard.sh among them).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpi() { mpirun --oversubscribe --allow-run-as-root "$@"; }

same_as_one() { # same_as_one DIR: predictions and results.json (timing aside) as the one-process run
    local n=0 f
    for f in "$tmp"/one/cells/*/predictions.csv; do cmp "$f" "$1/${f#"$tmp"/one/}"; n=$((n + 1)); done
    [ $n -eq 4 ]
    python3 - "$tmp/one/results.json" "$1/results.json" <<'PY'
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:])
cut = lambda s: s[: s.index(b'\n "timing"')]
assert cut(a) == cut(b), "results.json differs outside timing"
PY
}

"$SENTI" run "$exp" -o "$tmp/one" -t 2 2>/dev/null >/dev/null

mpi -n 2 "$SENTI" run "$exp" -o "$tmp/n2" -t 1 --unit-rows 64 >"$tmp/n2.out" 2>"$tmp/n2.log"
grep -q '^mpi: 6 units of rows on 1 ranks: 210 rows' "$tmp/n2.out" || { cat "$tmp/n2.out" "$tmp/n2.log"; exit 1; }
same_as_one "$tmp/n2"

# 3 ranks, rank 1 killed as soon as a rank has put scored rows in its cache
mpi -n 3 "$SENTI" run "$exp" -o "$tmp/n3" -t 1 --unit-rows 64 >"$tmp/n3.out" 2>"$tmp/n3.log" &
job=$!
records() { cat "$tmp"/n3/ranks/*/cache/*.scores 2>/dev/null | wc -c; }
for _ in $(seq 1 1200); do  # up to 120 s
    [ "$(records)" -gt 0 ] && [ -e "$tmp/n3/ranks/1/rank.json" ] && break
    sleep 0.1
done
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/n3/ranks/1/rank.json")
kill -9 "$pid"
rc=0; wait $job || rc=$?
for f in "$tmp"/n3/ranks/*/rank.json; do  # no rank outlives the job
    p=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$f")
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$p" 2>/dev/null || { kill -9 "$p"; echo "rank process $p survived the job"; exit 1; }
done
[ $rc -ne 0 ] && [ ! -e "$tmp/n3/results.json" ] || { echo "the killed job got to the end; the test proves nothing"; exit 1; }
# a record: key 32 + k 4 + n_tokens 4 + 2 labels x 8 + check 8 + "SRC2" 4 = 68 bytes
kept=$(( $(records) / 68 ))
[ "$kept" -gt 0 ]
mpi -n 3 "$SENTI" run "$exp" -o "$tmp/n3" -t 1 --unit-rows 64 --resume >"$tmp/n3b.out" 2>"$tmp/n3b.log"
cached=$(sed -n 's/^mpi: .* \([0-9]*\) prompts from the caches$/\1/p' "$tmp/n3b.out")
[ -n "$cached" ] && [ "$cached" -ge "$kept" ] ||
    { echo "resumed job: $cached prompts from the caches, $kept rows were scored before the kill"; cat "$tmp/n3b.out"; exit 1; }
same_as_one "$tmp/n3"

# an output directory the ranks do not share: each rank its own working directory
mkdir -p "$tmp/a" "$tmp/b"
rc=0
mpirun --oversubscribe --allow-run-as-root -n 1 --wdir "$tmp/a" "$SENTI" run "$exp" -o out -t 1 : \
    -n 1 --wdir "$tmp/b" "$SENTI" run "$exp" -o out -t 1 >/dev/null 2>"$tmp/share.log" || rc=$?
[ $rc -eq 2 ] || { echo "unshared directory: exit $rc"; cat "$tmp/share.log"; exit 1; }
grep -q 'not shared and writable by every rank' "$tmp/share.log" && grep -q 'rank 1 on .* cannot read out/.senti-mpi-token' "$tmp/share.log" ||
    { cat "$tmp/share.log"; exit 1; }
[ ! -e "$tmp/a/out/results.json" ] && [ ! -e "$tmp/a/out/.senti-mpi-token" ]

# ---- senti classify ----
cls=(classify -i datasets/demo.csv -v verbalizers/demo.json -k 1 --train datasets/demo.csv --calibrate batch
     --keep-text -t 1 -q)
"$SENTI" "${cls[@]}" -o "$tmp/c1.csv" --jsonl "$tmp/c1.jsonl" --prompts "$tmp/c1.prompts" >"$tmp/c1.out" 2>/dev/null
same_classify() { # same_classify NAME: every output of NAME as the one-process run's, and no work directory left
    cmp "$tmp/c1.csv" "$tmp/$1.csv" && cmp "$tmp/c1.jsonl" "$tmp/$1.jsonl" && cmp "$tmp/c1.prompts" "$tmp/$1.prompts"
    cmp "$tmp/c1.csv.manifest.json" "$tmp/$1.csv.manifest.json"
    cmp "$tmp/c1.out" "$tmp/$1.out"  # the accuracy line, once
    [ ! -e "$tmp/$1.csv.mpi" ] || { echo "$tmp/$1.csv.mpi left behind"; exit 1; }
}
for n in 2 3; do
    mpi -n $n "$SENTI" "${cls[@]}" --unit-rows 64 -o "$tmp/cn$n.csv" --jsonl "$tmp/cn$n.jsonl" \
        --prompts "$tmp/cn$n.prompts" >"$tmp/cn$n.out" 2>"$tmp/cn$n.log" || { cat "$tmp/cn$n.log"; exit 1; }
    grep -q "^mpi: 2 units of rows on $((n - 1)) ranks: 100 rows" "$tmp/cn$n.log" || { cat "$tmp/cn$n.log"; exit 1; }
    same_classify cn$n
done

# killed and run again: the rows in FILE.mpi/ at the kill come from the cache
mpi -n 3 "$SENTI" "${cls[@]}" --unit-rows 64 -o "$tmp/ck.csv" --jsonl "$tmp/ck.jsonl" --prompts "$tmp/ck.prompts" \
    >"$tmp/ck.out" 2>"$tmp/ck.log" &
job=$!
crecords() { cat "$tmp"/ck.csv.mpi/ranks/*/cache/*.scores 2>/dev/null | wc -c; }
for _ in $(seq 1 1200); do
    [ "$(crecords)" -gt 0 ] && [ -e "$tmp/ck.csv.mpi/ranks/1/rank.json" ] && break
    sleep 0.1
done
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/ck.csv.mpi/ranks/1/rank.json")
kill -9 "$pid"
rc=0; wait $job || rc=$?
[ $rc -ne 0 ] && [ ! -e "$tmp/ck.csv" ] || { echo "the killed classify job got to the end"; exit 1; }
kept=$(( $(crecords) / 68 ))
[ "$kept" -gt 0 ]
mpi -n 3 "$SENTI" "${cls[@]}" --unit-rows 64 -o "$tmp/ck.csv" --jsonl "$tmp/ck.jsonl" --prompts "$tmp/ck.prompts" \
    >"$tmp/ck.out" 2>"$tmp/ck.log"
cached=$(sed -n 's/^mpi: .* \([0-9]*\) prompts from the caches$/\1/p' "$tmp/ck.log")
[ -n "$cached" ] && [ "$cached" -ge "$kept" ] ||
    { echo "classify rerun: $cached prompts from the caches, $kept rows were scored before the kill"; cat "$tmp/ck.log"; exit 1; }
same_classify ck

# what cannot be split over ranks: exit 2, one message (from rank 0)
refused() { # refused PATTERN ARGS...
    local pat=$1 rc=0; shift
    mpi -n 2 "$SENTI" classify -i datasets/demo.csv -v verbalizers/demo.json "$@" </dev/null >/dev/null \
        2>"$tmp/ref.log" || rc=$?
    [ $rc -eq 2 ] && [ "$(grep -c "$pat" "$tmp/ref.log")" -eq 1 ] || { echo "refused $*: exit $rc"; cat "$tmp/ref.log"; exit 1; }
}
refused 'under mpirun with several ranks: -i -: standard input' -i - -o "$tmp/x.csv"
refused 'under mpirun with several ranks: -: outputs go to files' -o -
refused 'under mpirun with several ranks: -o: needed under mpirun' --limit 5
refused 'under mpirun with several ranks: --adapter:' -o "$tmp/x.csv" --adapter "$tmp/none.json"
refused 'under mpirun with several ranks: --score-cache:' -o "$tmp/x.csv" --score-cache "$tmp/sc"
echo ok
