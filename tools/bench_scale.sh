#!/usr/bin/env bash
# Rows/s of one experiment (tests/data/scale/sst2-dev.json: 256 SST-2 dev rows,
# zero-shot, the default model) run three ways on this machine, wall clock
# from start to results.json (docs/scale.md, "Cost model"):
#   1 process x 2 threads; mpirun: 2 scoring ranks x 1 thread (plus rank 0, the
#   queue); 2 shards x 1 thread side by side, then senti merge.
# Parallel efficiency = rows/s of a configuration / rows/s of the first one
# (same cores: on a 2-core machine the aim is 1.0, not a speed-up).
set -eu
SENTI=$(realpath "${SENTI:-build/senti}")
export SENTI_MODEL_DIR=$(realpath "${MODEL_DIR:-models}")
export SENTI_DATASETS=$(realpath "${SENTI_DATASETS:-../shared/datasets}")
exp=tests/data/scale/sst2-dev.json
rows=256
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.2f' % ($rows / (float(sys.argv[2]) - float(sys.argv[1]))))" "$1" "$2"; }

t0=$(now); "$SENTI" run "$exp" -o "$tmp/one" -t 2 >/dev/null 2>&1; t1=$(now)
one=$(rate "$t0" "$t1")

t0=$(now)
mpirun --oversubscribe --allow-run-as-root -n 3 "$SENTI" run "$exp" -o "$tmp/mpi" -t 1 --unit-rows 64 >/dev/null 2>&1
t1=$(now)
mpi=$(rate "$t0" "$t1")

t0=$(now)
"$SENTI" run "$exp" -o "$tmp/sh" -t 1 --shard 0/2 >/dev/null 2>&1 &
a=$!
"$SENTI" run "$exp" -o "$tmp/sh" -t 1 --shard 1/2 >/dev/null 2>&1 &
b=$!
wait $a; wait $b
"$SENTI" merge "$tmp/sh" -t 2 >/dev/null 2>&1
t1=$(now)
sh=$(rate "$t0" "$t1")

for d in mpi sh; do cmp "$tmp/one/cells/smollm2.sst2.cbu.zs.k0.none/predictions.csv" \
    "$tmp/$d/cells/smollm2.sst2.cbu.zs.k0.none/predictions.csv"; done
eff() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$one"; }
printf '%-28s %8s %11s\n' configuration rows/s efficiency
printf '%-28s %8s %11s\n' "1 process x 2 threads" "$one" 1.00
printf '%-28s %8s %11s\n' "2 MPI ranks x 1 thread" "$mpi" "$(eff "$mpi")"
printf '%-28s %8s %11s\n' "2 shards x 1 thread + merge" "$sh" "$(eff "$sh")"
echo "(predictions of the three runs identical; $(nproc) cores)"
