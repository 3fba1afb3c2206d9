#!/usr/bin/env bash
# End-to-end tests of the senti CLI: every tests/cli/t_*.sh is run with
# $SENTI (the binary), $MODEL_DIR and $SENTI_DATASETS (the shared datasets,
# default ../shared/datasets from the repository root, as for the unit tests)
# set; each exits non-zero on failure, and the command that failed is named
# (errtrap.bash).
set -u
cd "$(dirname "$0")/../.."
export SENTI_DATASETS=${SENTI_DATASETS:-../shared/datasets}
export BASH_ENV=$PWD/tests/cli/errtrap.bash # a failing line names itself
pass=0; fail=0
for t in tests/cli/t_*.sh; do
    [ -e "$t" ] || continue
    if out=$(bash "$t" 2>&1); then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $t"; echo "$out" | tail -20 | sed 's/^/    /'
    fi
done
echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
