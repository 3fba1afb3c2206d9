/*
 * check_prompt.c - template rendering, prompt layout, chat wrapping against
 * the models' own chat templates (rendered with jinja2 by
 * tools/gen_label_tokens.py), demonstration sampling rules and the context
 * budget. Expected strings are written out by hand from the rules in
 * senti/prompt.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "senti/gguf.h"
#include "senti/prompt.h"
#include "testutil.h"

static senti_verbalizer *load_verb(const char *json)
{
    senti_verbalizer *v;
    senti_err e = {0};
    ck_assert_msg(senti_verbalizer_parse(json, strlen(json), "t.json", &v, &e) == SENTI_OK, "%s", e.msg);
    return v;
}

static const char *BIN = "{\"labels\": {\"neg\": [\"bad\"], \"pos\": [\"good\"]}}";

/* n training rows "t1".."tn"; row i (1-based) is "pos" when i is in pos_rows pattern (i % 3 == 0), else "neg". */
static senti_examples *make_train(size_t n)
{
    senti_examples *ex = calloc(1, sizeof *ex);
    ex->items = calloc(n, sizeof *ex->items);
    ex->n = n;
    ex->path = strdup("train.csv");
    ex->has_label = true;
    for (size_t i = 0; i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "t%zu", i + 1);
        ex->items[i].row = i + 1;
        ex->items[i].line = i + 2;
        ex->items[i].text = strdup(buf);
        ex->items[i].text_len = strlen(buf);
        ex->items[i].label = strdup((i + 1) % 3 == 0 ? "pos" : "neg");
    }
    return ex;
}

START_TEST(test_render_and_zero_shot)
{
    char *r = senti_template_render("Q: {text} -> {label} {x}", "abc", 2, "L");
    ck_assert_str_eq(r, "Q: ab -> L {x}");
    free(r);
    senti_verbalizer *v = load_verb(BIN);
    senti_prompt *p;
    senti_prompt_text pt;
    senti_err e;
    ck_assert_int_eq(senti_prompt_create(NULL, v, &p, &e), SENTI_OK);
    ck_assert_str_eq(senti_prompt_template(p), SENTI_DEFAULT_TEMPLATE);
    ck_assert_int_eq(senti_prompt_tok_flags(p), SENTI_TOK_ADD_SPECIAL);
    ck_assert_int_eq(senti_prompt_build(p, NULL, NULL, "good film", 9, &pt, &e), SENTI_OK);
    ck_assert_str_eq(pt.prefix, "");
    ck_assert_str_eq(pt.suffix, "Review: good film\nSentiment:");
    ck_assert_uint_eq(pt.suffix_len, 28);
    senti_prompt_free(p);

    senti_prompt_params pp = senti_prompt_default_params();
    pp.tmpl = "no placeholder";
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_ERR_ARG);
    ck_assert_str_eq(e.msg, "template \"no placeholder\": must contain {text} exactly once");
    pp.tmpl = NULL;
    pp.demo_template = "{text}";
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_ERR_ARG);
    ck_assert_str_eq(e.msg, "demonstration template \"{text}\": must contain {label} exactly once");
    senti_verbalizer_free(v);
}
END_TEST

START_TEST(test_few_shot_layout)
{
    senti_verbalizer *v = load_verb(BIN);
    senti_examples *tr = make_train(6);
    senti_prompt_params pp = senti_prompt_default_params();
    pp.instruction = "Classify.";
    pp.tmpl = "In: {text}\nOut:";
    senti_prompt *p;
    senti_prompt_text pt;
    senti_err e;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    size_t idx[] = {2, 0};
    senti_demo_set ds = {idx, 2, true};
    ck_assert_int_eq(senti_prompt_build(p, tr, &ds, "row", 3, &pt, &e), SENTI_OK);
    ck_assert_str_eq(pt.prefix, "Classify.\n\nIn: t3\nOut: good\n\nIn: t1\nOut: bad");
    ck_assert_str_eq(pt.suffix, "\n\nIn: row\nOut:");
    ck_assert_uint_eq(pt.n_demos, 2);
    senti_prompt_free(p);

    /* explicit demonstration template and separator */
    pp.instruction = "";
    pp.demo_template = "{text} => {label}";
    pp.separator = " | ";
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert_int_eq(senti_prompt_build(p, tr, &ds, "row", 3, &pt, &e), SENTI_OK);
    ck_assert_str_eq(pt.prefix, "t3 => good | t1 => bad");
    ck_assert_str_eq(pt.suffix, " | In: row\nOut:");
    senti_prompt_free(p);
    senti_examples_free(tr);
    senti_verbalizer_free(v);
}
END_TEST

/* The SmolLM2 GGUF's chat template, rendered by jinja2 for one user message
 * "Review: fine\nSentiment:" with add_generation_prompt (tools/gen_label_tokens.py). */
static const char *SMOL_CHAT =
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nReview: fine\nSentiment:<|im_end|>\n<|im_start|>assistant\n";
static const char *SMOL_CHAT_SYS =
    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nReview: fine\nSentiment:<|im_end|>\n"
    "<|im_start|>assistant\n";

static char *joined(const senti_prompt_text *pt)
{
    char *s = malloc(pt->prefix_len + pt->suffix_len + 1);
    memcpy(s, pt->prefix, pt->prefix_len);
    memcpy(s + pt->prefix_len, pt->suffix, pt->suffix_len + 1);
    return s;
}

/* The chat format of the SmolLM2 GGUF (clear with senti_chat_info_clear). */
static senti_chat_info smollm2_chat(void)
{
    senti_gguf *g;
    senti_chat_info ci;
    senti_err e = {0};
    ck_assert_msg(senti_gguf_open(tu_model_path(TU_SMOLLM2), &g, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(senti_chat_from_gguf(g, &ci, &e), SENTI_OK);
    senti_gguf_close(g);
    return ci;
}

START_TEST(test_chatml_smollm2)
{
    senti_chat_info ci = smollm2_chat();
    senti_err e = {0};
    ck_assert_int_eq(ci.format, SENTI_CHAT_CHATML);
    ck_assert_str_eq(senti_chat_format_name(ci.format), "chatml");
    ck_assert_str_eq(ci.default_system, "You are a helpful AI assistant named SmolLM, trained by Hugging Face");

    senti_verbalizer *v = load_verb(BIN);
    senti_prompt_params pp = senti_prompt_default_params();
    pp.chat = ci.format;
    pp.chat_default_system = ci.default_system;
    senti_prompt *p;
    senti_prompt_text pt;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert_int_eq(senti_prompt_tok_flags(p), SENTI_TOK_ADD_SPECIAL | SENTI_TOK_PARSE_SPECIAL);
    ck_assert_int_eq(senti_prompt_build(p, NULL, NULL, "fine", 4, &pt, &e), SENTI_OK);
    char *s = joined(&pt);
    ck_assert_str_eq(s, SMOL_CHAT);
    ck_assert_str_eq(pt.suffix, "Review: fine\nSentiment:<|im_end|>\n<|im_start|>assistant\n");
    free(s);
    senti_prompt_free(p);

    pp.system = "Be brief.";
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert_int_eq(senti_prompt_build(p, NULL, NULL, "fine", 4, &pt, &e), SENTI_OK);
    s = joined(&pt);
    ck_assert_str_eq(s, SMOL_CHAT_SYS);
    free(s);
    senti_prompt_free(p);
    senti_verbalizer_free(v);
    senti_chat_info_clear(&ci);
}
END_TEST

/* The one --chat parser and the chat set-up classify and fine-tuning share. */
START_TEST(test_chat_mode)
{
    senti_chat_mode m = SENTI_CHAT_MODE_ON;
    senti_err e = {0};
    ck_assert_int_eq(senti_chat_mode_parse("auto", &m, &e), SENTI_OK);
    ck_assert_int_eq(m, -1);
    ck_assert_int_eq(senti_chat_mode_parse("off", &m, &e), SENTI_OK);
    ck_assert_int_eq(m, 0);
    ck_assert_int_eq(senti_chat_mode_parse("on", &m, &e), SENTI_OK);
    ck_assert_int_eq(m, 1);
    ck_assert_int_eq(senti_chat_mode_parse("On", &m, &e), SENTI_ERR_ARG);
    ck_assert_str_eq(e.msg, "unknown chat mode \"On\" (auto, on, off)");
    ck_assert_int_eq(m, 1); /* untouched on error */

    senti_gguf *g;
    senti_chat_info ci;
    ck_assert_msg(senti_gguf_open(tu_model_path(TU_SMOLLM2), &g, &e) == SENTI_OK, "%s", e.msg);
    const int modes[] = {SENTI_CHAT_MODE_AUTO, SENTI_CHAT_MODE_ON, SENTI_CHAT_MODE_OFF};
    const senti_chat_format want[] = {SENTI_CHAT_CHATML, SENTI_CHAT_CHATML, SENTI_CHAT_NONE};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(senti_chat_setup(g, modes[i], &ci, &e), SENTI_OK);
        ck_assert_int_eq(ci.format, want[i]);
        senti_chat_info_clear(&ci);
    }
    senti_gguf_close(g);
}
END_TEST

START_TEST(test_gemma_format)
{
    /* Gemma 3 270m (base) has no chat template: plain prompts. */
    senti_gguf *g;
    senti_chat_info ci;
    senti_err e = {0};
    ck_assert_msg(senti_gguf_open(tu_model_path(TU_GEMMA3), &g, &e) == SENTI_OK, "%s", e.msg);
    ck_assert_int_eq(senti_chat_from_gguf(g, &ci, &e), SENTI_OK);
    senti_gguf_close(g);
    ck_assert_int_eq(ci.format, SENTI_CHAT_NONE);

    /* The instruction-tuned Gemma 3 template (its turn markers; system text is
     * prefixed to the first user turn, content trimmed). */
    const char *t = "{{ bos_token }}{%- for message in messages -%}{{ '<start_of_turn>' + role + '\\n' }}"
                    "{{ message['content'] | trim }}{{ '<end_of_turn>\\n' }}{%- endfor -%}"
                    "{%- if add_generation_prompt -%}{{'<start_of_turn>model\\n'}}{%- endif -%}";
    ck_assert_int_eq(senti_chat_detect(t, strlen(t), &ci, &e), SENTI_OK);
    ck_assert_int_eq(ci.format, SENTI_CHAT_GEMMA);
    ck_assert_ptr_null(ci.default_system);

    senti_verbalizer *v = load_verb(BIN);
    senti_examples *tr = make_train(3);
    senti_prompt_params pp = senti_prompt_default_params();
    pp.chat = SENTI_CHAT_GEMMA;
    pp.tmpl = " Review: {text}\nSentiment: ";
    senti_prompt *p;
    senti_prompt_text pt;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert_int_eq(senti_prompt_build(p, NULL, NULL, "fine", 4, &pt, &e), SENTI_OK);
    char *s = joined(&pt);
    ck_assert_str_eq(s, "<start_of_turn>user\nReview: fine\nSentiment:<end_of_turn>\n<start_of_turn>model\n");
    free(s);
    senti_prompt_free(p);

    pp.system = "Be brief.";
    pp.tmpl = "Review: {text}\nSentiment:";
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    size_t idx[] = {2};
    senti_demo_set ds = {idx, 1, true};
    ck_assert_int_eq(senti_prompt_build(p, tr, &ds, "fine", 4, &pt, &e), SENTI_OK);
    ck_assert_str_eq(pt.prefix, "<start_of_turn>user\nBe brief.\n\nReview: t3\nSentiment: good");
    ck_assert_str_eq(pt.suffix, "\n\nReview: fine\nSentiment:<end_of_turn>\n<start_of_turn>model\n");
    senti_prompt_free(p);
    senti_examples_free(tr);
    senti_verbalizer_free(v);
}
END_TEST

/* Demonstrations as chat turns: the references are the models' chat
 * templates rendered by jinja2 for the same conversation (two
 * demonstrations, then the row; tools/gen_chat_turns.py): SmolLM2's own
 * ChatML template, and Gemma 3's instruction-tuned one (system text in the
 * first user turn, every content trimmed, Unicode blanks too). */
static const char *SMOL_TURNS =
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>"
    "user\nClassify.\n\nReview: t3\nSentiment:<|im_end|>\n<|im_start|>assistant\ngood<|im_end|>\n<|im_start|>user\n"
    "Review: t1\nSentiment:<|im_end|>\n<|im_start|>assistant\nbad<|im_end|>\n<|im_start|>user\nReview: fine\n"
    "Sentiment:<|im_end|>\n<|im_start|>assistant\n";
static const char *GEMMA_TURNS =
    "<start_of_turn>user\nBe brief.\n\nReview: t3\nSentiment:<end_of_turn>\n<start_of_turn>model\ngood<end_of_turn>\n"
    "<start_of_turn>user\nReview: t1\nSentiment:<end_of_turn>\n<start_of_turn>model\nbad<end_of_turn>\n"
    "<start_of_turn>user\nReview: fine\nSentiment:<end_of_turn>\n<start_of_turn>model\n";

static const char *GEMMA_TURNS_BLANKS =
    "<start_of_turn>user\nBe brief.\n\nReview: t3<end_of_turn>\n<start_of_turn>model\ngood<end_of_turn>\n"
    "<start_of_turn>user\nReview: caf\xc3\xa9<end_of_turn>\n<start_of_turn>model\n";
static const char *GEMMA_BLANKS = "<start_of_turn>user\nBe brief.\n\nReview: caf\xc3\xa9<end_of_turn>\n<start_of_turn>model\n";

START_TEST(test_demo_turns)
{
    senti_chat_info ci = smollm2_chat();
    senti_err e = {0};
    senti_verbalizer *v = load_verb(BIN);
    senti_examples *tr = make_train(3);
    size_t idx[] = {2, 0};
    senti_demo_set ds = {idx, 2, true};
    senti_prompt_params pp = senti_prompt_default_params();
    pp.chat = ci.format;
    pp.chat_default_system = ci.default_system;
    pp.instruction = "Classify.";
    pp.demo_turns = true;
    senti_prompt *p;
    senti_prompt_text pt;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert(senti_prompt_demo_turns(p));
    ck_assert_int_eq(senti_prompt_build(p, tr, &ds, "fine", 4, &pt, &e), SENTI_OK);
    char *s = joined(&pt);
    ck_assert_str_eq(s, SMOL_TURNS);
    free(s);
    /* the cut: the shared prefix ends with the last label word, the suffix opens with a special token
     * (tokenizers never merge across it, as they could merge a newline that ends the prefix with one
     * that starts the row) */
    ck_assert_str_eq(pt.suffix, "<|im_end|>\n<|im_start|>user\nReview: fine\nSentiment:<|im_end|>\n<|im_start|>assistant\n");
    ck_assert_uint_eq(pt.prefix_len, strlen(SMOL_TURNS) - strlen(pt.suffix));
    ck_assert_str_eq(pt.prefix + pt.prefix_len - 3, "bad");
    ck_assert_uint_eq(pt.n_demos, 2);
    /* without demonstrations: the prompt without demo_turns */
    ck_assert_int_eq(senti_prompt_build(p, NULL, NULL, "fine", 4, &pt, &e), SENTI_OK);
    s = joined(&pt);
    senti_prompt_free(p);
    pp.demo_turns = false;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert_int_eq(senti_prompt_build(p, NULL, NULL, "fine", 4, &pt, &e), SENTI_OK);
    char *s0 = joined(&pt);
    ck_assert_str_eq(s, s0);
    free(s), free(s0);
    senti_prompt_free(p);
    senti_chat_info_clear(&ci);

    pp = senti_prompt_default_params();
    pp.chat = SENTI_CHAT_GEMMA;
    pp.system = "Be brief.";
    pp.tmpl = " Review: {text}\nSentiment: ";
    pp.demo_turns = true;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert_int_eq(senti_prompt_build(p, tr, &ds, "fine", 4, &pt, &e), SENTI_OK);
    s = joined(&pt);
    ck_assert_str_eq(s, GEMMA_TURNS);
    free(s);
    senti_prompt_free(p);

    /* blanks that C's isspace misses and jinja's trim drops (ideographic, no-break and em spaces, U+001C,
     * U+0085), a multi-byte letter before them kept; with a demonstration as turns and without */
    pp.tmpl = "\xe3\x80\x80\x1c Review: {text}\xc2\xa0\xe2\x80\x83\xc2\x85";
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    senti_demo_set one = {idx, 1, true};
    ck_assert_int_eq(senti_prompt_build(p, tr, &one, "caf\xc3\xa9", 5, &pt, &e), SENTI_OK);
    s = joined(&pt);
    ck_assert_str_eq(s, GEMMA_TURNS_BLANKS);
    free(s);
    ck_assert_int_eq(senti_prompt_build(p, NULL, NULL, "caf\xc3\xa9", 5, &pt, &e), SENTI_OK);
    s = joined(&pt);
    ck_assert_str_eq(s, GEMMA_BLANKS);
    free(s);
    senti_prompt_free(p);

    /* plain prompts have no turns: the setting has no effect */
    pp = senti_prompt_default_params();
    pp.demo_turns = true;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    ck_assert(!senti_prompt_demo_turns(p));
    senti_prompt_free(p);
    /* a demonstration template says how a demonstration reads: not with turns */
    pp.chat = SENTI_CHAT_CHATML;
    pp.demo_template = "{text} => {label}";
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_ERR_ARG);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(e.msg, "demonstrations as chat turns take the question from the template and the answer from "
                            "the label word: drop the demonstration template \"{text} => {label}\"");
    senti_examples_free(tr);
    senti_verbalizer_free(v);
}
END_TEST

static size_t count_bytes(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    (void)text;
    return len;
}

START_TEST(test_context_budget)
{
    senti_verbalizer *v = load_verb(BIN);
    senti_examples *tr = make_train(3);
    senti_prompt_params pp = senti_prompt_default_params();
    pp.tmpl = "{text}:";
    senti_prompt *p;
    senti_prompt_text pt;
    senti_err e;
    ck_assert_int_eq(senti_prompt_create(&pp, v, &p, &e), SENTI_OK);
    size_t idx[] = {0, 1, 2};
    senti_demo_set ds = {idx, 3, true};
    /* Full prompt "t1: bad\n\nt2: bad\n\nt3: good\n\nhello world:" = 7+2+7+2+8+2+12 = 40 bytes. */
    ck_assert_int_eq(senti_prompt_fit(p, tr, &ds, "hello world", 11, 45, 4, count_bytes, NULL, &pt, &e), SENTI_OK);
    ck_assert_uint_eq(pt.n_tokens, 40);
    ck_assert_uint_eq(pt.n_demos, 3);
    ck_assert(!pt.truncated);
    /* 43 - 4 = 39 < 40: drop t3 (the last): "t1: bad\n\nt2: bad\n\nhello world:" = 30 */
    ck_assert_int_eq(senti_prompt_fit(p, tr, &ds, "hello world", 11, 43, 4, count_bytes, NULL, &pt, &e), SENTI_OK);
    ck_assert_uint_eq(pt.n_demos, 2);
    ck_assert_uint_eq(pt.n_dropped, 1);
    ck_assert_str_eq(pt.prefix, "t1: bad\n\nt2: bad");
    ck_assert_uint_eq(pt.n_tokens, 30);
    /* Budget 10 with reserve 2: no demos, "hello w" + ":" = 8 bytes */
    ck_assert_int_eq(senti_prompt_fit(p, tr, &ds, "hello world", 11, 10, 2, count_bytes, NULL, &pt, &e), SENTI_OK);
    ck_assert_uint_eq(pt.n_demos, 0);
    ck_assert_uint_eq(pt.n_dropped, 3);
    ck_assert(pt.truncated);
    ck_assert_uint_eq(pt.text_len_used, 7);
    ck_assert_str_eq(pt.suffix, "hello w:");
    /* A cut never splits a UTF-8 character: "h\xC3\xA9llo" (é is 2 bytes), room for 2 text bytes -> "h" */
    ck_assert_int_eq(senti_prompt_fit(p, NULL, NULL, "h\xC3\xA9llo", 6, 3, 0, count_bytes, NULL, &pt, &e), SENTI_OK);
    ck_assert_str_eq(pt.suffix, "h:");
    ck_assert_uint_eq(pt.text_len_used, 1);
    ck_assert_int_eq(senti_prompt_fit(p, NULL, NULL, "x", 1, 3, 3, count_bytes, NULL, &pt, &e), SENTI_ERR_RANGE);
    senti_prompt_free(p);
    senti_examples_free(tr);
    senti_verbalizer_free(v);
}
END_TEST

static bool in_set(const senti_demo_set *d, size_t i)
{
    for (size_t k = 0; k < d->n; k++)
        if (d->idx[k] == i)
            return true;
    return false;
}

START_TEST(test_sampling_reproducible)
{
    senti_verbalizer *v = load_verb(BIN);
    senti_examples *tr = make_train(30);
    senti_demo_params dp = senti_demo_default_params();
    dp.shots = 4;
    dp.seed = 11;
    senti_demo_sampler *a, *b, *c;
    senti_err e;
    ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &a, &e), SENTI_OK);
    ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &b, &e), SENTI_OK);
    dp.seed = 12;
    ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &c, &e), SENTI_OK);
    senti_demo_set sa = senti_demo_sampler_shared(a), sb = senti_demo_sampler_shared(b),
                   sc = senti_demo_sampler_shared(c);
    ck_assert_uint_eq(sa.n, 4);
    ck_assert_mem_eq(sa.idx, sb.idx, 4 * sizeof(size_t));
    ck_assert_int_ne(memcmp(sa.idx, sc.idx, 4 * sizeof(size_t)), 0);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_uint_ne(sa.idx[i], sa.idx[j]);
    senti_demo_sampler_free(a);
    senti_demo_sampler_free(b);
    senti_demo_sampler_free(c);

    /* per-row: the set of a row depends only on (seed, row), not on call order */
    dp.per_row = true;
    ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &a, &e), SENTI_OK);
    ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &b, &e), SENTI_OK);
    senti_demo_set d1, d2;
    size_t first[4];
    ck_assert_int_eq(senti_demo_sampler_draw(a, 5, NULL, &d1, &e), SENTI_OK);
    memcpy(first, d1.idx, sizeof first);
    ck_assert(!d1.shared);
    ck_assert_int_eq(senti_demo_sampler_draw(b, 9, NULL, &d2, &e), SENTI_OK);
    ck_assert_int_eq(senti_demo_sampler_draw(b, 5, NULL, &d2, &e), SENTI_OK);
    ck_assert_mem_eq(first, d2.idx, sizeof first);
    ck_assert_int_eq(senti_demo_sampler_draw(b, 6, NULL, &d2, &e), SENTI_OK);
    ck_assert_int_ne(memcmp(first, d2.idx, sizeof first), 0);
    senti_demo_sampler_free(a);
    senti_demo_sampler_free(b);
    senti_examples_free(tr);
    senti_verbalizer_free(v);
}
END_TEST

START_TEST(test_never_the_scored_row)
{
    senti_verbalizer *v = load_verb(BIN);
    senti_examples *tr = make_train(12);
    senti_err e;
    for (int per_row = 0; per_row < 2; per_row++) {
        for (uint64_t seed = 1; seed <= 20; seed++) {
            senti_demo_params dp = senti_demo_default_params();
            dp.shots = 4;
            dp.seed = seed;
            dp.same_file = true;
            dp.per_row = per_row;
            dp.sampling = seed % 2 ? SENTI_DEMO_BALANCED : SENTI_DEMO_RANDOM;
            senti_demo_sampler *s;
            ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &s, &e), SENTI_OK);
            senti_demo_set sh = senti_demo_sampler_shared(s);
            size_t shared[4];
            if (!per_row)
                memcpy(shared, sh.idx, sizeof shared);
            for (size_t row = 1; row <= 12; row++) {
                senti_demo_set d;
                ck_assert_int_eq(senti_demo_sampler_draw(s, row, NULL, &d, &e), SENTI_OK);
                ck_assert_uint_eq(d.n, 4);
                ck_assert(!in_set(&d, row - 1));
                if (!per_row) {
                    bool was_in = false;
                    for (size_t k = 0; k < 4; k++) {
                        was_in |= shared[k] == row - 1;
                        /* replaced at the same position by a row of the same class */
                        if (shared[k] == row - 1)
                            ck_assert_str_eq(tr->items[d.idx[k]].label, tr->items[row - 1].label);
                        else
                            ck_assert_uint_eq(d.idx[k], shared[k]);
                    }
                    ck_assert(d.shared == !was_in);
                }
            }
            senti_demo_sampler_free(s);
        }
    }
    senti_examples_free(tr);
    senti_verbalizer_free(v);
}
END_TEST

START_TEST(test_balanced_and_order)
{
    senti_verbalizer *v = load_verb(BIN);
    senti_examples *tr = make_train(30); /* 10 pos (rows 3, 6, ..), 20 neg */
    senti_err e;
    size_t extra_to_pos = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        senti_demo_params dp = senti_demo_default_params();
        dp.shots = 5;
        dp.seed = seed;
        dp.sampling = SENTI_DEMO_BALANCED;
        dp.order = SENTI_ORDER_INTERLEAVED;
        senti_demo_sampler *s;
        ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &s, &e), SENTI_OK);
        senti_demo_set d = senti_demo_sampler_shared(s);
        size_t pos = 0;
        for (size_t k = 0; k < 5; k++)
            pos += strcmp(tr->items[d.idx[k]].label, "pos") == 0;
        ck_assert(pos == 2 || pos == 3);
        extra_to_pos += pos == 3;
        /* interleaved in label order: neg, pos, neg, pos, then the class with 3 */
        for (size_t k = 0; k < 4; k++)
            ck_assert_str_eq(tr->items[d.idx[k]].label, k % 2 ? "pos" : "neg");
        ck_assert_uint_lt(d.idx[0], d.idx[2]); /* each class in file order */
        senti_demo_sampler_free(s);

        dp.order = SENTI_ORDER_FIXED;
        ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &s, &e), SENTI_OK);
        d = senti_demo_sampler_shared(s);
        for (size_t k = 1; k < 5; k++)
            ck_assert_uint_lt(d.idx[k - 1], d.idx[k]);
        senti_demo_sampler_free(s);
    }
    /* The odd shot goes to either class at random: both happen over 40 seeds. */
    ck_assert_uint_gt(extra_to_pos, 5);
    ck_assert_uint_lt(extra_to_pos, 35);

    senti_demo_params dp = senti_demo_default_params();
    dp.shots = 24;
    dp.sampling = SENTI_DEMO_BALANCED;
    senti_demo_sampler *s;
    ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &s, &e), SENTI_ERR_RANGE);
    ck_assert_str_eq(e.msg, "train.csv: 12 demonstrations needed from class \"pos\", only 10 rows available");
    free(tr->items[4].label);
    tr->items[4].label = strdup("meh");
    dp.shots = 2;
    ck_assert_int_eq(senti_demo_sampler_create(tr, v, &dp, &s, &e), SENTI_ERR_NOTFOUND);
    ck_assert_str_eq(e.msg, "train.csv:6: label \"meh\" (row 5) is not in verbalizer \"t\"");
    senti_demo_sampling sm;
    senti_demo_order od;
    ck_assert_int_eq(senti_demo_sampling_parse("balanced", &sm, &e), SENTI_OK);
    ck_assert_int_eq(sm, SENTI_DEMO_BALANCED);
    ck_assert_int_eq(senti_demo_order_parse("interleaved", &od, &e), SENTI_OK);
    ck_assert_int_eq(od, SENTI_ORDER_INTERLEAVED);
    ck_assert_int_eq(senti_demo_order_parse("sorted", &od, &e), SENTI_ERR_ARG);
    senti_examples_free(tr);
    senti_verbalizer_free(v);
}
END_TEST

Suite *prompt_suite(void);
Suite *prompt_suite(void)
{
    Suite *s = suite_create("prompt");
    TCase *tc = tcase_create("prompt");
    tcase_add_test(tc, test_render_and_zero_shot);
    tcase_add_test(tc, test_few_shot_layout);
    tcase_add_test(tc, test_chatml_smollm2);
    tcase_add_test(tc, test_chat_mode);
    tcase_add_test(tc, test_gemma_format);
    tcase_add_test(tc, test_demo_turns);
    tcase_add_test(tc, test_context_budget);
    tcase_add_test(tc, test_sampling_reproducible);
    tcase_add_test(tc, test_never_the_scored_row);
    tcase_add_test(tc, test_balanced_and_order);
    suite_add_tcase(s, tc);
    return s;
}
