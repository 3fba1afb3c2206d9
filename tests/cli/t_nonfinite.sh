#!/usr/bin/env bash
# A model with one NaN weight: no prediction is ever made from a non-finite
# score. classify fails with exit 3 naming the problem (or, under
# --on-error skip, every row gets "error: non-finite score ..."), and
# `senti model info --check` names the tensor; the intact model passes it.
set -euo pipefail
SENTI=${SENTI:-build/senti}
SMOL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$SENTI" model info --check -m "$SMOL" | grep -q '^check: .* every value finite' || fail "intact model --check"
cp "$SMOL" "$tmp/nan.gguf"
python3 tests/cli/gguf_poison.py "$tmp/nan.gguf" output_norm.weight >/dev/null

set +e
out=$("$SENTI" model info --check -m "$tmp/nan.gguf" 2>&1 >/dev/null); rc=$?
set -e
[ $rc -eq 3 ] || fail "model info --check on a NaN weight: exit $rc, want 3"
grep -q 'nan.gguf: tensor "output_norm.weight" (data at byte [0-9]*): row 0, element 0 is nan' <<<"$out" \
    || fail "--check message: $out"

set +e
out=$("$SENTI" logits -m "$tmp/nan.gguf" --top 2 hello 2>&1); rc=$?
set -e
[ $rc -eq 3 ] || fail "logits with a NaN weight: exit $rc, want 3 ($out)"
grep -q 'NaN or infinity in the model output' <<<"$out" || fail "logits message: $out"
! grep -qiw 'nan\|-inf' <<<"$(grep -v 'NaN or infinity' <<<"$out")" || fail "logits printed a non-finite number: $out"

args=(classify -m "$tmp/nan.gguf" -v verbalizers/demo.json -i datasets/demo.csv --limit 4)
set +e
out=$("$SENTI" "${args[@]}" -o "$tmp/p.csv" 2>&1); rc=$?
set -e
[ $rc -eq 3 ] || fail "classify with a NaN weight: exit $rc, want 3 ($out)"
grep -q 'non-finite score' <<<"$out" || fail "classify message: $out"
[ ! -e "$tmp/p.csv" ] || fail "a predictions file was left behind"

set +e
"$SENTI" "${args[@]}" --calibrate contextual -o "$tmp/c.csv" >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 3 ] || fail "contextual calibration from NaN scores: exit $rc, want 3"

"$SENTI" "${args[@]}" --on-error skip -o "$tmp/s.csv" >/dev/null 2>&1 || true
[ "$(grep -c ',error: non-finite score' "$tmp/s.csv")" -eq 4 ] || fail "--on-error skip statuses: $(cat "$tmp/s.csv")"
if grep -qi 'nan' <(cut -d, -f3-7 "$tmp/s.csv"); then fail "a NaN was written as a result: $(cat "$tmp/s.csv")"; fi
