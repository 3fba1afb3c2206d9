#!/usr/bin/env bash
# Put the summary tables of finished experiments into README.md, between
#   <!-- senti-table:NAME -->  and  <!-- /senti-table:NAME -->
# markers, so that the README's results are generated, never typed.
#
#   tools/readme_tables.sh NAME=OUTDIR[:SHOTS] ...
#
# Each table is the summary table of `senti report OUTDIR --markdown` (mean ±
# standard deviation over seeds, 95% bootstrap CIs for single cells), keeping
# only the rows whose shot count is in SHOTS (comma-separated; all when absent).
# Example: tools/readme_tables.sh sst2=results/cbu:0,4,8 tweeteval=results/tweeteval
set -euo pipefail
SENTI=${SENTI:-build/senti}
README=${README:-README.md}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for spec in "$@"; do
    name=${spec%%=*} rest=${spec#*=}
    dir=${rest%%:*} shots=
    [ "$rest" != "$dir" ] && shots=${rest#*:}
    "$SENTI" report "$dir" --markdown "$tmp/r.md" >/dev/null
    # the first table of the report, filtered on its "Shots" column
    awk -v keep="$shots" -F'|' '
        BEGIN { n = split(keep, k, ","); for (i = 1; i <= n; i++) want[k[i]] = 1 }
        /^\|/ { intable = 1
                if (!col) { for (i = 1; i <= NF; i++) if ($i ~ /^ *Shots *$/) col = i; print; next }
                if ($0 ~ /^\|[-:|]+\|$/ || !n) { print; next }
                v = $col; gsub(/ /, "", v); if (v in want) print; next }
        intable { exit }' "$tmp/r.md" > "$tmp/$name.table"
    [ -s "$tmp/$name.table" ] || { echo "readme_tables: no table in the report of $dir" >&2; exit 2; }
    python3 - "$README" "$name" "$tmp/$name.table" <<'PY'
import sys
path, name, table = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
text = open(path).read()
start, end = "<!-- senti-table:%s -->" % name, "<!-- /senti-table:%s -->" % name
if start not in text or end not in text:
    sys.exit("readme_tables: %s lacks the markers %s ... %s" % (path, start, end))
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(head + start + "\n" + table + end + tail)
PY
    echo "readme_tables: $name <- $dir${shots:+ (shots $shots)}"
done
