/*
 * cli_common.c - what several subcommands share: the default model path and
 * the option table of the predictions reader and evaluation settings.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "senti/prompt.h"

const char *senti_cli_default_model(void)
{
    static char path[4096];
    const char *env = getenv("SENTI_MODEL");
    if (env && *env)
        return env;
    const char *dir = getenv("SENTI_MODEL_DIR");
    snprintf(path, sizeof path, "%s/SmolLM2-135M-Instruct.Q4_1.gguf", dir && *dir ? dir : "models");
    return path;
}

int senti_cli_eval_opt(int c, const char *arg, senti_predfile_params *rd, senti_eval_params *ev, const char **format,
                       const char **output)
{
    switch (c) {
    case SENTI_OPT_FORMAT: *format = arg; break;
    case 'o': *output = arg; break;
    case SENTI_OPT_BINS: ev->n_bins = atoi(arg); break;
    case SENTI_OPT_BOOT: ev->bootstrap = atoi(arg); break;
    case SENTI_OPT_SEED: ev->seed = (uint32_t)strtoul(arg, NULL, 10); break;
    case SENTI_OPT_CI: ev->ci_level = atof(arg); break;
    case SENTI_OPT_THREADS: ev->threads = atoi(arg); break;
    case SENTI_OPT_GOLD: rd->gold_col = arg; break;
    case SENTI_OPT_PRED: rd->pred_col = arg; break;
    case SENTI_OPT_ID: rd->id_col = arg; break;
    case SENTI_OPT_STATUS: rd->status_col = arg; break;
    case SENTI_OPT_PREFIX: rd->prob_prefix = arg; break;
    case SENTI_OPT_COLS: rd->prob_cols = arg; break;
    case SENTI_OPT_TOL: rd->tol = atof(arg); break;
    case SENTI_OPT_RENORM: rd->renormalize = 1; break;
    default: return 0;
    }
    return 1;
}

int senti_cli_exit(senti_status s, bool model_error)
{
    switch (s) {
    case SENTI_OK: return SENTI_EXIT_OK;
    case SENTI_ERR_NOMEM:
    case SENTI_ERR_STATE: return SENTI_EXIT_INTERNAL;
    case SENTI_ERR_UNSUPPORTED:
    case SENTI_ERR_NUMERIC: return SENTI_EXIT_MODEL;
    case SENTI_ERR_IO:
    case SENTI_ERR_FORMAT:
    case SENTI_ERR_ARG:
    case SENTI_ERR_RANGE:
    case SENTI_ERR_NOTFOUND: break;
    }
    return model_error ? SENTI_EXIT_MODEL : SENTI_EXIT_USAGE;
}

bool senti_cli_chat_opt(const char *arg, int *chat)
{
    senti_chat_mode m;
    if (senti_chat_mode_parse(arg, &m, NULL))
        return false;
    *chat = (int)m;
    return true;
}
