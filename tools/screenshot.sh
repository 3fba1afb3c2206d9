#!/usr/bin/env bash
# Render an HTML report in headless Chromium: screenshots at desktop and phone
# widths, the rendered DOM, and the browser's console log.
#   tools/screenshot.sh REPORT.html OUTDIR
# Writes OUTDIR/desktop.png (1280 wide), OUTDIR/phone.png (390 wide),
# OUTDIR/dom.html and OUTDIR/console.log. Needs Debian's chromium package.
set -euo pipefail
html=$1; out=$2
mkdir -p "$out"
url="file://$(realpath "$html")"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "screenshot: chromium not found (apt-get install chromium)" >&2; exit 2; }
profile=$(mktemp -d); trap 'rm -rf "$profile"' EXIT
run() {
    timeout 120 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --user-data-dir="$profile" --hide-scrollbars --enable-logging=stderr --v=0 \
        --virtual-time-budget=2000 "$@" "$url"
}
run --window-size=1280,4000 --screenshot="$out/desktop.png" 2>"$out/console.log" >/dev/null
# Headless windows are at least 500 px wide: the phone view is the report in
# a 390 px iframe at the left of the window, and the screenshot (390 wide)
# shows exactly that frame.
wrap=$profile/phone.html
printf '<!DOCTYPE html><html><body style="margin:0"><iframe src="%s" style="border:0;display:block;width:390px;height:5000px"></iframe></body></html>' \
    "$url" >"$wrap"
timeout 120 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$profile/p" --hide-scrollbars --virtual-time-budget=2000 --window-size=390,5000 \
    --force-device-scale-factor=1 --enable-logging=stderr --v=0 --screenshot="$out/phone.png" "file://$wrap" \
    2>>"$out/console.log" >/dev/null
run --dump-dom 2>>"$out/console.log" >"$out/dom.html"
