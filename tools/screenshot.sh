#!/usr/bin/env bash
# Render an HTML report in headless Chromium: screenshots at desktop and phone
# widths, the rendered DOM, and the browser's console log.
#   tools/screenshot.sh REPORT.html OUTDIR
# Writes OUTDIR/desktop.png (1280 wide), OUTDIR/phone.png (390 wide, 3x),
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
run --window-size=390,5000 --force-device-scale-factor=1 --screenshot="$out/phone.png" 2>>"$out/console.log" >/dev/null
run --dump-dom 2>>"$out/console.log" >"$out/dom.html"
