#!/usr/bin/env bash
# Install the Debian packages senti builds and tests with, when any is missing.
# Quiet and quick when everything is already there.
#   tools/deps.sh        what make, make check and make asan need
#   tools/deps.sh fuzz   only what make fuzz needs on top: clang 14, its
#                        libFuzzer and sanitizer runtimes, its OpenMP
set -euo pipefail

pkgs=(build-essential pkg-config libcsv-dev check libsubunit-dev libgsl-dev libopenblas-dev
      libjansson-dev libutf8proc-dev libpcre2-dev nettle-dev python3 python3-pip unzip
      chromium libxml2-utils python3-junitparser python3-jsonschema python3-yaml
      libopenmpi-dev openmpi-bin groff-base zsh)
if [ "${1:-}" = fuzz ]; then
    pkgs=(clang-14 libclang-rt-14-dev libomp-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
