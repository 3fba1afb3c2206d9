#!/usr/bin/env bash
# classify --progress: "lines" writes plain log lines (no carriage returns)
# with counts that only grow, updated inside a group of rows (not only when
# it is written), and a last line at the end; "bar" redraws at most about
# twice a second; "none" and -q write nothing; the default on a non-terminal
# is "lines". $SENTI_PROGRESS_INTERVAL shortens the 10 s interval for the test.
set -euo pipefail
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
DS=${SENTI_DATASETS:-../shared/datasets}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
base=(-m "$MODEL" -v verbalizers/sst2.json -i "$DS/sst2/dev.csv" --limit 40)

SENTI_PROGRESS_INTERVAL=0.2 "$SENTI" classify "${base[@]}" -o "$T/a.csv" > /dev/null 2> "$T/lines.err"
python3 - "$T/lines.err" <<'PY' || fail "lines: $(cat "$T/lines.err")"
import re, sys
text = open(sys.argv[1], newline="").read()
assert "\r" not in text
done = [int(m.group(1)) for m in re.finditer(r"^progress: (\d+)/40 rows \(\d+%\), [0-9.]+ rows/s, (ETA \S+|done), \d+s elapsed$", text, re.M)]
assert done and done[-1] == 40, done
assert done == sorted(done), done
assert any(d < 40 for d in done), "no update before the end (40 rows are one group)"
PY

SENTI_PROGRESS_INTERVAL=0.2 "$SENTI" classify "${base[@]}" --progress bar -o "$T/b.csv" > /dev/null 2> "$T/bar.err"
python3 - "$T/bar.err" <<'PY' || fail "bar: $(cat -A "$T/bar.err" | head -5)"
import re, sys
text = open(sys.argv[1], newline="").read()
draws = text.count("\r")
secs = float(re.search(r"rows = 40 \(.*\), ([0-9.]+) rows/s", text).group(1))
elapsed = 40 / secs if secs > 0 else 1e9
assert 1 <= draws <= 2 * elapsed + 3, (draws, elapsed)
assert re.search(r"\] 40/40 rows .* done \x1b\[K\n", text), text[-200:]
PY

"$SENTI" classify "${base[@]}" --progress none -o "$T/c.csv" > /dev/null 2> "$T/none.err"
"$SENTI" classify "${base[@]}" --limit 4 -q -o "$T/d.csv" > /dev/null 2> "$T/q.err"
! grep -q 'progress\|rows/s  ' "$T/none.err" "$T/q.err" || fail "none/-q wrote progress"
cmp -s "$T/a.csv" "$T/b.csv" && cmp -s "$T/a.csv" "$T/c.csv" || fail "progress changed the predictions"
set +e
"$SENTI" classify "${base[@]}" --limit 4 --progress loud -o "$T/e.csv" > /dev/null 2> "$T/e.err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "invalid value 'loud' for --progress" "$T/e.err" || fail "--progress loud: $rc"
echo "t_progress: ok"
