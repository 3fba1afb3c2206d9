"""prompts.py - the prompt set for the llama.cpp logit fixtures (dev-only).

Contract: build_prompts(model_key, n_tokens) returns a list of (name, text)
pairs, at least 30, each 5..500 tokens long for that model. `n_tokens(text)`
is the caller's llama.cpp token counter (BOS included when the model adds
one); it is used to grow the long prompts from real SST-2 dev sentences up to
a token budget. Everything is deterministic: same dataset file, same model
tokenizer -> same prompts.

Chat-formatted prompts use each model's own turn markers written out by hand
(ChatML for SmolLM2 and the Qwen2.5 models, <start_of_turn>/<end_of_turn> for
Gemma 3); BOS is not
written into the text: the tokenizer adds it when the model's metadata says so.
"""

import csv
import os

SST2_DEV = os.environ.get(
    "SENTI_SST2_DEV",
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                 "datasets", "sst2", "dev.csv"))


def load_sst2_dev(path=SST2_DEV):
    """Rows of SST-2 dev as (sentence, label int) in file order."""
    with open(path, newline="", encoding="utf-8") as f:
        return [(r["sentence"], int(r["label"])) for r in csv.DictReader(f)]


WORD = {0: "negative", 1: "positive"}

CHATML = {"smollm2", "qwen05", "qwen15"}  # models whose turns are <|im_start|>role ... <|im_end|>

# Hand-written reviews (our own sentences), chosen to cover punctuation,
# digits, accents, emoji, CJK, runs of whitespace and mixed sentiment.
REVIEWS = [
    ("rev_short_pos", "An absolute delight from start to finish."),
    ("rev_short_neg", "I want those two hours of my life back."),
    ("rev_restaurant",
     "We waited forty minutes for a table, but the soup was worth it. The "
     "staff were friendly and the bread came out warm. Dessert was forgettable."),
    ("rev_product",
     "The battery died after three days and support never answered my "
     "emails. Avoid this charger."),
    ("rev_mixed",
     "Gorgeous cinematography, a haunting score, and a script that falls "
     "apart in the third act. I can't decide whether I liked it."),
    ("rev_numbers",
     "Stayed 4 nights in room 312; paid $189/night. Clean, quiet, 8/10 - "
     "would return in 2025."),
    ("rev_punct", "WOW!!! Best. Pizza. Ever... (seriously, go)"),
    ("rev_accents",
     "The caf\u00e9's cr\u00e8me br\u00fbl\u00e9e was na\u00efve perfection "
     "\u2014 tr\u00e8s bien, sehr gut!"),
    ("rev_emoji",
     "Loved it \U0001F60D\U0001F60D but that ending \U0001F622 #cinema "
     "@moviebuff"),
    ("rev_whitespace", "Good   plot.\n\nBad\tacting.  Overall:   meh."),
    ("rev_cjk",
     "\u8fd9\u90e8\u7535\u5f71\u5f88\u597d\u770b\u3002 The film is good, "
     "\u3068\u3066\u3082\u826f\u3044\u3002"),
    ("rev_tweet",
     "@user honestly the new update is trash, app crashes every time I open "
     "it smh https://t.co/xyz"),
    ("continuation", "I think the movie was"),
    ("rev_rating", "Rated 2.5 out of 5 stars (1,024 reviews). Meh."),
]

# Indices into SST-2 dev used as stand-alone SST-style prompts and as
# few-shot demonstrations (fixed, so fixtures are reproducible).
SST_SINGLE = [0, 7, 31, 64, 128, 256, 511]
SST_DEMOS = [1, 2, 3, 40, 41, 42, 100, 101, 300, 301, 600, 601]


def fewshot(rows, demo_idx, query, instruction=None):
    """'Review: ...\\nSentiment: label\\n\\n' blocks, then the query block."""
    parts = [instruction + "\n\n"] if instruction else []
    for i in demo_idx:
        s, y = rows[i]
        parts.append("Review: %s\nSentiment: %s\n\n" % (s, WORD[y]))
    parts.append("Review: %s\nSentiment:" % query)
    return "".join(parts)


def chat(model_key, turns, system=None):
    """Render [(role, text)] with the model's turn markers, ending with an
    open assistant turn. Gemma has no system role: it joins the first user
    turn, as its own template does."""
    out = []
    if model_key in CHATML:
        if system:
            out.append("<|im_start|>system\n%s<|im_end|>\n" % system)
        for role, text in turns:
            out.append("<|im_start|>%s\n%s<|im_end|>\n" % (role, text))
        out.append("<|im_start|>assistant\n")
    else:
        for k, (role, text) in enumerate(turns):
            if k == 0 and system:
                text = system + "\n\n" + text
            r = "model" if role == "assistant" else "user"
            out.append("<start_of_turn>%s\n%s<end_of_turn>\n" % (r, text))
        out.append("<start_of_turn>model\n")
    return "".join(out)


def grow(rows, start, budget, n_tokens, sep=" "):
    """Concatenate SST-2 dev sentences from `start` in file order, skipping
    any that would push the token count over `budget`, until within 4 tokens
    of it (or 60 sentences in a row did not fit)."""
    text, i, misses = "", start, 0
    while i < len(rows) and misses < 60 and n_tokens(text or "x") < budget - 4:
        cand = (text + sep if text else "") + rows[i][0]
        if n_tokens(cand) <= budget:
            text, misses = cand, 0
        else:
            misses += 1
        i += 1
    return text


def grow_fewshot(rows, start, budget, n_tokens, query):
    """Few-shot prompt with as many SST-2 dev demonstrations as fit."""
    demos, i = [], start
    while i < len(rows):
        if n_tokens(fewshot(rows, demos + [i], query)) > budget:
            break
        demos.append(i)
        i += 1
    return fewshot(rows, demos, query)


def build_prompts(model_key, n_tokens):
    rows = load_sst2_dev()
    p = list(REVIEWS)
    for i in SST_SINGLE:
        p.append(("sst_dev_%d" % i, rows[i][0]))
    q = "the acting is wooden and the plot is predictable ."
    p.append(("zeroshot", "Review: %s\nSentiment:" % q))
    p.append(("zeroshot_instr", fewshot(
        rows, [], rows[9][0],
        "Classify the sentiment of each movie review as positive or negative.")))
    p.append(("zeroshot_trailing_space",
              "Review: a warm , funny , engaging film .\nSentiment: "))
    p.append(("fewshot_2", fewshot(rows, SST_DEMOS[:2], rows[12][0])))
    p.append(("fewshot_4", fewshot(rows, SST_DEMOS[:4], rows[13][0])))
    p.append(("fewshot_8_instr", fewshot(
        rows, SST_DEMOS[:8], rows[14][0],
        "Classify the sentiment of each movie review as positive or negative.")))
    p.append(("qa_style",
              "Question: Is the following review positive or negative?\n"
              "Review: %s\nAnswer:" % rows[20][0]))
    sysmsg = "You are a sentiment classifier. Answer with one word."
    p.append(("chat_system", chat(model_key, [(
        "user", "Is this review positive or negative?\n\n" + rows[21][0])],
        sysmsg)))
    p.append(("chat_user", chat(model_key, [(
        "user", "What is the sentiment of: \"%s\"" % REVIEWS[4][1])])))
    p.append(("chat_multiturn", chat(model_key, [
        ("user", "Sentiment of: " + rows[22][0]),
        ("assistant", WORD[rows[22][1]]),
        ("user", "Sentiment of: " + rows[23][0])], sysmsg)))
    p.append(("chat_fewshot", chat(model_key, [(
        "user", fewshot(rows, SST_DEMOS[8:12], rows[24][0]))])))
    p.append(("long_120", grow(rows, 150, 120, n_tokens)))
    p.append(("long_250", grow(rows, 200, 250, n_tokens)))
    p.append(("fewshot_long_400", grow_fewshot(
        rows, 400, 400, n_tokens, rows[25][0])))
    p.append(("long_500", grow(rows, 700, 500, n_tokens)))
    return p
