#!/usr/bin/env bash
# One status -> exit-code map (README: 2 usage or input, 3 model, 4 internal)
# for every subcommand: a broken model gives 3 in classify, run and finetune
# (run gave 2), and an unsupported input (a GGUF version 4 file,
# SENTI_ERR_UNSUPPORTED) gives 3 in finetune as in classify (finetune gave 2).
set -eu
SENTI=${SENTI:-build/senti}
MODEL=${MODEL_DIR:-models}/SmolLM2-135M-Instruct.Q4_1.gguf
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() { # code pattern args...
    local code=$1 pat=$2; shift 2
    set +e; "$SENTI" "$@" > /dev/null 2> "$T/err"; local rc=$?; set -e
    [ $rc -eq "$code" ] || fail "exit $rc, wanted $code for: $*  ($(cat "$T/err"))"
    grep -q -- "$pat" "$T/err" || fail "no '$pat' in the message of: $*  ($(cat "$T/err"))"
}

# a truncated model: a model error everywhere
head -c 5000000 "$MODEL" > "$T/trunc.gguf"
cat > "$T/x.json" <<JSON
{"name": "broken", "models": [{"name": "trunc", "path": "$T/trunc.gguf"}],
 "datasets": [{"name": "demo", "path": "$PWD/datasets/demo.csv", "id": "id", "limit": 4}],
 "verbalizers": [{"name": "demo", "path": "$PWD/verbalizers/demo.json"}],
 "strategies": [{"name": "zs", "kind": "zero-shot"}], "eval": {"bootstrap": 0}}
JSON
expect 3 "trunc.gguf" classify -m "$T/trunc.gguf" -v verbalizers/demo.json -i datasets/demo.csv -o "$T/p.csv"
expect 3 "trunc.gguf" run "$T/x.json" -o "$T/run"
expect 3 "trunc.gguf" finetune -m "$T/trunc.gguf" -v verbalizers/demo.json --train datasets/demo.csv \
    --method head -o "$T/h.json" -q
expect 3 "trunc.gguf" finetune -m "$T/trunc.gguf" -v verbalizers/demo.json --train datasets/demo.csv \
    --method lora -o "$T/a.gguf" -q

# unsupported: a GGUF version this reader does not know
{ printf 'GGUF\004\000\000\000'; head -c 64 /dev/zero; } > "$T/v4.gguf"
expect 3 "v4.gguf: GGUF version 4 is not supported" finetune -m "$T/v4.gguf" -v verbalizers/demo.json \
    --train datasets/demo.csv --method lora -o "$T/a.gguf" -q
expect 3 "v4.gguf: GGUF version 4 is not supported" classify -m "$T/v4.gguf" -v verbalizers/demo.json \
    -i datasets/demo.csv -o "$T/p.csv"

# input errors stay 2 in each
expect 2 "nope.csv" classify -m "$MODEL" -v verbalizers/demo.json -i "$T/nope.csv" -o "$T/p.csv"
expect 2 "nope.json" run "$T/nope.json" -o "$T/run2"
expect 2 "nope.csv" finetune -m "$MODEL" -v verbalizers/demo.json --train "$T/nope.csv" --method head -o "$T/h.json"

# an unknown option: exit 2, getopt's line and a pointer to --help (GNU style), not the whole usage
for cmd in model tokenize logits classify finetune eval compare run merge select report bench-prefill bench-kernels; do
    expect 2 "Try 'senti $cmd --help' for more information." "$cmd" --no-such-option
    grep -q "unrecognized option '--no-such-option'" "$T/err" || fail "$cmd: getopt's message missing: $(cat "$T/err")"
    [ "$(wc -l < "$T/err")" -eq 2 ] || fail "$cmd --no-such-option printed more than two lines: $(cat "$T/err")"
done
echo ok
