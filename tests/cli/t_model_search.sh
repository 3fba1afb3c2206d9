#!/usr/bin/env bash
# Where senti finds its model without -m (README, "Where senti finds its
# model"): -m, then $SENTI_MODEL, then the default file in $SENTI_MODEL_DIR,
# $XDG_DATA_HOME/senti/models (default ~/.local/share/senti/models),
# PREFIX/share/senti/models of the installed executable, the build's
# $(PREFIX)/share/senti/models, and the source tree of the executable
# (<tree>/models for <tree>/<build>/senti), never the current directory.
# Each place is shown by putting a different model under the default file
# name there (Gemma 3 reports architecture gemma3, SmolLM2 llama); with none,
# every command that needs a model stops with exit 2 listing every place.
set -eu
SENTI=$(realpath "${SENTI:-build/senti}")
MODEL_DIR=$(realpath "${MODEL_DIR:-models}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
def=SmolLM2-135M-Instruct.Q4_1.gguf
smol=$MODEL_DIR/$def gemma=$MODEL_DIR/gemma-3-270m-q4_k_m.gguf
unset SENTI_MODEL SENTI_MODEL_DIR
export XDG_DATA_HOME=$tmp/xdg HOME=$tmp/home
mkdir -p "$tmp/bin" "$tmp/xdg" "$tmp/home" "$tmp/cwd/models" "$tmp/dir"
cp "$SENTI" "$tmp/bin/senti"  # outside any source tree
lone=$tmp/bin/senti
arch() { local bin=$1; shift; "$bin" model info "$@" | sed -n 's/^architecture: *//p'; }
cd "$tmp/cwd"
ln -s "$smol" models/$def  # the current directory is not searched

# nothing anywhere: exit 2 naming every place, for each command that loads a model
for cmd in "model info" "tokenize hi" "logits hi" \
    "classify -i $OLDPWD/datasets/demo.csv -v $OLDPWD/verbalizers/demo.json --limit 2"; do
    rc=0; $lone $cmd >/dev/null 2>"$tmp/err" || rc=$?
    [ $rc -eq 2 ] || { echo "$cmd: exit $rc"; cat "$tmp/err"; exit 1; }
    grep -q "no model: no -m FILE, \$SENTI_MODEL is not set, and $def is in none of these places" "$tmp/err"
    grep -q '^  \$SENTI_MODEL_DIR: not set' "$tmp/err"
    grep -qF "  $tmp/xdg/senti/models/  (\$XDG_DATA_HOME/senti/models" "$tmp/err"
    grep -qF "  $tmp/share/senti/models/  (the prefix this senti is installed in: PREFIX/share/senti/models (make install-models))" "$tmp/err"
    grep -q '^  /.*/share/senti/models/  (\$(PREFIX)/share/senti/models of the build)' "$tmp/err"
    grep -q '^  the source tree of this executable: .*: the executable is not in one' "$tmp/err"
    grep -q 'make install-models' "$tmp/err"
done
# without XDG_DATA_HOME: ~/.local/share
rc=0; env -u XDG_DATA_HOME $lone model info >/dev/null 2>"$tmp/err" || rc=$?
[ $rc -eq 2 ] && grep -qF "  $tmp/home/.local/share/senti/models/" "$tmp/err" || { cat "$tmp/err"; exit 1; }
# --help still works and says none was found
$lone classify --help | grep -q 'none found'

# an installed senti: PREFIX/bin/senti finds PREFIX/share/senti/models (make install-models), whatever PREFIX
mkdir -p "$tmp/prefix/bin" "$tmp/prefix/share/senti/models"
cp "$SENTI" "$tmp/prefix/bin/senti"
ln -s "$smol" "$tmp/prefix/share/senti/models/$def"
[ "$(arch "$tmp/prefix/bin/senti")" = llama ]

# a source tree: <tree>/build/senti finds <tree>/models
mkdir -p "$tmp/tree/build" "$tmp/tree/src" "$tmp/tree/models"
cp "$SENTI" "$tmp/tree/build/senti"; touch "$tmp/tree/src/main.c"
ln -s "$smol" "$tmp/tree/models/$def"
[ "$(arch "$tmp/tree/build/senti")" = llama ]
"$tmp/tree/build/senti" model info | grep -qF "file:           $tmp/tree/models/$def"
# the user's data directory before the source tree
mkdir -p "$tmp/xdg/senti/models"; ln -s "$gemma" "$tmp/xdg/senti/models/$def"
[ "$(arch "$tmp/tree/build/senti")" = gemma3 ]
[ "$(arch $lone)" = gemma3 ]
[ "$(arch "$tmp/prefix/bin/senti")" = gemma3 ]  # before the installed prefix
# $SENTI_MODEL_DIR before the user's data directory
ln -s "$smol" "$tmp/dir/$def"
[ "$(SENTI_MODEL_DIR=$tmp/dir arch $lone)" = llama ]
# a $SENTI_MODEL_DIR without the file: the search goes on
[ "$(SENTI_MODEL_DIR=$tmp/home arch $lone)" = gemma3 ]
# $SENTI_MODEL before every directory, -m before $SENTI_MODEL
[ "$(SENTI_MODEL=$gemma SENTI_MODEL_DIR=$tmp/dir arch $lone)" = gemma3 ]
[ "$(SENTI_MODEL=$gemma arch $lone -m "$smol")" = llama ]
# $SENTI_MODEL is taken as it is: a missing file is an error naming it
rc=0; SENTI_MODEL=$tmp/nope.gguf $lone model info >/dev/null 2>"$tmp/err" || rc=$?
[ $rc -ne 0 ] && grep -q "nope.gguf" "$tmp/err" || { cat "$tmp/err"; exit 1; }
# make install-models copies the fetched models to $(PREFIX)/share/senti/models
cd "$OLDPWD"
mkdir -p "$tmp/fetched"; ln -s "$smol" "$tmp/fetched/$def"
make -s install-models MODEL_DIR="$tmp/fetched" PREFIX=/opt/senti DESTDIR="$tmp/dest" >/dev/null
cmp "$smol" "$tmp/dest/opt/senti/share/senti/models/$def"
rc=0; make -s install-models MODEL_DIR="$tmp/empty" PREFIX=/opt/senti DESTDIR="$tmp/dest" >/dev/null 2>&1 || rc=$?
[ $rc -ne 0 ]
echo ok
