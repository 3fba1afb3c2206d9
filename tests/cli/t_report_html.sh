#!/usr/bin/env bash
# The HTML report as a user sees it: rendered by headless Chromium (Debian's
# chromium package, installed by tools/deps.sh). Checks: no console message
# from the page (a page that logs one is caught, as a positive control),
# screenshots at desktop and phone widths kept as artifacts under
# $BUILD/artifacts/report/, key numbers present in the rendered DOM, and the
# layout measured at 1280 and 390 px by tools/report_layout.py (no sideways
# page overflow, charts wide enough with legible text, no word broken across
# lines, tables that fit on a desktop, manifest filled), with a positive
# control that breaks each rule.
# The numbers come from tests/data/report/results.json (scikit-learn/numpy
# values, tools/gen_report_fixture.py), formatted to 3 decimals.
set -eu
SENTI=${SENTI:-build/senti}
art=${SENTI_ARTIFACTS:-$(dirname "$SENTI")/artifacts/report}
mkdir -p "$art"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

set +e
"$SENTI" report tests/data/report/results.json --html "$art/report.html" \
    --fail-under 'accuracy@gemma3.*k4*=0.85' --fail-over ece=0.10 2>/dev/null
rc=$?
set -e
[ $rc -eq 1 ] || { echo "expected exit 1 (one gate fails), got $rc"; exit 1; }
tools/screenshot.sh "$art/report.html" "$art"

# console: nothing from the page; the same check catches a page that logs
printf '<!DOCTYPE html><html><body><script>console.error("senti-probe")</script></body></html>' >"$tmp/probe.html"
tools/screenshot.sh "$tmp/probe.html" "$tmp/probe"
grep -q 'CONSOLE.*senti-probe' "$tmp/probe/console.log" || { echo "console capture does not work"; exit 1; }
if grep -E 'CONSOLE|Uncaught|Refused to' "$art/console.log"; then echo "console messages from the report"; exit 1; fi

# screenshots: real PNGs of the expected widths
python3 - "$art/desktop.png" "$art/phone.png" <<'PY'
import struct, sys
for path, width in zip(sys.argv[1:], (1280, 390)):
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    w, h = struct.unpack(">II", head[16:24])
    assert w == width and h > 1000, (path, w, h)
PY

# key numbers in the rendered DOM (its text: values and their intervals are
# in separate elements)
dom=$art/dom.html
sed 's/<[^>]*>//g' "$dom" >"$tmp/dom.txt"
for s in 'Gates: FAILED (1 of 2 passed)' \
         '0.918 ± 0.006' \
         '0.640 [0.575, 0.705]' \
         '0.183 [0.129, 0.251]' \
         'smollm2.sst2.cbu.zero.k0.none: ece = 0.183, required &lt;= 0.1' \
         'gemma3.sst2.cbu.fewshot.k4.contextual'; do
    grep -qF -- "$s" "$tmp/dom.txt" || { echo "rendered DOM lacks: $s"; exit 1; }
done
# charts were rendered as SVG elements: 2 accuracy-vs-shots, 12 reliability, 12 confusion
[ "$(grep -o 'aria-label="reliability diagram"' "$dom" | wc -l)" -eq 12 ]
[ "$(grep -o 'aria-label="confusion matrix"' "$dom" | wc -l)" -eq 12 ]
[ "$(grep -o 'aria-label="accuracy vs shots"' "$dom" | wc -l)" -eq 2 ]

# layout at desktop and phone widths
for w in 1280 390; do
    tools/report_layout.py "$art/report.html" $w --check >"$art/layout-$w.json"
done
# the manifest's rows column, also for results written before it was in the manifest
rows_cell() { # the datasets table's row of the manifest, as one line
    tr -d '\n' <"$1" | grep -o '<table id="manifest-Datasets">.*' | sed 's|</table>.*||'
}
rows_cell "$art/report.html" | grep -qF '<td class="num">200</td>'
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["manifest"]["datasets"][0]["rows"]
json.dump(d, open(sys.argv[2], "w"))' tests/data/report/results.json "$tmp/norows.json"
"$SENTI" report "$tmp/norows.json" --html "$tmp/norows.html"
rows_cell "$tmp/norows.html" | grep -qF '<td class="num">200</td>'

# positive control: a page that breaks every layout rule fails the check
cat >"$tmp/bad.html" <<'HTML'
<!DOCTYPE html><html><body><figure><svg role="img" aria-label="accuracy vs shots" viewBox="0 0 560 300"
style="width:200px"><text font-size="11">0.5</text></svg><figcaption style="width:40px;word-break:break-all">
contextual</figcaption></figure><div style="width:2000px">wide</div><h2 id="manifest">Manifest</h2>
<div class="scroll"><table><tr><th>rows</th></tr><tr><td></td></tr></table></div></body></html>
HTML
if tools/report_layout.py "$tmp/bad.html" 1280 --check >/dev/null 2>"$tmp/bad.err"; then
    echo "the layout check passes a broken page"; exit 1
fi
for s in 'overflows sideways' 'chart 200 px wide' 'chart text 3.9 px' 'broken across lines: contextual' \
         'empty manifest cells'; do
    grep -qF -- "$s" "$tmp/bad.err" || { echo "layout check missed: $s"; cat "$tmp/bad.err"; exit 1; }
done
echo "ok (artifacts in $art)"
