#!/usr/bin/env bash
# Regenerate the committed reports and the README's result tables from the
# shipped experiments (`make reports`):
#
#   cbu-sst2       experiments/cbu-sst2.json       results/cbu/        reports/cbu-sst2.{html,md}
#   tweeteval      experiments/tweeteval.json      results/tweeteval/  reports/tweeteval.{html,md}
#   finetune-sst2  experiments/finetune-sst2.json  results/finetune/   reports/finetune-sst2.{html,md}
#                  (adapters trained first by tools/finetune_acceptance.sh)
#   leaderboard    experiments/leaderboard.json    reports/leaderboard/ reports/leaderboard.{html,md}
#                  (and the README's pivot table, tools/leaderboard_table.py; its model table
#                  too from reports/model_speed.json, which tools/model_speed.sh writes);
#                  its select16 cells are those of experiments/select.json (same hashes), so
#                  finished ones from a select run can be copied into its cells/ instead of rerun
#
# The leaderboard takes days of this machine's time, so its run folder is kept
# in git: every finished cell's cell.json, manifest.json and predictions.csv
# (and a select cell's recipe and ranking) are committed as they finish, and a
# fresh clone resumes from them. Its score cache and the trained models it can
# rebuild in seconds (bow-logreg weights, adapters) stay out (.gitignore).
#
#   tools/reports.sh [NAME ...]        (default: all four)
#
# Runs resume: finished cells are kept and the score
# cache answers every prompt already scored, so an interrupted regeneration
# continues where it stopped. On this 2-core machine a full regeneration from
# nothing takes several hours (see README.md, Results).
set -euo pipefail
cd "$(dirname "$0")/.."
SENTI=${SENTI:-build/senti}
THREADS=${THREADS:-2}
export SENTI_MODEL_DIR=${MODEL_DIR:-models} SENTI_DATASETS=${SENTI_DATASETS:-../shared/datasets}
names=${*:-cbu-sst2 tweeteval finetune-sst2 leaderboard}
outdir() { case $1 in cbu-sst2) echo results/cbu ;; finetune-sst2) echo results/finetune ;; leaderboard) echo reports/leaderboard ;; *) echo "results/$1" ;; esac; }
for name in $names; do
    out=$(outdir "$name")
    case $name in
    cbu-sst2) "$SENTI" run experiments/cbu-sst2.json -o "$out" --resume --threads "$THREADS" ;;
    tweeteval) "$SENTI" run experiments/tweeteval.json -o "$out" --resume --threads "$THREADS" ;;
    leaderboard) "$SENTI" run experiments/leaderboard.json -o "$out" --resume --threads "$THREADS"
                 speed=(); [ -f reports/model_speed.json ] && speed=(--speed reports/model_speed.json)
                 python3 tools/leaderboard_table.py experiments/leaderboard.json "$out" --readme README.md "${speed[@]}" ;;
    finetune-sst2) SENTI=$SENTI THREADS=$THREADS tools/finetune_acceptance.sh "$out" ;;
    *) echo "reports: unknown report '$name'" >&2; exit 2 ;;
    esac
    "$SENTI" report "$out" --html "reports/$name.html" --markdown "reports/$name.md"
done
SENTI=$SENTI tools/readme_tables.sh $(for name in $names; do
    case $name in
    cbu-sst2) echo "sst2=$(outdir "$name"):0,4,8" ;;
    leaderboard) ;; # its README table is the pivot above
    *) echo "$name=$(outdir "$name")" ;;
    esac
done)
