# cibus - hand-written Makefile: bootstrap, build, run, check, bench.
#
#   make run     install missing Debian packages, build, start cibusd on ./var
#   make check   the same, then build with sanitizers and run every test
#                and the bench's smoke run
#   make bench   the optimised build measured against this machine's
#                ceilings (BENCH_ARGS="--json FILE" to keep the results)
#   make bench-scale   the long scenario: a log of 10,000,000 entries
#   make bench-smoke   every bench scenario, tiny, checked for loss only
#   make bench-peers   s1, s2, s3, s6 against Redis, NATS and Mosquitto too
#   make demo    a school year of a small initiative, then the backbone's report
#   make fuzz    the request dispatcher under libFuzzer for FUZZ_SECONDS
#                (tests/fuzz/; `make check` runs it briefly)
#   make fuzz-disclosure   the disclosure rules under libFuzzer, the same way
#   make fuzz-feed   the feed's CSV, JSON Lines and mapping reader, the same way
#
# Two variants are built from the same sources: build/ (optimised, what
# `make run` starts) and build/test/ (AddressSanitizer + UBSan, what the
# tests start). Generated protobuf-c code goes to build/gen/ only.

.DEFAULT_GOAL := all
.SUFFIXES:

DEB_PACKAGES := build-essential pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev \
                protobuf-c-compiler libsqlite3-dev libcmocka-dev libglpk-dev libjansson-dev \
                libcsv-dev libsodium-dev nettle-dev
# What the client library (libcibus) links; the cibus command adds nettle
# (the feed's table ids).
LIB_PKGS := libczmq libzmq libprotobuf-c sqlite3 jansson libsodium
PKGS := $(LIB_PKGS) nettle

CC ?= cc
DATA ?= ./var
BIND ?= tcp://127.0.0.1:5570

GEN := build/gen
WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
INCLUDES := -Icommon -Iproto -Istore -Ibroker -Iclients -Idisclosure -I$(GEN)
CPPFLAGS := -D_DEFAULT_SOURCE $(INCLUDES)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lcsv -lglpk -lm -lpthread

REL := build
TST := build/test
REL_CFLAGS := -O2 -g
TST_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

CORE_SRC := common/arena.c common/cibus_err.c common/cibus_json.c common/keys.c common/log.c common/opts.c common/resident.c common/text.c proto/codec.c proto/pack.c proto/unpack.c $(GEN)/cibus.pb-c.c $(GEN)/cells.pb-c.c \
            $(wildcard store/*.c) $(wildcard disclosure/*.c)
BROKER_SRC := $(wildcard broker/*.c)
BROKER_LIB_SRC := $(filter-out broker/cibusd.c,$(BROKER_SRC))
# The client library (clients/cibus.h) is libcibus.c, the public calls in
# cibus's own types (public_api.c) and the JSON form of entries and answers
# they return (render_json.c, which the cibus command prints too); the
# command's own parts - terminal rendering, feeds, the sync client and its
# replica - are the archive libcli.a, linked into cibus and the tests,
# never into the library others build against.
CLIENT_LIB_SRC := clients/libcibus.c clients/public_api.c clients/render_json.c
CLI_LIB_SRC := $(filter-out clients/cli.c $(CLIENT_LIB_SRC),$(wildcard clients/*.c))
TEST_SUPPORT_SRC := tests/harness.c tests/proxy.c tests/feed_same.c tests/message_same.c
TEST_SRC := $(filter-out $(TEST_SUPPORT_SRC),$(wildcard tests/test_*.c))
TEST_NAMES := $(patsubst tests/%.c,%,$(TEST_SRC))
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_ARGS ?=

obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

# ------------------------------------------------------------------ rules

.PHONY: all deps build run check test-build clean bench bench-scale bench-smoke demo
all: build

# Install whatever Debian package is missing. Needs root (or sudo) only the
# first time; afterwards it is a few dpkg queries.
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "cibus: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

build: deps
	@$(MAKE) --no-print-directory $(REL)/cibusd $(REL)/cibus

test-build: deps
	@$(MAKE) --no-print-directory $(TST)/cibusd $(TST)/cibus $(TST)/cibus-bench \
	  $(addprefix $(TST)/,$(TEST_NAMES))

run: build
	$(REL)/cibusd run --data $(DATA) --bind $(BIND)

# A scripted initiative in a scratch directory (see tests/demo.sh).
demo: build
	@tests/demo.sh $(REL)

# The smoke run proves that every bench scenario still completes without
# losing or duplicating a message; it judges no figure. Built with the
# sanitizers, with the same settings as tests/run.
SMOKE = ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
        UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        $(TST)/cibus-bench --smoke

# The count of appends PERFORMANCE.md measures instructions with, tiny.
SMOKE_APPENDS = ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
        UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        $(TST)/cibus-bench --appends 50

check: test-build
	@tests/run $(TST) $(TEST_NAMES)
	@$(SMOKE)
	@$(SMOKE_APPENDS)
	@$(MAKE) --no-print-directory fuzz-check

# The bench measures the optimised build: it starts the cibusd beside it,
# and its scenario f1 runs the cibus beside it.
bench: deps
	@$(MAKE) --no-print-directory $(REL)/cibusd $(REL)/cibus $(REL)/cibus-bench
	$(REL)/cibus-bench $(BENCH_ARGS)

bench-scale: deps
	@$(MAKE) --no-print-directory $(REL)/cibusd $(REL)/cibus $(REL)/cibus-bench
	$(REL)/cibus-bench --scale $(BENCH_ARGS)

bench-smoke: deps
	@$(MAKE) --no-print-directory $(TST)/cibusd $(TST)/cibus $(TST)/cibus-bench
	@$(SMOKE)

clean:
	rm -rf build

# One protoc-c makes both files: grouped (&:), so that a parallel build
# runs it once.
$(GEN)/cibus.pb-c.c $(GEN)/cibus.pb-c.h &: proto/cibus.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -Iproto proto/cibus.proto

# The store's own encoding of a table version's cells (store/cells.c).
$(GEN)/cells.pb-c.c $(GEN)/cells.pb-c.h &: store/cells.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -Istore store/cells.proto

# One set of object rules per variant.
define VARIANT
$(1)/obj/%.o: %.c | $(GEN)/cibus.pb-c.h $(GEN)/cells.pb-c.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(WARN) $(2) $$(CPPFLAGS) $$(PKG_CFLAGS) -MMD -MP -c $$< -o $$@

$(1)/libcore.a: $(call obj,$(1),$(CORE_SRC))
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/libbroker.a: $(call obj,$(1),$(BROKER_LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/libcibus.a: $(call obj,$(1),$(CLIENT_LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/cibusd: $(call obj,$(1),broker/cibusd.c) $(1)/libbroker.a $(1)/libcore.a
	$$(CC) $(2) $$^ $$(PKG_LIBS) -o $$@

$(1)/libcli.a: $(call obj,$(1),$(CLI_LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/cibus: $(call obj,$(1),clients/cli.c) $(1)/libcli.a $(1)/libcibus.a $(1)/libcore.a
	$$(CC) $(2) $$^ $$(PKG_LIBS) -o $$@

$(1)/test_%: $(call obj,$(1),tests/test_%.c $(TEST_SUPPORT_SRC)) $(1)/libcli.a $(1)/libcibus.a $(1)/libbroker.a $(1)/libcore.a
	$$(CC) $(2) $$^ $$(PKG_LIBS) -lcmocka -o $$@

$(1)/cibus-bench: $(call obj,$(1),$(BENCH_SRC) $(TEST_SUPPORT_SRC)) $(1)/libcli.a $(1)/libcibus.a $(1)/libbroker.a $(1)/libcore.a
	$$(CC) $(2) $$^ $$(PKG_LIBS) -o $$@

-include $$(shell find $(1)/obj -name '*.d' 2>/dev/null)
endef

$(eval $(call VARIANT,$(REL),$(REL_CFLAGS)))
$(eval $(call VARIANT,$(TST),$(TST_CFLAGS)))

# The bench's sources include the test harness's header.
$(REL)/obj/tests/bench/%.o $(TST)/obj/tests/bench/%.o: CPPFLAGS += -Itests

# Objects made through pattern rules are kept (not deleted as intermediates),
# without making every target secondary: a secondary object that is missing
# would not be remade when its archive looked newer.
.PRECIOUS: $(REL)/obj/%.o $(TST)/obj/%.o

# ------------------------------------------------------------------ peers
#
#   make bench-peers   cibus's s1, s2, s3 and s6 beside Redis (XADD,
#                      appendfsync always), NATS JetStream and Mosquitto
#                      (MQTT QoS 1), each started privately on 127.0.0.1
#
# The peers' servers and client libraries are Debian packages, installed
# by the same `deps` recipe with its list replaced for that one call, so
# that `make check` and `make bench` need none of them. The tool's sources
# are tests/bench_peers/, which no wildcard of the test build reads.

BENCH_PEERS_DEB := redis-server nats-server mosquitto libhiredis-dev libmosquitto-dev
BENCH_PEERS_SRC := $(wildcard tests/bench_peers/*.c)
BENCH_PEERS_ARGS ?=

.PHONY: bench-peers
bench-peers: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PEERS_DEB)"
	@$(MAKE) --no-print-directory $(REL)/cibusd $(REL)/cibus $(REL)/cibus-bench \
	  $(REL)/cibus-bench-peers
	$(REL)/cibus-bench-peers $(BENCH_PEERS_ARGS)

$(REL)/cibus-bench-peers: $(call obj,$(REL),$(BENCH_PEERS_SRC))
	$(CC) $(REL_CFLAGS) $^ -lhiredis -lmosquitto -ljansson -lpthread -o $@

# ------------------------------------------------------------------ install
#
#   make install [PREFIX=/usr/local] [DESTDIR=]
#
# installs PREFIX/bin/{cibus,cibusd}, PREFIX/lib/libcibus.a and
# libcibus.so.1 (soname libcibus.so.1) with its libcibus.so link, the
# public headers under PREFIX/include/cibus/ and PREFIX/lib/pkgconfig/cibus.pc,
# so that a program builds with `cc prog.c $(pkg-config --cflags --libs cibus)`.
# DESTDIR is prepended to every path written and never appears in cibus.pc.
#
# The installed library is the client library (CLIENT_LIB_SRC) and the
# core it stands on, whole: the libcibus.a of the build variants holds the
# client objects only. The cibus command's own parts (terminal rendering,
# feeds, the sync client: libcli.a) are not in it. The shared one is made
# of position-independent objects (build/pic/), exports the cibus_
# functions only - not protobuf-c's cibus__*, which a program with its own
# code generated from proto/cibus.proto defines as well - and is linked
# with -z defs, so a symbol the library needs but lacks fails the link, not
# a program at run time. The public header speaks cibus's own types only
# and includes nothing but cibus_err.h and the C library's headers, so
# cibus.pc requires nothing of a program that builds against it: protobuf-c
# and the rest are private, for static linking.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
PKGCONFIGDIR = $(LIBDIR)/pkgconfig
CIBUS_VERSION := 1.0.0
CIBUS_SOVERSION := 1

PIC := build/pic
DIST := build/dist
LIBCIBUS_SRC := $(CLIENT_LIB_SRC) $(CORE_SRC)
PUBLIC_HEADERS := clients/cibus.h common/cibus_err.h
PC_REQUIRES_PRIVATE := $(LIB_PKGS)
PC_LIBS_PRIVATE := -lcsv -lglpk -lm -lpthread

$(eval $(call VARIANT,$(PIC),$(REL_CFLAGS) -fPIC))
.PRECIOUS: $(PIC)/obj/%.o

.PHONY: install dist
dist: $(DIST)/libcibus.a $(DIST)/libcibus.so.$(CIBUS_SOVERSION)

$(DIST)/libcibus.a: $(call obj,$(REL),$(LIBCIBUS_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

# Remade when the Makefile changes: the pattern is written here.
$(PIC)/libcibus.map: Makefile
	@mkdir -p $(dir $@)
	printf '{\n  global: cibus_[a-z]*;\n  local: *;\n};\n' >$@

$(DIST)/libcibus.so.$(CIBUS_SOVERSION): $(call obj,$(PIC),$(LIBCIBUS_SRC)) $(PIC)/libcibus.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libcibus.so.$(CIBUS_SOVERSION) -Wl,-z,defs \
	  -Wl,--version-script=$(PIC)/libcibus.map $(filter %.o,$^) $(PKG_LIBS) -o $@

# The test builds against what `make install` copies: built with the test
# binaries, so that its `make install` only copies.
$(TST)/test_install: | $(REL)/cibus $(REL)/cibusd dist

install: build
	@$(MAKE) --no-print-directory dist
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/cibus \
	  $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(REL)/cibus $(REL)/cibusd $(DESTDIR)$(BINDIR)/
	install -m 644 $(DIST)/libcibus.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(DIST)/libcibus.so.$(CIBUS_SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libcibus.so.$(CIBUS_SOVERSION) $(DESTDIR)$(LIBDIR)/libcibus.so
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/cibus/
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: cibus' 'Description: client library for the cibus broker' \
	  'Version: $(CIBUS_VERSION)' 'Requires.private: $(PC_REQUIRES_PRIVATE)' \
	  'Cflags: -I$(INCLUDEDIR)/cibus' 'Libs: -L$(LIBDIR) -lcibus' \
	  'Libs.private: $(PC_LIBS_PRIVATE)' >$(DESTDIR)$(PKGCONFIGDIR)/cibus.pc

# ------------------------------------------------------------------ python
#
# The Python example client (docs/examples/cibus_client.py) uses Debian's
# python3-zmq and python3-protobuf and the module protoc generates from
# proto/cibus.proto into build/py/ (never committed). tests/test_python runs
# it against a real broker with PYTHONPATH=build/py; order-only, so that a
# changed proto regenerates the module without relinking the test.

PY := build/py
DEB_PACKAGES += python3-zmq python3-protobuf protobuf-compiler

$(PY)/cibus_pb2.py: proto/cibus.proto
	@mkdir -p $(PY)
	protoc --python_out=$(PY) -Iproto proto/cibus.proto

$(REL)/test_python $(TST)/test_python: | $(PY)/cibus_pb2.py

# ------------------------------------------------------------------ fuzz
#
# The request dispatcher's libFuzzer target (tests/fuzz/), built with clang
# into build/fuzz/: every library object with the sanitizers and libFuzzer's
# coverage, the target linked with libFuzzer's main. Inputs it finds go to
# build/fuzz/corpus, crashes to build/fuzz/artifacts; the committed seeds in
# tests/fuzz/corpus are read, never written. The compiler, the runtimes and
# the symbolizer are of one LLVM version.

FUZZ := build/fuzz
FUZZ_CC := clang-14
# libFuzzer and the sanitizers' runtimes are in libclang-rt-14-dev (clang-14
# only recommends it); llvm-14 has the symbolizer that puts file:line in
# their reports.
DEB_PACKAGES += clang-14 libclang-rt-14-dev llvm-14
FUZZ_SYMBOLIZER := /usr/lib/llvm-14/bin/llvm-symbolizer
# Every warning of the gcc builds stays an error.
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC := tests/fuzz/fuzz_dispatch.c tests/fuzz/fuzz_seeds.c $(TEST_SUPPORT_SRC) \
            $(CLI_LIB_SRC) $(CLIENT_LIB_SRC) $(BROKER_LIB_SRC) $(CORE_SRC)
FUZZ_SECONDS ?= 600
FUZZ_CHECK_RUNS ?= 500000
FUZZ_TIMEOUT ?= 20
# The broker's log level during the run: debug, so that every log line is
# formatted and its guards run as in cibusd (at error, a warn line's code is
# never reached). Above error the lines are not shown: libFuzzer closes the
# target's stderr after set-up and keeps its own and the sanitizers' reports
# (a failed assert's line goes with it; its stack, with file and line, stays).
FUZZ_LOG ?= debug

.PHONY: fuzz fuzz-check fuzz-seeds fuzz-disclosure fuzz-feed

# The disclosure rules' own target: pure functions, no broker. Its seeds in
# tests/fuzz/disclosure-corpus are inputs an earlier run found.
FUZZ_DISCLOSURE_SRC := tests/fuzz/fuzz_disclosure.c $(CORE_SRC)
FUZZ_DISCLOSURE_CHECK_RUNS ?= 20000
fuzz_disclosure_run = mkdir -p $(FUZZ)/artifacts $(1); \
  ASAN_SYMBOLIZER_PATH=$(FUZZ_SYMBOLIZER) \
  ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
  UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  $(FUZZ)/fuzz-disclosure -artifact_prefix=$(FUZZ)/artifacts/ -timeout=$(FUZZ_TIMEOUT) \
    $(2) $(1) tests/fuzz/disclosure-corpus

# The feed's reader (clients/feed.h): the CSV and JSON Lines readers and
# the mapping, pure functions, no broker. Its seeds in
# tests/fuzz/feed-corpus are written by hand: the README's CAASPP example
# as CSV and JSON Lines, malformed lines, mappings of every kind of value.
FUZZ_FEED_SRC := tests/fuzz/fuzz_feed.c tests/feed_same.c $(CLI_LIB_SRC) $(CLIENT_LIB_SRC) $(CORE_SRC)
FUZZ_FEED_CHECK_RUNS ?= 50000
fuzz_feed_run = mkdir -p $(FUZZ)/artifacts $(1); \
  ASAN_SYMBOLIZER_PATH=$(FUZZ_SYMBOLIZER) \
  ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
  UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  $(FUZZ)/fuzz-feed -artifact_prefix=$(FUZZ)/artifacts/ -timeout=$(FUZZ_TIMEOUT) \
    -dict=tests/fuzz/feed.dict $(2) $(1) tests/fuzz/feed-corpus

# Run the target with the writable corpus $(1) and the committed seeds,
# with libFuzzer flags $(2). The broker's scratch directory is made in
# build/fuzz/tmp, removed by the target at exit and by this recipe even
# after a crash.
fuzz_run = rm -rf $(FUZZ)/tmp; mkdir -p $(FUZZ)/tmp $(FUZZ)/artifacts $(1); \
  TMPDIR=$(CURDIR)/$(FUZZ)/tmp CIBUS_LOG=$(FUZZ_LOG) ASAN_SYMBOLIZER_PATH=$(FUZZ_SYMBOLIZER) \
  ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
  UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  $(FUZZ)/fuzz-dispatch -artifact_prefix=$(FUZZ)/artifacts/ -timeout=$(FUZZ_TIMEOUT) \
    -dict=tests/fuzz/dispatch.dict $(if $(filter-out error,$(FUZZ_LOG)),-close_fd_mask=2) \
    $(2) $(1) tests/fuzz/corpus; \
  rc=$$?; rm -rf $(FUZZ)/tmp; exit $$rc

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ)/fuzz-dispatch
	@$(call fuzz_run,$(FUZZ)/corpus,-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1)

fuzz-disclosure: deps
	@$(MAKE) --no-print-directory $(FUZZ)/fuzz-disclosure
	@$(call fuzz_disclosure_run,$(FUZZ)/disclosure-corpus,-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1)

# The short run of `make check`: the seeds and a fixed number of mutations
# from a fixed seed, from an empty corpus each time (about 7 s a target
# here, at most 15 s on a slower machine; the feed's about 18 s, at most
# 30, since it reads each input twice more, in parts on threads, to check
# feed_read against feed_push). Quiet unless it fails. First, the
# committed seeds must be what tests/fuzz/seeds.c writes.
fuzz-check: deps
	@$(MAKE) --no-print-directory $(FUZZ)/fuzz-dispatch $(TST)/fuzz-seeds
	@rm -rf $(FUZZ)/seeds && mkdir -p $(FUZZ)/seeds && $(TST)/fuzz-seeds $(FUZZ)/seeds
	@diff -r $(FUZZ)/seeds tests/fuzz/corpus || { \
	  echo "fuzz: tests/fuzz/corpus is not what tests/fuzz/seeds.c writes: run make fuzz-seeds"; \
	  exit 1; }
	@rm -rf $(FUZZ)/check-corpus; \
	( $(call fuzz_run,$(FUZZ)/check-corpus,-seed=1 -runs=$(FUZZ_CHECK_RUNS) -max_total_time=15) ) \
	  >$(FUZZ)/check.log 2>&1 || { cat $(FUZZ)/check.log; \
	  echo "fuzz: failed (log above; the input is in $(FUZZ)/artifacts/)"; exit 1; }
	@echo "fuzz: $$(ls $(FUZZ)/check-corpus | wc -l) new inputs," \
	  "$$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) .*/\1 runs in \2 s/p' $(FUZZ)/check.log)," \
	  "no crash, leak or sanitizer report"
	@$(MAKE) --no-print-directory $(FUZZ)/fuzz-disclosure
	@rm -rf $(FUZZ)/check-disclosure; \
	( $(call fuzz_disclosure_run,$(FUZZ)/check-disclosure,-seed=1 -runs=$(FUZZ_DISCLOSURE_CHECK_RUNS) -max_total_time=15) ) \
	  >$(FUZZ)/check-disclosure.log 2>&1 || { cat $(FUZZ)/check-disclosure.log; \
	  echo "fuzz: the disclosure rules failed (log above; the input is in $(FUZZ)/artifacts/)"; exit 1; }
	@echo "fuzz: disclosure rules," \
	  "$$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) .*/\1 runs in \2 s/p' $(FUZZ)/check-disclosure.log)," \
	  "every table decided, no cell exposed"
	@$(MAKE) --no-print-directory $(FUZZ)/fuzz-feed
	@rm -rf $(FUZZ)/check-feed; \
	( $(call fuzz_feed_run,$(FUZZ)/check-feed,-seed=1 -runs=$(FUZZ_FEED_CHECK_RUNS) -max_total_time=30) ) \
	  >$(FUZZ)/check-feed.log 2>&1 || { cat $(FUZZ)/check-feed.log; \
	  echo "fuzz: the feed's reader failed (log above; the input is in $(FUZZ)/artifacts/)"; exit 1; }
	@echo "fuzz: feed reader," \
	  "$$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) .*/\1 runs in \2 s/p' $(FUZZ)/check-feed.log)," \
	  "every row counted once"

fuzz-feed: deps
	@$(MAKE) --no-print-directory $(FUZZ)/fuzz-feed
	@$(call fuzz_feed_run,$(FUZZ)/feed-corpus,-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1)

# Rewrite the committed seed corpus from tests/fuzz/seeds.c.
fuzz-seeds: deps
	@$(MAKE) --no-print-directory $(TST)/fuzz-seeds
	rm -rf tests/fuzz/corpus && mkdir -p tests/fuzz/corpus && $(TST)/fuzz-seeds tests/fuzz/corpus

$(FUZZ)/obj/%.o: %.c | $(GEN)/cibus.pb-c.h $(GEN)/cells.pb-c.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(CPPFLAGS) $(PKG_CFLAGS) \
	  -MMD -MP -c $< -o $@

$(FUZZ)/fuzz-dispatch: $(call obj,$(FUZZ),$(FUZZ_SRC))
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(PKG_LIBS) -o $@

$(FUZZ)/fuzz-disclosure: $(call obj,$(FUZZ),$(FUZZ_DISCLOSURE_SRC))
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(PKG_LIBS) -o $@

$(FUZZ)/fuzz-feed: $(call obj,$(FUZZ),$(FUZZ_FEED_SRC))
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(PKG_LIBS) -o $@

$(TST)/fuzz-seeds: $(call obj,$(TST),tests/fuzz/seeds.c tests/fuzz/fuzz_seeds.c) $(TST)/libcore.a
	$(CC) $(TST_CFLAGS) $^ $(PKG_LIBS) -o $@

# The target's sources include the test harness's header.
$(FUZZ)/obj/tests/fuzz/%.o: CPPFLAGS += -Itests

-include $(shell find $(FUZZ)/obj -name '*.d' 2>/dev/null)
.PRECIOUS: $(FUZZ)/obj/%.o
