#!/usr/bin/env python3
"""Dev-only: the reference for few-shot demonstrations as chat turns
(senti classify --demo-turns): each model's own tokenizer.chat_template,
read from its GGUF, rendered with jinja2 for a conversation of two
demonstrations (user, assistant) and the scored row (user) with
add_generation_prompt. Prints C string literals pasted into
tests/check_prompt.c. Run: python3 tools/gen_chat_turns.py models"""
import struct
import sys

import jinja2

SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def read_value(f, t):
    if t == 8:
        (n,) = struct.unpack("<Q", f.read(8))
        return f.read(n).decode("utf-8")
    if t == 9:
        et, n = struct.unpack("<IQ", f.read(12))
        return [read_value(f, et) for _ in range(n)]
    fmt = "<" + SCALAR[t]
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def chat_template(path):
    with open(path, "rb") as f:
        magic, _version, _n_tensors, n_kv = struct.unpack("<4sIQQ", f.read(24))
        assert magic == b"GGUF", path
        for _ in range(n_kv):
            (n,) = struct.unpack("<Q", f.read(8))
            key = f.read(n).decode("utf-8")
            (t,) = struct.unpack("<I", f.read(4))
            value = read_value(f, t)
            if key == "tokenizer.chat_template":
                return value
    return None


def c_literal(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# Gemma 3's instruction-tuned template (text parts; images left out): the
# system text opens the first user turn, every content is trimmed.
GEMMA3 = (
    "{{ bos_token }}{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\\n' }}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}"
)

d = sys.argv[1] if len(sys.argv) > 1 else "models"
env = jinja2.Environment()
# tests/check_prompt.c test_demo_turns: instruction "Classify." (separator
# "\n\n"), demonstrations t3 -> good and t1 -> bad, scored row "fine".
msgs = [
    {"role": "user", "content": "Classify.\n\nReview: t3\nSentiment:"},
    {"role": "assistant", "content": "good"},
    {"role": "user", "content": "Review: t1\nSentiment:"},
    {"role": "assistant", "content": "bad"},
    {"role": "user", "content": "Review: fine\nSentiment:"},
]
tmpl = env.from_string(chat_template(f"{d}/SmolLM2-135M-Instruct.Q4_1.gguf"))
print("/* SmolLM2-135M-Instruct */", c_literal(tmpl.render(messages=msgs, add_generation_prompt=True)))
# Gemma: template " Review: {text}\nSentiment: " (blanks the template trims), system "Be brief."
msgs = [{"role": "system", "content": "Be brief."}] + [
    dict(m, content=" " + m["content"].replace("Classify.\n\n", "") + " ") if m["role"] == "user" else m
    for m in msgs
]
tmpl = env.from_string(GEMMA3)
print("/* Gemma 3 */", c_literal(tmpl.render(messages=msgs, add_generation_prompt=True, bos_token="")))
# Gemma, blanks that C's isspace misses and jinja's trim (str.strip) drops:
# template "\u3000\x1c Review: {text}\u00a0\u2003\x85", demonstration t3 ->
# good, scored row "café"; with the demonstration as turns, and without.
blank = lambda t: "\u3000\x1c Review: " + t + "\u00a0\u2003\x85"
msgs = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": blank("t3")},
    {"role": "assistant", "content": "good"},
    {"role": "user", "content": blank("café")},
]
print("/* Gemma 3, Unicode blanks */", c_literal(tmpl.render(messages=msgs, add_generation_prompt=True, bos_token="")))
msgs = [msgs[0], msgs[3]]
print("/* Gemma 3, Unicode blanks, no demonstrations */",
      c_literal(tmpl.render(messages=msgs, add_generation_prompt=True, bos_token="")))
