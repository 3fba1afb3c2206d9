#!/usr/bin/env bash
# The shipped CI examples pass on the demo: every command of
# examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml that calls
# build/senti (the experiment run, the report with its gates) is taken from
# the YAML as written (Debian's python3-yaml) and run against a fresh demo
# experiment, with build/senti -> $SENTI and results/demo -> a temporary
# directory. Each must exit 0, every gate must pass with a margin of at least
# 0.02 (recomputed here from results.json), and the reports they write must be
# complete: JUnit with no failure, report.json passed, the HTML laid out
# correctly at 1280 and 390 px. Also checks the manifest's dataset rows.
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
out=$tmp/demo

# commands that call build/senti, one per line (JSON strings), in file order
/usr/bin/python3 - examples/ci/github-actions.yml examples/ci/gitlab-ci.yml >"$tmp/commands" <<'PY'
import json, sys, yaml
for path in sys.argv[1:]:
    doc = yaml.safe_load(open(path))
    if "jobs" in doc:  # GitHub Actions: run blocks of every step
        cmds = [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]
    else:              # GitLab: the script lines of every job
        cmds = [c for job in doc.values() if isinstance(job, dict) for c in job.get("script", [])]
    cmds = [c for c in cmds if "build/senti" in c]
    if not any("senti report" in c and "--fail-" in c for c in cmds):
        sys.exit(path + ": no 'build/senti report ... --fail-*' command found")
    for c in cmds:
        print(json.dumps([path, c]))
PY
[ "$(grep -c 'senti report' "$tmp/commands")" -eq 2 ] || { echo "expected one report command per file"; exit 1; }

while IFS= read -r line; do
    file=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0])' "$line")
    orig=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[1])' "$line")
    cmd=${orig//build\/senti/\"\$SENTI\"}
    cmd=${cmd//results\/demo/\"\$out\"}
    set +e
    SENTI=$SENTI out=$out bash -c "$cmd" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        echo "$file: exit $rc from: $cmd"; tail -20 "$tmp/stderr"; exit 1
    fi
    # every gate of the command passed with a margin
    /usr/bin/python3 - "$out/results.json" "$cmd" <<'PY' || { echo "$file: gate margin"; exit 1; }
import fnmatch, json, re, sys
res = json.load(open(sys.argv[1]))
for kind, spec in re.findall(r"--fail-(under|over) '([^']+)'", sys.argv[2]):
    m = re.fullmatch(r"(\w+)(?:\[(\w+)\])?(?:@(\S+))?=([0-9.]+)", spec)
    metric, label, cells, bound = m.group(1), m.group(2), m.group(3) or "*", float(m.group(4))
    vals = []
    for c in res["cells"]:
        if not fnmatch.fnmatchcase(c["name"], cells):
            continue
        if label:
            vals += [p[metric] for p in c["per_class"] if p["label"] == label]
        else:
            vals.append(c["metrics"][metric]["value"])
    assert vals, spec
    worst = min(vals) if kind == "under" else max(vals)
    margin = worst - bound if kind == "under" else bound - worst
    print("gate %-40s worst %.3f margin %.3f" % (spec, worst, margin))
    assert margin >= 0.02, "%s: worst cell %.3f, margin %.3f < 0.02" % (spec, worst, margin)
PY
    # a report command: its JUnit file has one passing test case per gate
    if [[ $orig == *"build/senti report"* ]]; then
        n=$(grep -o -- "--fail-" <<<"$cmd" | wc -l)
        grep -q "<testsuites name=\"senti\" tests=\"$n\" failures=\"0\"" "$out/junit.xml" ||
            { echo "$file: junit.xml"; head -3 "$out/junit.xml"; exit 1; }
        rm "$out/junit.xml"
    fi
done <"$tmp/commands"

# what the report commands wrote (the GitLab one last)
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["passed"] is True and len(d["gates"]) == 2, d["gates"]' \
    "$out/report.json"
for f in report.html report.md summary.csv; do [ -s "$out/$f" ] || { echo "missing $f"; exit 1; }; done
grep -q '^## Gates: passed' "$out/report.md"
for w in 1280 390; do tools/report_layout.py "$out/report.html" $w --check >/dev/null; done

# the manifest names the rows of each dataset (the demo set has 100)
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["manifest"]["datasets"][0]["rows"]; assert r == 100, r' \
    "$out/results.json"
echo ok
