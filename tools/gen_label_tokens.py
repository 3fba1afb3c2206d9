#!/usr/bin/env python3
"""Dev-only: reference token ids for label-word continuations (llama.cpp via
llama-cpp-python) and the models' own chat templates rendered with jinja2.
Prints C initialisers pasted into tests/check_verbalizer.c / check_prompt.c.
Run: /opt/oracle/bin/python tools/gen_label_tokens.py models"""
import sys
import jinja2
import llama_cpp

d = sys.argv[1] if len(sys.argv) > 1 else "models"
cases = [
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "Review: fine\nSentiment:", [" Negative", " Positive"], False),
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "<|im_start|>user\nReview: fine\nSentiment:<|im_end|>\n<|im_start|>assistant\n",
     ["negative", "positive"], True),
    ("gemma-3-270m-q4_k_m.gguf", "Review: fine\nSentiment:", [" Negative", " Positive"], False),
    ("gemma-3-270m-q4_k_m.gguf", "fine It was", [" terrible", " great"], False),
]
for f, prompt, words, special in cases:
    m = llama_cpp.Llama(model_path=f"{d}/{f}", vocab_only=True, verbose=False)
    p = m.tokenize(prompt.encode(), add_bos=False, special=special)
    for w in words:
        full = m.tokenize((prompt + w).encode(), add_bos=False, special=special)
        assert full[:len(p)] == p, (f, w)
        print(f, repr(prompt), repr(w), full[len(p):])
    tmpl = m.metadata.get("tokenizer.chat_template")
    if tmpl:
        env = jinja2.Environment()
        msgs = [{"role": "user", "content": "Review: fine\nSentiment:"}]
        print("chat", f, repr(env.from_string(tmpl).render(messages=msgs, add_generation_prompt=True)))
        msgs = [{"role": "system", "content": "Be brief."}] + msgs
        print("chat+sys", f, repr(env.from_string(tmpl).render(messages=msgs, add_generation_prompt=True)))
