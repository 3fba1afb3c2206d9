#!/usr/bin/env bash
# The man page and shell completions (tools/gen_cli_docs.sh, docs/cli.md) are
# generated from the parsers' own tables (senti --dump-options), so every
# option every subcommand's parser accepts must be offered by the bash
# completion (run for real: COMP_WORDS for "senti CMD -"), appear in the zsh
# completion's block of that subcommand, and appear in that subcommand's
# section of the rendered man page; the page renders with groff -ww without
# a warning; the zsh file parses (zsh -n, when zsh is installed: make deps).
set -eu
SENTI=$(realpath "${SENTI:-build/senti}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

bash tools/gen_cli_docs.sh "$SENTI" "$tmp/out"
man1=$tmp/out/man/senti.1 bashc=$tmp/out/completion/senti.bash zshc=$tmp/out/completion/_senti
"$SENTI" --dump-options >"$tmp/opts"

# the man page renders cleanly
command -v groff >/dev/null || fail "groff not found (make deps installs groff-base)"
groff -man -ww -z -Tutf8 "$man1" 2>"$tmp/groff.err" || fail "groff failed"
[ ! -s "$tmp/groff.err" ] || { cat "$tmp/groff.err"; fail "groff warnings"; }
groff -man -Tascii -P-cbou "$man1" 2>/dev/null >"$tmp/man.txt"
grep -q '^NAME' "$tmp/man.txt" && grep -q '^COMMON OPTIONS' "$tmp/man.txt" && grep -q '^EXIT STATUS' "$tmp/man.txt"
if command -v zsh >/dev/null; then zsh -n "$zshc" || fail "zsh completion does not parse"; fi
bash -n "$bashc"

# what bash offers after "senti CMD -"
offered() {
    bash -c 'source "$1"; COMP_WORDS=(senti "$2" -); COMP_CWORD=2; _senti; printf "%s\n" "${COMPREPLY[@]}"' _ "$bashc" "$1"
}
# the man page section of CMD, rendered
section() { awk -v h="SENTI $(tr a-z A-Z <<<"$1")" '$0 == h { on = 1; next } /^[A-Z]/ { on = 0 } on' "$tmp/man.txt"; }
# the zsh block of CMD
zblock() { awk -v c="    $1)" '$0 == c { on = 1; next } /^    [a-z-]+\)$/ { on = 0 } on' "$zshc"; }

n=0 bad=0
for c in $(awk -F'\t' '$1 == "command" { print $2 }' "$tmp/opts"); do
    offered "$c" >"$tmp/offered"
    section "$c" >"$tmp/section"
    zblock "$c" >"$tmp/zblock"
    [ -s "$tmp/section" ] || fail "no man page section SENTI ${c^^}"
    awk -F'\t' -v c="$c" '$1 == "option" && $2 == c { if ($3 != "-") print $3; if ($4 != "-") print $4 }' "$tmp/opts" >"$tmp/flags"
    [ -s "$tmp/flags" ] || fail "$c: no options dumped"
    while read -r f; do
        grep -qxF -- "$f" "$tmp/offered" || fail "bash completion of senti $c does not offer $f"
        grep -qF -- "'$f" "$tmp/zblock" || fail "zsh completion of senti $c lacks $f"
        grep -qE -- "(^|[^a-zA-Z0-9-])$f([^a-zA-Z0-9-]|\$)" "$tmp/section" ||
            { echo "man page section of senti $c does not mention $f"; bad=1; }
        n=$((n + 1))
    done <"$tmp/flags"
done
[ $bad -eq 0 ] || fail "options missing from the man page (from their --help)"
[ $n -gt 150 ] || fail "only $n options checked"
# a value is completed as a file name after an option that takes one
touch "$tmp/in.csv"
got=$(cd "$tmp" && bash -c 'source "$1"; COMP_WORDS=(senti classify -i in.c); COMP_CWORD=3; _senti; echo "${COMPREPLY[@]}"' _ "$bashc")
[ "$got" = in.csv ] || fail "classify -i in.c completes to '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(senti cla); COMP_CWORD=1; _senti; echo "${COMPREPLY[@]}"' _ "$bashc")
[ "$got" = classify ] || fail "senti cla completes to '$got'"
echo "ok ($n options)"
