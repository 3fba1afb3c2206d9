#!/usr/bin/env bash
# senti run --limit N / --sample N replace the experiment's own selection for
# every dataset, are recorded in the cell manifests and results.json, and a
# --resume with another selection is refused. Default model, 2-3 rows.
set -euo pipefail
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
R=$(pwd)
export SENTI_MODEL_DIR=$(realpath "$SENTI_MODEL_DIR"); SENTI=$(realpath "$SENTI")
cat > "$T/x.json" <<JSON
{"name": "rows", "models": [{"name": "smollm2", "path": "$SENTI_MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"}],
 "datasets": [{"name": "demo", "path": "$R/datasets/demo.csv", "id": "id", "limit": 5}],
 "verbalizers": [{"name": "demo", "path": "$R/verbalizers/demo.json"}],
 "strategies": [{"name": "zs", "kind": "zero-shot"}], "eval": {"bootstrap": 0}}
JSON
cd "$T"
[ "$("$SENTI" run x.json --list | cut -d' ' -f1)" != "$("$SENTI" run x.json --list --limit 3 | cut -d' ' -f1)" ] \
    || fail "the cell hash does not cover --limit"

"$SENTI" run x.json -o a --limit 3 2> a.log
python3 - a <<'PY' || fail "--limit 3 not applied or not recorded"
import json, sys
r = json.load(open(sys.argv[1] + "/results.json"))
assert r["cells"][0]["n"] == 3, r["cells"][0]["n"]
assert r["experiment"]["rows_override"] == {"limit": 3, "sample": 0}, r["experiment"]
assert r["manifest"]["datasets"][0]["limit"] == 3
m = json.load(open(sys.argv[1] + "/cells/" + r["cells"][0]["name"] + "/manifest.json"))
assert m["data"]["limit"] == 3 and m["data"]["sample"] == 0, m["data"]
PY
# resuming with another selection is refused, with the same one nothing is redone
set +e
"$SENTI" run x.json -o a --limit 2 --resume > /dev/null 2> r.err; rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'this cell was run with limit 3 and sample 0; resuming with limit 2 and sample 0' r.err \
    || fail "resume with another --limit: $rc $(cat r.err)"
set +e
"$SENTI" run x.json -o a --resume > /dev/null 2> r.err; rc=$?   # the file's own limit (5)
set -e
[ $rc -eq 2 ] && grep -q 'resuming with limit 5' r.err || fail "resume without --limit: $rc $(cat r.err)"
"$SENTI" run x.json -o a --limit 3 --resume 2> r.log
grep -q 'already done (resume)' r.log || fail "resume with the same --limit redid the cell"

# --sample: a seeded sample of 2 rows, recorded
"$SENTI" run x.json -o b --sample 2 2> /dev/null
python3 - b <<'PY' || fail "--sample 2"
import json, sys
r = json.load(open(sys.argv[1] + "/results.json"))
assert r["cells"][0]["n"] == 2 and r["experiment"]["rows_override"] == {"limit": 0, "sample": 2}, r["experiment"]
PY
set +e
"$SENTI" run x.json -o c --limit 0 > /dev/null 2> z.err; rc=$?
set -e
[ $rc -eq 2 ] && grep -q -- '--limit' z.err || fail "--limit 0: $rc $(cat z.err)"
echo "t_run_rows: ok"
