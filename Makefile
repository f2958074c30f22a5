# usage_archive: PGXS build of the extension, plus the project's entry points:
#   make demo    install what is missing, build, install, archive a sample twice on a throwaway cluster
#   make test    everything: unit (ctest), regress (pg_regress), isolation, TAP (prove)
#   make bench   the benchmark suite (bench/RESULTS.md)
#   make fuzz    the libFuzzer targets, FUZZ_SECONDS each
#   make test-valgrind   the regression suite against a server under valgrind memcheck

EXTENSION = usage_archive
MODULE_big = usage_archive

# The pure C++ sources come from the one list CMakeLists.txt reads too.
PURE_SRCS := $(shell sed -e 's/\#.*//' -e '/^[[:space:]]*$$/d' src/pure_sources.txt)
PG_SRCS := $(sort $(wildcard src/pg/*.cpp))
OBJS = $(PURE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

DATA = $(sort $(wildcard src/sql/usage_archive--*.sql))

REGRESS = setup archive_simple archive_starlink counters bad_input zero_write write_paths privileges http_archive search_path nested_runs credentials grant_role legacy_guard archive_records suppressed_rows data_quality api_requests large_ids chunked_writes partitions without_worker settings citus_paths
REGRESS_OPTS = --load-extension=usage_archive --dbname=usage_archive_regress
ISOLATION = concurrent_archive isolation_levels guard_concurrency dedupe_concurrency
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/isolation --load-extension=usage_archive

# PostgreSQL 15 explicitly: /usr/bin/pg_config answers for the newest installed version.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
# The library refuses SQL objects of another version (see src/pg/extension_version.hpp):
# the version it is built for is the control file's default_version.
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" usage_archive.control)
PG_CPPFLAGS = -Isrc -DUSAGE_ARCHIVE_VERSION='"$(EXTVERSION)"'
# Warnings are errors here as in the pure code (CMakeLists.txt). The server headers are
# included as system headers (-isystem wins over PGXS's -I) so that their own unused
# parameters do not count as ours; -Wregister and -Wmissing-field-initializers are the C
# idioms of those headers' macros that C++17 warns about.
PG_CXXFLAGS = -std=c++17 -fvisibility=hidden -Wall -Wextra -Werror -Wno-register -Wno-missing-field-initializers \
              -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK = -lcurl -lsimdjson -lstdc++

# PGXS would also emit LLVM bitcode for JIT inlining, which needs clang; our functions are
# not expression-inlining material.
override with_llvm = no
# Rebuild objects when a header they include changes.
override autodepend = yes

EXTRA_CLEAN = results regression.diffs regression.out test/isolation/results test/isolation/output_iso \
              test/isolation/regression.diffs test/isolation/regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# A fresh machine without the server headers: make demo and make test install them first.
all install installcheck:
	@echo "PostgreSQL 15 server headers not found: run 'make demo' or 'make test' (they install what is missing)," >&2
	@echo "or: sudo apt-get install postgresql-15 postgresql-server-dev-15" >&2
	@exit 1
endif

# The pure code cannot include PostgreSQL headers: src/pure_code_guard comes first on its
# include path and turns postgres.h (and c.h, postgres_fe.h, fmgr.h) into an #error, as in
# CMakeLists.txt, which also proves it with a source that must not compile.
$(PURE_SRCS:.cpp=.o): override CPPFLAGS := -Isrc/pure_code_guard $(CPPFLAGS)

# A new default_version is a new USAGE_ARCHIVE_VERSION.
src/pg/extension_version.o: usage_archive.control

.PHONY: deps unit test demo bench fuzz test-valgrind

deps:
	@scripts/ensure-deps.sh

unit: deps
	cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/cmake -j2
	ctest --test-dir build/cmake --output-on-failure

test:
	@scripts/run-tests.sh

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh "$(BENCH_SIZES)"

# libFuzzer targets (test/fuzz), FUZZ_SECONDS each (make test runs them for 30 s).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh "$(FUZZ_SECONDS)"

# The regression suite against a server running under valgrind memcheck (slow: not in make test).
test-valgrind:
	@scripts/test-valgrind.sh
