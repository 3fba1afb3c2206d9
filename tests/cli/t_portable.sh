#!/usr/bin/env bash
# Portable builds and kernel levels (src/01-tensor/quant_dispatch.c): the
# level is reported and can be forced lower, an unknown or unsupported level
# is refused; SENTI_ISA=scalar gives the same predictions as the default
# (f32 path: the same bytes; q8 path: within the documented tolerance, and
# not from the default level's score cache); the
# objects built for baseline x86-64 hold no AVX or AVX-512 instruction, the
# AVX2 kernels no AVX-512 one.
set -euo pipefail
SENTI=${SENTI:-build/senti}
BUILD=$(dirname "$SENTI")
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the level: reported, forced lower, refused -------------------------------
best=$("$SENTI" --version | sed -n 's/^kernels: \([a-z0-9]*\) (best on this CPU: \([a-z0-9]*\))$/\2/p')
[ -n "$best" ] || fail "senti --version names no kernel level: $("$SENTI" --version)"
grep -q "^kernels: scalar (best" <<<"$(SENTI_ISA=scalar "$SENTI" --version)" || fail "SENTI_ISA=scalar not applied"
set +e; out=$(SENTI_ISA=avx9 "$SENTI" --version 2>&1); rc=$?; set -e
[ $rc -eq 2 ] && grep -q "SENTI_ISA=avx9: unknown kernel level" <<<"$out" || fail "unknown level: rc $rc: $out"
lacking=""
for l in avx512vnni avx512 avx2; do [ "$l" = "$best" ] && break; lacking=$l; done
if [ -n "$lacking" ]; then
    set +e; out=$(SENTI_ISA=$lacking "$SENTI" --version 2>&1); rc=$?; set -e
    [ $rc -eq 2 ] && grep -q "this CPU lacks" <<<"$out" || fail "SENTI_ISA=$lacking accepted: rc $rc: $out"
fi
"$SENTI" model info -m "$MODEL" | grep -q "^kernels: *$best " || fail "model info names no kernel level"

# --- predictions: scalar vs the default level ----------------------------------
base=(-m "$MODEL" -v verbalizers/demo.json --id-col id -q -i datasets/demo.csv)
"$SENTI" classify "${base[@]}" --limit 12 -o "$tmp/best.csv" --manifest "$tmp/best.json" >/dev/null 2>&1
SENTI_ISA=scalar "$SENTI" classify "${base[@]}" --limit 12 -o "$tmp/scalar.csv" --manifest "$tmp/scalar.json" >/dev/null 2>&1
cmp -s "$tmp/best.csv" "$tmp/scalar.csv" || fail "f32 path: scalar and $best predictions differ"
grep -q "\"kernels\": \"$best\"" "$tmp/best.json" || fail "manifest does not record kernels $best"
grep -q '"kernels": "scalar"' "$tmp/scalar.json" || fail "manifest does not record kernels scalar"
# q8 path: legacy-type dots differ by summation order, which can flip the
# rounding of the next layer's 8-bit activations (README: max |dp| 0.1).
# The score cache keys q8 scores by level: a scalar run finds none of the default's.
SENTI_MATMUL=q8 "$SENTI" classify "${base[@]}" --limit 3 --score-cache "$tmp/cache" -o "$tmp/q8best.csv" >/dev/null 2>&1
SENTI_MATMUL=q8 SENTI_ISA=scalar "$SENTI" classify "${base[@]}" --limit 3 --score-cache "$tmp/cache" \
    -o "$tmp/q8scalar.csv" 2> "$tmp/q8scalar.err" >/dev/null
grep -q ', 0 prompts from the score cache' "$tmp/q8scalar.err" || fail "q8 cache shared across levels: $(cat "$tmp/q8scalar.err")"
python3 - "$tmp/q8best.csv" "$tmp/q8scalar.csv" <<'PY' || fail "q8 path: scalar vs default beyond tolerance"
import csv, sys
a, b = (list(csv.DictReader(open(f))) for f in sys.argv[1:3])
assert len(a) == len(b) == 3, (len(a), len(b))
for x, y in zip(a, b):
    assert x["pred"] == y["pred"], (x["id"], x["pred"], y["pred"])
    d = max(abs(float(x[k]) - float(y[k])) for k in x if k.startswith("p_"))
    assert d <= 0.1, (x["id"], d)
PY

# --- instructions of the objects -------------------------------------------------
if grep -q -- '-march=native' "$BUILD/cflags" 2>/dev/null || [ ! -f "$BUILD/cflags" ]; then
    echo "t_portable: object check NOT TESTED: $BUILD is not a portable build ($(cat "$BUILD/cflags" 2>/dev/null))" >&2
    exit 0
fi
command -v objdump >/dev/null || { echo "t_portable: object check NOT TESTED: no objdump" >&2; exit 0; }
# registers only AVX (ymm) or AVX-512 (zmm, opmasks, xmm16-31) instructions name
avx='%ymm|%zmm|%k[0-7]|%xmm(1[6-9]|2[0-9]|3[01])'
avx512='%zmm|%k[0-7]|%[xy]mm(1[6-9]|2[0-9]|3[01])'
n=0
for o in $(find "$BUILD/obj" -name '*.o'); do
    objdump -d "$o" > "$tmp/dis"
    case $o in
    *_avx512.o | *_avx512vnni.o) grep -Eq "$avx512" "$tmp/dis" || fail "$o: no AVX-512 instruction" ;;
    *_avx2.o) ! grep -Eq "$avx512" "$tmp/dis" || fail "$o: AVX-512 instruction in the AVX2 kernels" ;;
    *) ! grep -Eq "$avx" "$tmp/dis" || fail "$o: AVX instruction in a baseline object" ;;
    esac
    n=$((n + 1))
done
[ $n -gt 50 ] || fail "only $n objects under $BUILD/obj"
