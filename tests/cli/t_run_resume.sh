#!/usr/bin/env bash
# senti run: an uninterrupted run and a run killed with SIGKILL after its
# first cell then continued with --resume give the same results.json apart
# from its "timing" section, and the same predictions; a second --resume does
# no work and changes nothing but timing. Uses the default model on 4 rows.
set -eu
SENTI=${SENTI:-build/senti}
export SENTI_MODEL_DIR=${MODEL_DIR:-models}
exp=tests/data/report/tiny_run.json
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$SENTI" run "$exp" --list >"$tmp/cells"
[ "$(wc -l <"$tmp/cells")" -eq 3 ]

"$SENTI" run "$exp" -o "$tmp/a" 2>"$tmp/a.log"
# the score cache: the contextual zero-shot cell scores the same row prompts as the
# uncalibrated one, so only its content-free inputs cost model work
python3 - "$tmp/a/cells" <<'PY'
import json, sys
m = lambda c: json.load(open("%s/smollm2.demo.demo.zs.k0.%s/manifest.json" % (sys.argv[1], c)))["counts"]
none, ctx = m("none"), m("contextual")
assert none["prompts_from_cache"] == 0 and none["tokens_decoded"] > 0, none
assert ctx["prompts_from_cache"] == 4 and 0 < ctx["tokens_decoded"] < none["tokens_decoded"], ctx
PY

"$SENTI" run "$exp" -o "$tmp/b" 2>"$tmp/b.log" &
pid=$!
for _ in $(seq 1 600); do  # wait (up to 60 s) for the first completed cell
    [ -n "$(ls "$tmp"/b/cells/*/cell.json 2>/dev/null)" ] && break
    sleep 0.1
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[ ! -e "$tmp/b/results.json" ] || { echo "the killed run got to the end; the test proves nothing"; exit 1; }
# what a writer killed before its commit leaves: the resumed run removes it
: > "$tmp/b/results.json.tmpAbC123"
cell=$(ls -d "$tmp"/b/cells/* | head -1)
: > "$cell/predictions.csv.tmpXyZ789"
"$SENTI" run "$exp" -o "$tmp/b" --resume 2>"$tmp/b2.log"
grep -q 'already done (resume)' "$tmp/b2.log"
[ ! -e "$tmp/b/results.json.tmpAbC123" ] && [ ! -e "$cell/predictions.csv.tmpXyZ789" ] ||
    { echo "temporary files of the killed run left behind after --resume"; exit 1; }

strip_timing() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("timing"); print(json.dumps(d, sort_keys=True))' "$1"; }
[ "$(strip_timing "$tmp/a/results.json")" = "$(strip_timing "$tmp/b/results.json")" ] ||
    { echo "resumed results differ"; diff <(strip_timing "$tmp/a/results.json") <(strip_timing "$tmp/b/results.json") | head; exit 1; }
for f in "$tmp"/a/cells/*/predictions.csv; do cmp "$f" "$tmp/b/${f#"$tmp"/a/}"; done

# byte-identical apart from timing: rewrite the file without timing and compare bytes
cp "$tmp/a/results.json" "$tmp/a1.json"
"$SENTI" run "$exp" -o "$tmp/a" --resume 2>/dev/null >/dev/null
python3 - "$tmp/a1.json" "$tmp/a/results.json" <<'PY'
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:])
cut = lambda s: s[: s.index(b'\n "timing"')]
assert cut(a) == cut(b), "results.json differs outside timing"
PY
ls "$tmp/a" "$tmp"/a/cells/* | grep -q '\.tmp' && { echo "temporary file left behind"; exit 1; }
"$SENTI" report "$tmp/a" --html "$tmp/a/report.html" --fail-under accuracy=0 2>/dev/null

# --collect runs nothing: with every cell finished it writes the run's results.json (outside timing);
# with a cell missing it leaves that cell out of cells, groups and comparisons, lists it as pending,
# and the reports say so; with none finished it is an error (exit 2)
"$SENTI" run "$exp" -o "$tmp/a" --collect >"$tmp/col.out" 2>&1
grep -q 'collected 3 of 3 cells (0 pending)' "$tmp/col.out"
python3 - "$tmp/a1.json" "$tmp/a/results.json" <<'PY'
import sys
a, b = (open(p, "rb").read() for p in sys.argv[1:])
cut = lambda s: s[: s.index(b'\n "timing"')]
assert cut(a) == cut(b), "--collect of a finished run differs from its results.json outside timing"
PY
gone=smollm2.demo.demo.zs.k0.contextual
rm -r "$tmp/a/cells/$gone"
"$SENTI" run "$exp" -o "$tmp/a" --collect >"$tmp/col.out" 2>&1
grep -q 'collected 2 of 3 cells (1 pending)' "$tmp/col.out"
python3 - "$tmp/a/results.json" "$gone" <<'PY'
import json, sys
d, gone = json.load(open(sys.argv[1])), sys.argv[2]
assert d["pending"] == [gone], d.get("pending")
assert len(d["cells"]) == 2 and gone not in [c["name"] for c in d["cells"]]
assert all(gone not in g["cells"] for g in d["groups"]), d["groups"]
assert all(gone not in (c["a"], c["b"]) for c in d["comparisons"]), d["comparisons"]
assert gone not in d["timing"]["cells"]
PY
"$SENTI" report "$tmp/a" --markdown "$tmp/p.md" --html "$tmp/p.html" --json "$tmp/p.json"
grep -q "^\*\*Partial results:\*\* 2 of 3 cells have finished; 1 are pending.*\`$gone\`" "$tmp/p.md"
grep -q "id=\"partial\".*<code>$gone</code>" "$tmp/p.html"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["pending"] == [sys.argv[2]]' "$tmp/p.json" "$gone"
# a finished run's reports say nothing of the kind
! grep -q "Partial results" "$tmp/a/report.html"
mkdir "$tmp/empty"
rc=0; "$SENTI" run "$exp" -o "$tmp/empty" --collect 2>"$tmp/col.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "no cell of .* has finished yet" "$tmp/col.err" && [ ! -e "$tmp/empty/results.json" ]
rc=0; "$SENTI" run "$exp" -o "$tmp/a" --collect --list 2>"$tmp/col.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--collect runs nothing" "$tmp/col.err"

# the cell hash names the verbalizer's path: an edited verbalizer file (here a label_map that
# changes the gold labels) makes --resume run its cells again and --collect list them as pending
cp verbalizers/demo.json "$tmp/v.json"
python3 - "$exp" "$tmp/v.json" "$tmp/v.exp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["verbalizers"][0]["path"] = sys.argv[2]
d["strategies"] = d["strategies"][:1]
d["strategies"][0]["calibration"] = ["none"]
json.dump(d, open(sys.argv[3], "w"))
PY
"$SENTI" run "$tmp/v.exp.json" -o "$tmp/v" 2>/dev/null >/dev/null
acc() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cells"][0]["metrics"]["accuracy"]["value"])' "$1"; }
before=$(acc "$tmp/v/results.json")
"$SENTI" run "$tmp/v.exp.json" -o "$tmp/v" --resume 2>"$tmp/v.log" >/dev/null
grep -q 'already done (resume)' "$tmp/v.log"
python3 - "$tmp/v.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
v["labels"] = {"bad": ["Negative"], "good": ["Positive"]}
v["label_map"] = {"negative": "good", "positive": "bad"}   # every gold label swapped
json.dump(v, open(sys.argv[1], "w"))
PY
rc=0; "$SENTI" run "$tmp/v.exp.json" -o "$tmp/v" --collect 2>"$tmp/v.err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] && grep -q "no cell of .* has finished yet" "$tmp/v.err"
"$SENTI" run "$tmp/v.exp.json" -o "$tmp/v" --resume 2>"$tmp/v.log" >/dev/null
! grep -q 'already done (resume)' "$tmp/v.log"
after=$(acc "$tmp/v/results.json")
python3 -c 'import sys; a, b = map(float, sys.argv[1:]); assert abs(a + b - 1) < 1e-9, (a, b)' "$before" "$after"

# the same for data edited in place: each cell.json records the SHA-256 of the files it read, by
# role; an edited train file reruns the few-shot cell only, an edited eval file every cell
cp datasets/demo.csv "$tmp/d.csv"; cp datasets/demo.csv "$tmp/t.csv"
python3 - "$exp" "$tmp" <<'PY'
import json, sys
d, tmp = json.load(open(sys.argv[1])), sys.argv[2]
d["datasets"][0].update(path=tmp + "/d.csv", train=tmp + "/t.csv")
d["strategies"][0]["calibration"] = ["none"]
json.dump(d, open(tmp + "/d.exp.json", "w"))
PY
"$SENTI" run "$tmp/d.exp.json" -o "$tmp/d" 2>/dev/null >/dev/null
python3 - "$tmp" <<'PY'
import glob, hashlib, json, sys
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
t = sys.argv[1]
for cell in glob.glob(t + "/d/cells/*/cell.json"):
    got, want = json.load(open(cell))["inputs"], {"data": sha(t + "/d.csv"), "verbalizer": sha("verbalizers/demo.json")}
    if ".fs." in cell:
        want["train"] = sha(t + "/t.csv")
    assert got == want, (cell, got, want)
PY
edit() { python3 -c 'import sys; p = sys.argv[1]; s = open(p).read(); open(p, "w").write(s.replace("blender", "toaster", 1))' "$1"; }
grep -q blender "$tmp/t.csv"
edit "$tmp/t.csv"
"$SENTI" run "$tmp/d.exp.json" -o "$tmp/d" --resume 2>"$tmp/d.log" >/dev/null
grep -q 'zs.k0.none already done (resume)' "$tmp/d.log"
! grep -q 'fs.k1.s3.none already done' "$tmp/d.log"
edit "$tmp/d.csv"
rc=0; "$SENTI" run "$tmp/d.exp.json" -o "$tmp/d" --collect 2>"$tmp/d.err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] && grep -q "no cell of .* has finished yet" "$tmp/d.err"
"$SENTI" run "$tmp/d.exp.json" -o "$tmp/d" --resume 2>"$tmp/d.log" >/dev/null
! grep -q 'already done (resume)' "$tmp/d.log"
echo ok
