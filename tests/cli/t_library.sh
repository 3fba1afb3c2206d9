#!/usr/bin/env bash
# libsenti.so as a library user sees it: it exports exactly the functions that
# include/senti/*.h declare with SENTI_API (no internal tok_/tk_/rep_/ft_ or
# unpublished senti_ symbol leaks, none is missing), carries the SONAME
# libsenti.so.0 with its versioned symlinks, and `make install` into a DESTDIR
# gives a tree that a small program compiles, links and runs against through
# pkg-config, while an internal symbol stays out of its reach.
set -euo pipefail
SENTI=${SENTI:-build/senti}
BUILD=$(dirname "$SENTI")
LIB=$BUILD/libsenti.so
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# ---- exported symbols against the public headers
perl -0777 -ne 'while (/^SENTI_API\b([^(;]*?)\(/mg) { my $d = $1; print "$1\n" if $d =~ /(\w+)\s*$/ }' \
    include/senti/*.h | sort -u > "$tmp/declared"
nm -D --defined-only "$LIB" > "$tmp/nm"
awk '{print $NF}' "$tmp/nm" | sort -u > "$tmp/exported"
[ "$(wc -l < "$tmp/declared")" -gt 200 ] || fail "only $(wc -l < "$tmp/declared") SENTI_API declarations found"
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
leaked=$(comm -13 "$tmp/declared" "$tmp/exported")
[ -z "$missing" ] || fail "declared in include/senti/ but not exported: $missing"
[ -z "$leaked" ] || fail "exported but in no public header: $leaked"

# ---- SONAME and the versioned files
# (outputs go through files: `cmd | grep -q` can fail under pipefail when grep
# stops reading early)
readelf -d "$LIB" > "$tmp/dyn"
grep -q 'SONAME.*\[libsenti\.so\.0\]' "$tmp/dyn" || fail "no SONAME libsenti.so.0"
[ "$(readlink "$LIB")" = libsenti.so.0 ] || fail "libsenti.so -> $(readlink "$LIB")"
[ "$(readlink "$BUILD/libsenti.so.0")" = libsenti.so.0.1.0 ] || fail "libsenti.so.0 -> $(readlink "$BUILD/libsenti.so.0")"

# ---- make install into a DESTDIR, then a program built with pkg-config
env -u MAKEFLAGS -u MAKELEVEL make -s --no-print-directory install BUILD="$BUILD" DESTDIR="$tmp/root" PREFIX=/usr \
    > "$tmp/install.log" 2>&1 || fail "make install: $(tail -5 "$tmp/install.log")"
lib=$tmp/root/usr/lib
[ -f "$lib/libsenti.so.0.1.0" ] && [ "$(readlink "$lib/libsenti.so.0")" = libsenti.so.0.1.0 ] \
    && [ "$(readlink "$lib/libsenti.so")" = libsenti.so.0 ] || fail "installed library files: $(ls -l "$lib")"
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$tmp/root
[ "$(pkg-config --modversion senti)" = 0.1.0 ] || fail "pkg-config --modversion: $(pkg-config --modversion senti)"
san=""
nm -D --undefined-only "$LIB" > "$tmp/undef"
if grep -q '__asan_init' "$tmp/undef"; then san="-fsanitize=address,undefined"; fi # an ASan build (make asan)
cat > "$tmp/use.c" << 'EOF'
#include <senti.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    senti_err e = {0};
    senti_status s = senti_err_set(&e, SENTI_ERR_NOTFOUND, "x.csv:%d: no column", 3);
    printf("%s|%s|%s\n", senti_version(), senti_strerror(s), e.msg);
    return strcmp(e.msg, "x.csv:3: no column") != 0;
}
EOF
# shellcheck disable=SC2046,SC2086
cc -std=c11 $san $(pkg-config --cflags senti) "$tmp/use.c" -o "$tmp/use" $(pkg-config --libs senti) \
    2> "$tmp/cc.err" || fail "compile against the installed tree: $(cat "$tmp/cc.err")"
readelf -d "$tmp/use" > "$tmp/dyn"
grep -q 'NEEDED.*\[libsenti\.so\.0\]' "$tmp/dyn" || fail "the program does not need libsenti.so.0"
out=$(LD_LIBRARY_PATH=$lib "$tmp/use") || fail "the program failed: $out"
[ "$out" = "0.1.0|not found|x.csv:3: no column" ] || fail "program output: $out"

# an internal function of the library (the scorer's matrix product) does not link
printf 'void senti_matmul(void);\nint main(void) { senti_matmul(); return 0; }\n' > "$tmp/internal.c"
# shellcheck disable=SC2046,SC2086
if cc $san "$tmp/internal.c" -o "$tmp/internal" $(pkg-config --libs senti) 2> /dev/null; then
    fail "an internal symbol (senti_matmul) links from libsenti.so"
fi
echo ok
