#!/usr/bin/env bash
# The HTML report as a user sees it: rendered by headless Chromium (Debian's
# chromium package, installed by tools/deps.sh). Checks: no console message
# from the page (a page that logs one is caught, as a positive control),
# screenshots at desktop and phone widths kept as artifacts under
# $BUILD/artifacts/report/, and key numbers present in the rendered DOM.
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

# key numbers in the rendered DOM
dom=$art/dom.html
for s in 'Gates: FAILED (1 of 2 passed)' \
         '0.918 ± 0.006' \
         '0.640 [0.575, 0.705]' \
         '0.183 [0.129, 0.251]' \
         'smollm2.sst2.cbu.zero.k0.none: ece = 0.183, required &lt;= 0.1' \
         'gemma3.sst2.cbu.fewshot.k4.contextual'; do
    grep -qF -- "$s" "$dom" || { echo "rendered DOM lacks: $s"; exit 1; }
done
# charts were rendered as SVG elements: 2 accuracy-vs-shots, 12 reliability, 12 confusion
[ "$(grep -o 'aria-label="reliability diagram"' "$dom" | wc -l)" -eq 12 ]
[ "$(grep -o 'aria-label="confusion matrix"' "$dom" | wc -l)" -eq 12 ]
[ "$(grep -o 'aria-label="accuracy vs shots"' "$dom" | wc -l)" -eq 2 ]
echo "ok (artifacts in $art)"
