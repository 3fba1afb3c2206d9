# senti - sentiment classification and evaluation with real language models.
#
#   make            build libsenti (static + shared) and the senti CLI into $(BUILD)/
#   make check      install what is missing, fetch the models it tests, run the test suite
#   make check-large fetch the Qwen2.5-Coder 0.5B and 1.5B models, run their llama.cpp fixtures
#   make asan       the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       install, fetch, classify the demo set and write reports/demo/
#   make bench      speed side by side with the llama.cpp peer (ratios)
#   make fuzz       every fuzz harness for FUZZ_SECONDS (default 60) each with
#                   libFuzzer (clang); FUZZ=name runs one. Installs clang first.
#   make install    PREFIX=/usr/local, with a pkg-config file (portable: the
#                   kernels are picked at run time, see README "Portable binaries")
#                   (and the man page and bash/zsh completions: make cli-docs)
#   make install-models  copy the fetched models to $(PREFIX)/share/senti/models,
#                   where an installed senti finds its default model
#
# Variables: BUILD (object dir), OPT, ARCH, WERROR=1 (default under CI), PREFIX, MPI=0|1
#            (default 1 when mpicc is found: mpirun -n N senti run),
#            FUZZ_SECONDS, FUZZ, FUZZ_CC (make fuzz).

PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
OPT     ?= -O2
# Portable by default: the library and CLI are built for baseline x86-64
# (ARCH), and the SIMD kernels (KERNEL_SRC) once more per level of
# KERNEL_LEVELS with that level's flags; the first kernel call picks the best
# level the running CPU supports (src/01-tensor/quant_dispatch.c). OPT comes
# after ARCH, so OPT="-O2 -march=native" still builds everything for the
# build machine (not portable then).
ARCH    ?= -march=x86-64-v2
# make asan builds in build-asan with these flags. Any make with BUILD=build-asan
# (the CLI tests' `make install BUILD=...`) gets the same ones, so an object
# rebuilt there is never linked without the sanitizers.
ifeq ($(BUILD),build-asan)
OPT     := -O1 -march=native -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS := -fsanitize=address,undefined
endif
PYTHON  ?= python3
# `make` alone builds `all` (rules above its own, such as cli_mpi.o's, would otherwise be the goal).
.DEFAULT_GOAL := all

VERSION := 0.1.0
SOMAJOR := 0

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wno-unused-parameter
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

CPPFLAGS += -Iinclude -Isrc -D_DEFAULT_SOURCE -DSENTI_VERSION='"$(VERSION)"'
# -fvisibility=hidden: libsenti.so exports only what include/senti/ marks SENTI_API.
CFLAGS   += -std=c11 $(ARCH) $(OPT) -g -fPIC -fvisibility=hidden $(WARN) -fopenmp
LDLIBS   += -lcsv -lgsl -lopenblas -ljansson -lnettle -lutf8proc -lpcre2-8 -lm -lpthread
LDFLAGS  += -fopenmp

# src/NN-layer/: one folder per layer, numbered in data-flow order; a file
# calls only into its own layer and lower-numbered ones (tools/layers.sh).
CLI_SRC  := src/main.c $(wildcard src/*-cli/*.c)
# The kernel levels: <source>_<level>.o is <source>.c built with -DSENTI_ISA=<level>
# and ISA_<level> (src/01-tensor/isa.h).
KERNEL_SRC    := src/01-tensor/quant_simd.c src/01-tensor/quant_q8_simd.c src/01-tensor/act_simd.c
KERNEL_LEVELS := avx2 avx512 avx512vnni
ISA_avx2       := -mavx2 -mfma -mf16c
ISA_avx512     := $(ISA_avx2) -mavx512f -mavx512bw -mavx512vl
ISA_avx512vnni := $(ISA_avx512) -mavx512vnni
KERNEL_OBJ    := $(foreach l,$(KERNEL_LEVELS),$(KERNEL_SRC:src/%.c=$(BUILD)/obj/%_$(l).o))

LIB_SRC  := $(filter-out $(CLI_SRC) $(KERNEL_SRC),$(wildcard src/*/*.c))
TEST_SRC := $(wildcard tests/*.c)

LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o) $(KERNEL_OBJ)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(BUILD)/obj/%.o)

# The model search (README, "Where senti finds its model") looks in
# PREFIX/share/senti/models, where make install-models puts the fetched models:
# relative to the installed executable (PREFIX/bin/senti), and the build's
# $(PREFIX) compiled into cli_common.o (not rebuilt when only PREFIX changes:
# make install PREFIX=... relinks nothing).
DATADIR := $(PREFIX)/share/senti
$(BUILD)/obj/12-cli/cli_common.o: CPPFLAGS += -DSENTI_DATADIR='"$(DATADIR)"'

# MPI (docs/scale.md): when mpicc is there (Open MPI from make deps), the CLI's
# cli_mpi.c is built with SENTI_HAVE_MPI and senti links libmpi; MPI=0 builds
# without. The library never uses MPI.
MPI ?= $(if $(shell command -v mpicc 2>/dev/null),1,0)
ifeq ($(MPI),1)
MPI_CFLAGS := -DSENTI_HAVE_MPI $(shell mpicc --showme:compile)
MPI_LIBS   := $(shell mpicc --showme:link)
$(BUILD)/obj/12-cli/cli_mpi.o: CPPFLAGS += $(MPI_CFLAGS)
endif
# a rebuild when MPI support comes or goes
$(BUILD)/obj/12-cli/cli_mpi.o: $(BUILD)/mpi-$(MPI)
$(BUILD)/mpi-$(MPI):
	@mkdir -p $(BUILD) && rm -f $(BUILD)/mpi-* && touch $@
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/test/%.o)

LIB_A   := $(BUILD)/libsenti.a
# libsenti.so.$(VERSION) with SONAME libsenti.so.$(SOMAJOR); libsenti.so.$(SOMAJOR)
# and libsenti.so are symlinks to it (the same in $(PREFIX)/lib on install).
SONAME  := libsenti.so.$(SOMAJOR)
LIB_SO_REAL := $(BUILD)/libsenti.so.$(VERSION)
LIB_SO  := $(BUILD)/libsenti.so
SENTI   := $(BUILD)/senti
TESTBIN := $(BUILD)/check_senti

MODEL_DIR ?= models
DEFAULT_MODEL := $(MODEL_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: all lib check check-large test asan demo reports bench install install-models cli-docs uninstall clean deps models models-all \
        models-large fixtures format fuzz fuzz-bins fuzz-replay fuzz-corpus

all: $(LIB_A) $(LIB_SO) $(SENTI)

lib: $(LIB_A) $(LIB_SO)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

define KERNEL_RULE
$$(BUILD)/obj/%_$(1).o: src/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $$(ISA_$(1)) -DSENTI_ISA=$(1) -MMD -MP -c $$< -o $$@
endef
$(foreach l,$(KERNEL_LEVELS),$(eval $(call KERNEL_RULE,$(l))))
# The GLU loop vectorizes only without trapping-math (its clamps stay branches
# otherwise); values are unchanged: no reassociation, no contraction (act.h).
$(foreach l,$(KERNEL_LEVELS),$(BUILD)/obj/01-tensor/act_simd_$(l).o): CFLAGS += -fno-trapping-math

$(BUILD)/test/%.o: tests/%.c $(BUILD)/suites.inc
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(BUILD) -Itests $(CFLAGS) -MMD -MP -c $< -o $@

# Every tests/check_<name>.c defines `Suite *<name>_suite(void)`; the runner
# includes this generated list, so adding a test file is all it takes.
$(BUILD)/suites.inc: $(wildcard tests/check_*.c)
	@mkdir -p $(BUILD)
	@for f in $(sort $(filter-out tests/check_main.c,$(wildcard tests/check_*.c))); do \
	    n=$$(basename $$f .c); echo "SUITE($${n#check_})"; done > $@.tmp && mv $@.tmp $@

# $(BUILD)/cflags: the flags the library was built with (tests/cli/t_portable.sh).
$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
	@echo '$(CFLAGS)' > $(BUILD)/cflags

$(LIB_SO_REAL): $(LIB_OBJ)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -o $@ $^ $(LDLIBS)

$(LIB_SO): $(LIB_SO_REAL)
	ln -sf libsenti.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

# libgomp linked statically into the executable: src/main.c sets its default
# wait policy in a constructor that must run before libgomp's own.
$(SENTI): $(CLI_OBJ) $(LIB_A)
	$(CC) $(filter-out -fopenmp,$(LDFLAGS)) -o $@ $(CLI_OBJ) $(LIB_A) -Wl,-Bstatic -lgomp -Wl,-Bdynamic $(LDLIBS) \
	    $(MPI_LIBS)

$(TESTBIN): $(TEST_OBJ) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB_A) -lcheck -lsubunit $(LDLIBS) -lrt

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(BUILD)/fuzz/obj/*.d)

# ---- fuzz harnesses (tests/fuzz/README.md) ----------------------------------
# Each tests/fuzz/fuzz_<name>.c is linked twice: with libFuzzer into
# $(BUILD)/fuzz/bin/<name> (make fuzz, BUILD=build-fuzz, clang) and with
# tests/fuzz/replay.c into $(BUILD)/fuzz/replay/<name> (make check replays
# the committed corpora with the normal compiler).
FUZZ_NAMES := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_UTIL  := $(BUILD)/fuzz/obj/fuzz_util.o

$(BUILD)/fuzz/obj/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/obj/fuzz_%.o $(FUZZ_UTIL) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/replay/%: $(BUILD)/fuzz/obj/replay.o $(BUILD)/fuzz/obj/fuzz_%.o $(FUZZ_UTIL) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/gen_corpus: $(BUILD)/fuzz/obj/gen_corpus.o $(FUZZ_UTIL) $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

.PRECIOUS: $(BUILD)/fuzz/obj/%.o

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/bin/%)

fuzz-replay: $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay/%)

# Rewrite the binary seeds (tiny model, adapters, score cache) of tests/fuzz/corpus/.
fuzz-corpus: $(BUILD)/fuzz/gen_corpus
	$(BUILD)/fuzz/gen_corpus tests/fuzz/corpus

# ---- dependencies and models ----------------------------------------------

# Installs the Debian packages when a header or tool is missing (needs root).
deps:
	@tools/deps.sh

models: deps
	@tools/fetch-models.sh $(MODEL_DIR) smollm2

# everything make check tests: the default model, Gemma 3, Qwen2.5-Coder 0.5B
models-all: deps
	@tools/fetch-models.sh $(MODEL_DIR) smollm2 gemma3 qwen05

# Qwen2.5-Coder-Instruct 0.5B and 1.5B (~1.6 GB; resumable, checksummed)
models-large: deps
	@tools/fetch-models.sh $(MODEL_DIR) qwen05 qwen15

# ---- tests -------------------------------------------------------------------

# The whole suite: unit tests, both real models, CLI end-to-end.
check: models-all
	@$(MAKE) --no-print-directory all $(TESTBIN) fuzz-replay
	SENTI_BUILD=$(BUILD) SENTI_MODEL_DIR=$(MODEL_DIR) $(TESTBIN)
	SENTI=$(SENTI) MODEL_DIR=$(MODEL_DIR) tests/cli/run.sh

test: check

# The 1.5B model's llama.cpp fixtures (the "large" test cases, which make check
# skips when the file is absent); SENTI_REQUIRE_LARGE=1 turns a skip into a failure.
check-large: models-large
	@$(MAKE) --no-print-directory all $(TESTBIN)
	SENTI_BUILD=$(BUILD) SENTI_MODEL_DIR=$(MODEL_DIR) SENTI_REQUIRE_LARGE=1 CK_RUN_CASE=large $(TESTBIN)
	SENTI=$(SENTI) MODEL_DIR=$(MODEL_DIR) SENTI_REQUIRE_LARGE=1 bash tests/cli/t_model.sh

asan: models-all
	@$(MAKE) --no-print-directory BUILD=build-asan all build-asan/check_senti fuzz-replay
	SENTI_BUILD=build-asan SENTI_MODEL_DIR=$(MODEL_DIR) CK_FORK=no \
	    ASAN_OPTIONS=detect_leaks=1 build-asan/check_senti
	SENTI=build-asan/senti MODEL_DIR=$(MODEL_DIR) tests/cli/run.sh

# Fuzzing: each harness for FUZZ_SECONDS under libFuzzer + ASan + UBSan; new
# corpus entries stay in build-fuzz/corpus/, a crash input is copied to
# tests/fuzz/regress/<name>/ (replayed by make check) and fails the target.
FUZZ_SECONDS ?= 60
FUZZ         ?= $(FUZZ_NAMES)
FUZZ_CC      ?= clang-14
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# Two clang-only notes silenced: `omp simd` loops it does not vectorize at -O1
# (-Wpass-failed) and GCC's optimize attribute (-Wunknown-attributes).
FUZZ_MAKE    := $(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
    OPT="-O1 -g -march=native -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) -Wno-pass-failed -Wno-unknown-attributes" \
    LDFLAGS="-fopenmp $(FUZZ_SAN)"

fuzz: deps
	@tools/deps.sh fuzz
	+@$(FUZZ_MAKE) fuzz-bins
	FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz.sh build-fuzz $(FUZZ)

# ---- demo, bench, install ----------------------------------------------------------

demo: models
	@$(MAKE) --no-print-directory all
	SENTI=$(SENTI) MODEL_DIR=$(MODEL_DIR) tools/demo.sh

# Regenerate the committed reports and README tables (hours on 2 cores; resumable).
reports: models-all
	@$(MAKE) --no-print-directory all
	SENTI=$(SENTI) MODEL_DIR=$(MODEL_DIR) tools/reports.sh

bench: models-all
	@$(MAKE) --no-print-directory all
	SENTI=$(SENTI) MODEL_DIR=$(MODEL_DIR) tools/bench.sh

# The man page and bash/zsh completions, generated from the binary's own option
# tables (senti --dump-options, docs/cli.md), so they cannot drift from it.
CLI_DOCS := $(BUILD)/man/senti.1 $(BUILD)/completion/senti.bash $(BUILD)/completion/_senti
cli-docs: $(BUILD)/man/senti.1
$(BUILD)/man/senti.1: $(SENTI) tools/gen_cli_docs.sh
	tools/gen_cli_docs.sh $(SENTI) $(BUILD)

install: all cli-docs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/senti \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 644 $(BUILD)/man/senti.1 $(DESTDIR)$(PREFIX)/share/man/man1/senti.1
	install -m 644 $(BUILD)/completion/senti.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/senti
	install -m 644 $(BUILD)/completion/_senti $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_senti
	install -m 755 $(SENTI) $(DESTDIR)$(PREFIX)/bin/senti
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO_REAL) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libsenti.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libsenti.so
	install -m 644 include/senti.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/senti/*.h $(DESTDIR)$(PREFIX)/include/senti/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' senti.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/senti.pc

# the fetched models (make models / models-all) where an installed senti finds them
install-models:
	@ls $(MODEL_DIR)/*.gguf >/dev/null 2>&1 || { echo "no models in $(MODEL_DIR)/: run make models first"; exit 2; }
	install -d $(DESTDIR)$(DATADIR)/models
	install -m 644 $(MODEL_DIR)/*.gguf $(DESTDIR)$(DATADIR)/models/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/senti.1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions/senti \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_senti
	rm -f $(DESTDIR)$(PREFIX)/bin/senti $(DESTDIR)$(PREFIX)/lib/libsenti.* \
	    $(DESTDIR)$(PREFIX)/include/senti.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/senti.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/senti

format:
	clang-format -i src/*.c src/*/*.[ch] include/senti/*.h include/senti.h tests/*.c tests/*.h tests/fuzz/*.[ch]

clean:
	rm -rf $(BUILD) build-asan build-fuzz
