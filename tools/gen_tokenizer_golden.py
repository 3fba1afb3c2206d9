#!/usr/bin/env python3
"""gen_tokenizer_golden.py - dev-only: golden tokenizations from llama.cpp.

Writes tests/data/tokenizer/<model>.jsonl (smollm2, gemma3, qwen05, qwen15),
one JSON object a line:
    {"text": str, "add_special": bool, "parse_special": bool, "ids": [int],
     "pieces": str}
`pieces` is llama.cpp's token_to_piece(special=true) of every id, concatenated
(the decoding reference). Texts that are not valid UTF-8 carry "hex" (the raw
bytes) instead of "text".

Run with the oracle venv (llama-cpp-python), from the repository root:
    /opt/oracle/bin/python tools/gen_tokenizer_golden.py [MODEL_DIR [MODEL...]]
(MODEL: smollm2 gemma3 qwen05 qwen15; default smollm2 gemma3)
Never run by `make check`. Reads ~60 SST-2 dev sentences and ~40 TweetEval
tweets from ../shared/datasets at generation time (not copied elsewhere).
"""
import csv
import ctypes
import json
import os
import random
import sys

import llama_cpp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "models")
MODELS = {"smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf",
          "qwen05": "qwen2.5-coder-0.5b-instruct.gguf", "qwen15": "qwen2.5-coder-1.5b-instruct.gguf"}
DATASETS = os.environ.get("SENTI_DATASETS", "/work/shared/datasets")
OUT_DIR = os.path.join(ROOT, "tests", "data", "tokenizer")

REVIEWS = [
    "This movie was absolutely wonderful!",
    "I didn't like it at all. The plot was boring and the acting was worse.",
    "Great film, 10/10 would watch again.",
    "Meh. It's fine, I guess...",
    "The cinematography is stunning; the script, however, is a mess.",
    "What a waste of $12.50 and two hours of my life!!!",
    "I can't believe how GOOD this was. Seriously, go see it.",
    "DON'T BUY THIS PRODUCT. IT BROKE AFTER TWO DAYS.",
    "The battery lasts about 3.5 hours, which is less than advertised.",
    "Five stars. My kids love it, and so do I :)",
    "It's not bad, but it's not great either - somewhere in between.",
    "They've done it again: another masterpiece from the studio.",
    "We'll never come back here. The service was rude and slow.",
    "She'd recommended it, so I tried it; I'm glad I did.",
    "Worst. Purchase. Ever.",
    "The food was cold, the waiter forgot our drinks, and the bill was wrong.",
    "Loved every minute of it -- the ending had me in tears.",
    "\"Best pizza in town\" my foot. It was soggy and bland.",
    "Not worth the hype... 2/5",
    "Surprisingly good! I expected nothing and got a lot.",
    "The sequel is better than the original, which is rare.",
    "I'm giving it 4 stars because shipping took 3 weeks.",
    "Amazing customer support; they replaced it within 24h.",
    "Honestly? Overrated.",
    "A slow, meandering story that never finds its footing.",
    "Charming, funny and heartfelt. A must-see for families.",
    "The soundtrack alone is worth the price of admission.",
    "Terrible acting, terrible writing, terrible everything.",
    "Pretty decent headphones for under $30 - bass is a bit weak though.",
    "I would've liked more character development, but the action scenes rock.",
    "It works as described. Nothing more, nothing less.",
    "Absolutely disgusting. Found a hair in my soup!",
    "The hotel room was spotless & the staff were friendly.",
    "Could not stop laughing; the lead actor is hilarious.",
    "You'll either love it or hate it.",
    "Too long, too loud, too dumb.",
    "A triumph of style over substance.",
    "The plot twist at the end? Predictable.",
    "I've had better coffee at gas stations.",
    "This phone's camera is incredible in low light.",
    "Disappointed. The colour faded after one wash.",
    "Brilliant performances all round, especially from the supporting cast.",
    "Not my cup of tea, but I can see why people like it.",
    "Fast delivery, well packaged, exactly as pictured.",
    "The app crashes every time I open it. Uninstalled.",
    "10 out of 10, no notes.",
    "It's the kind of film you'll think about for days.",
    "Cheap plastic, flimsy hinges, returned it the same day.",
    "A gorgeous, haunting and ultimately hopeful film.",
    "Why does everyone love this? I just don't get it.",
    "Solid 7/10. Fun, if forgettable.",
    "The dialogue felt forced and the pacing dragged.",
    "Great value for money!!! Highly recommend!!!",
    "The second half is a mess, but the first half is gold.",
    "My dog won't touch this food. Waste of money.",
    "Beautifully shot, but emotionally hollow.",
    "Customer service hung up on me twice. Unacceptable.",
    "Just perfect. Nothing else to say.",
    "I laughed, I cried, I laughed again.",
    "The instructions were useless; took me 2 hrs to assemble.",
    "Ok product. Does the job.",
    "An instant classic.",
    "Painfully unfunny and way too long (148 min!).",
    "The kids were bored within ten minutes.",
    "Wow. Just wow. Go see it NOW.",
    "Mediocre at best; I've seen better student films.",
    "Comfy shoes, true to size, would buy again.",
    "It's a 'no' from me.",
    "The villain steals every scene he's in.",
    "I'd rather watch paint dry.",
    "Works great with my Mac and my PC.",
    "Rated R for a reason, but worth it.",
    "Sound quality: excellent. Build quality: poor.",
    "The price went up 20% and the quality went down.",
    "Exceeded my expectations in every way.",
    "Hands down the best restaurant in the neighbourhood.",
    "Stale bread, weak coffee, friendly staff.",
    "This is the third one I've bought - they keep breaking.",
    "Lovely little book; read it in one sitting.",
    "Simply awful.",
]

NUMBERS = [
    "0", "7", "42", "123", "1234", "12345", "1234567890", "3.14159", "-273.15",
    "1,000,000", "1e10", "0x1F", "2024-05-17", "12:30pm", "$19.99", "50%",
    "call 555-0199 now", "v1.2.3", "Room 101, floor 3", "1st 2nd 3rd 4th",
    " 123 456 ", "١٢٣ ٤٥٦", "２０２４年", "Ⅻ ½ ² ³",
]

SPACES = [
    " ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", " \n ",
    "hello world", " hello", "hello ", "  hello  ", "hello   world", "hello\tworld",
    "hello\n\nworld", "hello \n world", "line1\nline2\nline3\n", "a  b   c    d",
    "    indented code", "\ttabbed", "trailing tabs\t\t", "mixed \t \n \r\n end",
    "          ten spaces", "x" + " " * 40 + "y", "\n\n\n\n\n\n\n\nmany newlines",
    "end with newline\n", "\u00a0nbsp\u00a0here", "ideographic\u3000space",
]

INTL = [
    "café", "naïve résumé", "Crème brûlée à la française", "Ångström", "Straße",
    "São Paulo", "El niño comió piñata", "Zürich ist schön", "ÉCOLE", "e\u0301",
    "こんにちは世界", "我喜欢这部电影", "这部电影太糟糕了！", "한국어 텍스트", "東京タワー",
    "مرحبا بالعالم", "هذا الفيلم رائع", "Привет, мир!", "Ελληνικά", "שלום",
    "हिन्दी पाठ", "ไทย", "Tiếng Việt", "İstanbul", "ﬁne ligature", "Ｆｕｌｌｗｉｄｔｈ",
    "math: ∑ ∫ √ ∞ ≠ ≤", "arrows → ← ↑", "“smart quotes” and ‘single’", "em—dash en–dash…",
    "emoji 😀😂🔥", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family", "🇫🇷 flag", "❤️ love",
    "\U0001F600", "\u2581already a block", "▁▁ lower blocks",
]

CONTROL = [
    "\x00", "a\x00b", "\x01\x02\x03", "bell\x07", "esc\x1b[0m", "\x7f", "form\x0cfeed",
    "vertical\x0btab", "\u200bzero width", "\ufeffbom", "\u0085next line",
]

CHAT_SMOL = [
    "<|im_start|>user\nhi<|im_end|>",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nIs this review positive? Great movie!<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>",
    "text<|endoftext|>more text",
    "<|im_start|><|im_end|>",
    "<|im_start|> user <|im_end|> ",
    "<|im_start|",
    "<file_sep><filename>a.py",
    "Review: good<|im_end|>\nSentiment:",
    "<jupyter_code>print(1)<jupyter_output>1",
]

CHAT_GEMMA = [
    "<start_of_turn>user\nIs this review positive? Great movie!<end_of_turn>\n<start_of_turn>model\n",
    "<start_of_turn>user\nhi<end_of_turn>",
    "<bos>hello",
    "<eos>",
    "<unk>",
    "<pad><mask>",
    "<unused0> and <unused17>",
    "text</s>more",
    "<start_of_image>",
    "[multimodal]",
    "<b>bold</b> and <i>italic</i>",
    "<table><tr><td>1</td></tr></table>",
    "<div class=\"x\">html</div>",
]

# Qwen2.5 (qwen05, qwen15 only): its own control tokens, code, digit runs.
EXTRA_QWEN = [
    "<|fim_prefix|>def f(x):<|fim_suffix|>    return y<|fim_middle|>",
    "<|repo_name|>senti<|file_sep|>src/main.c",
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n",
    "<tool_call>{\"name\": \"f\"}</tool_call>",
    "<|vision_start|><|image_pad|><|vision_end|>",
    "for (int i = 0; i < 1000000; i++) { sum += a[i] * 3.14159f; }",
    "    if x:\n        return 12345678901234567890\n\tpass",
    "printf(\"%d\\n\", 42);  // 2024-12-31T23:59:59Z",
]

PROMPTS = [
    "Review: This movie was great.\nSentiment:",
    "Review: A total mess.\nSentiment: Negative\n\nReview: Loved it!\nSentiment:",
    " positive", " negative", "Positive", "Negative", " Positive", " Negative", "positive",
    " neutral", " great", " terrible", " good", " bad",
    "Text: @user I love this!\nLabel:",
    "Q: Is the sentiment positive or negative?\nA:",
]

INVALID = [
    b"\xff", b"abc\xffdef", b"\xc3", b"caf\xc3", b"\xe2\x82", b"\x80\x80 continuation",
    b"\xed\xa0\x80 surrogate", b"\xc0\xaf overlong", b"\xf8\x88\x80\x80\x80 five-byte",
    b"ok \xfe\xfe ok", b"\xf0\x9f\x98 truncated emoji",
]


# Not included: code points above U+10FFFF (b"\xf4\x90\x80\x80"): llama.cpp's
# decoder accepts them and then throws an uncaught exception (process abort).


def read_column(path, column, n, seed):
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r[column] for r in csv.DictReader(f)]
    rng = random.Random(seed)
    return rng.sample(rows, n)


def piece(vocab, tok):
    buf = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_token_to_piece(vocab, tok, buf, 256, 0, True)
    assert 0 <= n <= 256
    return buf.raw[:n]


def entry(llm, vocab, data, add_special, parse_special):
    ids = llm.tokenize(data, add_bos=add_special, special=parse_special)
    pieces = b"".join(piece(vocab, t) for t in ids)
    e = {"add_special": add_special, "parse_special": parse_special, "ids": ids}
    try:
        e["text"] = data.decode("utf-8")
        e["pieces"] = pieces.decode("utf-8")
    except UnicodeDecodeError:
        e["hex"] = data.hex()
        e["pieces_hex"] = pieces.hex()
    return e


# Building blocks of the random mixes: case variants of contractions, every
# kind of whitespace, digits of several scripts, marks, emoji, special texts.
MIX_POOL = (list("abcXYZ '’sStTdDmMlLrReEvV0123456789.,!?;:-_()[]<>/\\\"#@$%&*+=|~`")
            + [" ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u0085", "\u3000", "\u2009"]
            + list("éüñçÆøßİı中文日한")
            + ["\U0001F600", "\u0301", "\u200b", "\x00", "\x7f", "\u0661", "\u216b", "\u00bd", "\u2581"]
            + ["<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>", "</s>", "<b>", "<unused3>"])


def random_mixes(n, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(MIX_POOL) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def corpus(extra):
    sst = read_column(os.path.join(DATASETS, "sst2", "dev.csv"), "sentence", 60, 11)
    tweets = read_column(os.path.join(DATASETS, "tweeteval", "val.csv"), "text", 40, 12)
    plain = REVIEWS + [" " + r for r in REVIEWS[:20]] + [r + "\n" for r in REVIEWS[20:30]]
    plain += sst + tweets + NUMBERS + SPACES + INTL + CONTROL + PROMPTS + [""]
    items = [(s.encode("utf-8"), True, False) for s in plain]
    items += [(s.encode("utf-8"), False, False) for s in REVIEWS[:10] + SPACES[:5] + [""]]
    items += [(s.encode("utf-8"), True, True) for s in sst[:10] + REVIEWS[30:40]]
    for s in CHAT_SMOL + CHAT_GEMMA + extra:
        for ps in (True, False):
            items.append((s.encode("utf-8"), True, ps))
            items.append((s.encode("utf-8"), False, ps))
    items += [(b, True, False) for b in INVALID]
    items += [(s.encode("utf-8"), i % 2 == 0, i % 3 == 0) for i, s in enumerate(random_mixes(60, 13))]
    return items


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    keys = sys.argv[2:] or ["smollm2", "gemma3"]
    models = [(k + ".jsonl", MODELS[k]) for k in keys]
    for out, model in models:
        llm = llama_cpp.Llama(model_path=os.path.join(MODEL_DIR, model), vocab_only=True,
                              verbose=False)
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        items = corpus(EXTRA_QWEN if out.startswith("qwen") else [])
        with open(os.path.join(OUT_DIR, out), "w", encoding="utf-8") as f:
            for data, add_special, parse_special in items:
                e = entry(llm, vocab, data, add_special, parse_special)
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
        print(out, len(items), "entries", len({d for d, _, _ in items}), "distinct strings")


if __name__ == "__main__":
    main()
