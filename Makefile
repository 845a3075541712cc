# maintenance: planned maintenance windows in PostgreSQL (PGXS)

EXTENSION = maintenance
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" $(EXTENSION).control)

MODULE_big = maintenance
OBJS = \
	src/outbox.o \
	src/reminders.o \
	src/payload.o \
	src/store.o \
	src/ical_calendar.o \
	src/ical_recur.o \
	src/ical_series.o \
	src/ical_timezone.o \
	src/json.o \
	src/maintenance.o \
	src/launcher.o \
	src/limits.o \
	src/read_json.o \
	src/reads.o \
	src/rpc.o \
	src/rpc_input.o \
	src/series.o \
	src/series_materialize.o \
	src/series_preview.o \
	src/series_rule.o \
	src/spi_util.o \
	src/status.o \
	src/status_update.o \
	src/transitions.o \
	src/version.o \
	src/worker.o \
	src/worker_shared.o \
	src/write.o \
	src/write_check.o

# The install script of the current version is built from the per-object
# sources in sql/src (concatenated in the order of their names); the
# scripts in sql/ are the released ones and are never edited: the base
# install script of 0.1.0 and the upgrade script of each release.
# PostgreSQL installs an older version through the base script and the
# upgrades that lead to it.
SQL_SOURCES = $(sort $(wildcard sql/src/*.sql))
CURRENT_SCRIPT = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA_built = $(CURRENT_SCRIPT)
DATA = $(filter-out $(CURRENT_SCRIPT),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress: test/sql/*.sql against expected/*.out; pg_isolation_regress:
# test/specs/*.spec against expected/*.out.  Both runners look for a test's
# input under the output directory first (test/sql, test/specs), and for
# its expected output there, then under the input directory (expected/).
# Results go to test/results.
REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=test
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=. --outputdir=test

# prove: test/t/*.pl (PostgreSQL::Test::Cluster) on clusters of their own, for
# what needs preloading, restarts or a standby.  `make installcheck` runs them
# last, except as root: the server refuses root.  scripts/test.sh runs them as
# the postgres user, in a copy of the tree that this user may write to
# (tmp_check/); `make installcheck REGRESS= ISOLATION=` runs only them.
ifneq ($(shell id -u),0)
TAP_TESTS = 1
endif
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

PG_CONFIG ?= pg_config
# Warnings are errors in our code; the server's headers are system headers.
# The library knows the version it serves (src/version.c).
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server) \
	-DMAINTENANCE_VERSION=\"$(EXTVERSION)\"
PG_CFLAGS = -std=gnu99 -Wall -Wextra -Werror
# libical (Debian libical-dev): src/ical_calendar.c builds and serializes the
# iCalendar (series in src/ical_series.c, their zones in src/ical_timezone.c);
# src/ical_recur.c wraps its recurrence rules.
SHLIB_LINK += -lical

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# pg_config's CFLAGS are those the server was built with (gcc on Debian).
# clang rejects gcc's -fexcess-precision=standard and warns about gcc-only
# warning options (-Wimplicit-fallthrough=3, -Wno-format-truncation): with
# -Werror both would fail the build over flags that are not about our code.
# So with clang that flag is left out and unknown warning options are not
# reported; every warning about our code stays an error.  (`make CC=clang`)
ifneq (,$(findstring clang,$(shell $(CC) --version 2>/dev/null)))
override CFLAGS := $(filter-out -fexcess-precision=standard,$(CFLAGS)) -Wno-unknown-warning-option
endif

$(CURRENT_SCRIPT): $(SQL_SOURCES) $(EXTENSION).control
	{ printf '/* %s: built by make from sql/src; edit those files */\n\n' '$(notdir $@)'; \
	  printf '\\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \\quit\n'; \
	  for f in $(SQL_SOURCES); do printf '\n'; cat "$$f"; done; } > $@

# META.json (PGXN) repeats the version (the distribution's and the
# extension's, then the version of the META spec itself): the build fails
# unless both are default_version, so the number is kept in one place.
META_VERSIONS = $(shell sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' META.json)
all: check-meta-version
.PHONY: check-meta-version
check-meta-version:
	@test "$(strip $(META_VERSIONS))" = "$(EXTVERSION) $(EXTVERSION) 1.0.0" || \
		{ echo 'META.json: versions "$(strip $(META_VERSIONS))", expected "$(EXTVERSION) $(EXTVERSION) 1.0.0" (default_version of $(EXTENSION).control, then the META spec 1.0.0)' >&2; exit 1; }

# The benchmark (BENCHMARKS.md): builds, installs, runs on its own cluster.
.PHONY: bench
bench:
	bench/bench.sh

.PHONY: cppcheck
# One configuration (the compiler's), not every #ifdef variant of the server
# headers: minutes become seconds.
CPPCHECK_DEFINES = -D__GNUC__ -D__x86_64__ -D__linux__ -DMAINTENANCE_VERSION=\"$(EXTVERSION)\"

cppcheck:
	cppcheck $(CPPCHECK_DEFINES) --error-exitcode=1 \
		--enable=warning,style,performance,portability,unusedFunction \
		--inline-suppr --quiet --std=c99 \
		-I src -I $(shell $(PG_CONFIG) --includedir-server) \
		--suppress=missingIncludeSystem \
		--suppress='*:$(shell $(PG_CONFIG) --includedir-server)/*' src
	cppcheck $(CPPCHECK_DEFINES) --error-exitcode=1 --enable=warning,style,performance,portability \
		--inline-suppr --quiet --std=c99 -I $(shell $(PG_CONFIG) --includedir) \
		--suppress=missingIncludeSystem client

# The event listener client, client/maintenance-listen (C; libpq, libcurl,
# OpenSSL), is built with the extension and installed into the server's
# bindir.
all: client/maintenance-listen

client/maintenance-listen: $(wildcard client/*.c client/*.h) client/Makefile
	$(MAKE) -C client PG_CONFIG=$(PG_CONFIG)

install: install-listener

.PHONY: install-listener clean-listener
install-listener: client/maintenance-listen
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) client/maintenance-listen '$(DESTDIR)$(bindir)/maintenance-listen'

clean: clean-listener
clean-listener:
	$(MAKE) -C client clean
