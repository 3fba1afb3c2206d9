/*
 * cli.h - the senti command line: one function per subcommand.
 *
 * Each `senti_cmd_<name>` receives argv with argv[0] = "<name>", parses its
 * options with getopt_long, prints results on stdout, diagnostics on stderr,
 * and returns the process exit code:
 *   0 success, 1 a gate or threshold failed, 2 usage or input error,
 *   3 model/engine error, 4 internal error.
 */
#ifndef SENTI_CLI_H
#define SENTI_CLI_H

enum { SENTI_EXIT_OK = 0, SENTI_EXIT_GATE = 1, SENTI_EXIT_USAGE = 2, SENTI_EXIT_MODEL = 3, SENTI_EXIT_INTERNAL = 4 };

int senti_cmd_model(int argc, char **argv);
int senti_cmd_tokenize(int argc, char **argv);
int senti_cmd_logits(int argc, char **argv);
int senti_cmd_classify(int argc, char **argv);
int senti_cmd_finetune(int argc, char **argv);
int senti_cmd_eval(int argc, char **argv);
int senti_cmd_compare(int argc, char **argv);
int senti_cmd_bench_prefill(int argc, char **argv);
int senti_cmd_report(int argc, char **argv);
int senti_cmd_run(int argc, char **argv);

/* The model path used when -m is not given: $SENTI_MODEL, else the default
 * model under $SENTI_MODEL_DIR (default "models"). Static storage. */
const char *senti_cli_default_model(void);

#endif
