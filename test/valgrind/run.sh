#!/usr/bin/env bash
# run.sh — the regression suite (test/sql, pg_regress) against a server that
# runs under Valgrind's memcheck; fails if Valgrind reports an error in which
# the extension's library (maintenance.so) takes part.  Not part of
# scripts/test.sh (it takes minutes); doc/development.md, "Memory checking (Valgrind)".
#
#   test/valgrind/run.sh [TEST...]
#
# TEST: names of test/sql/*.sql to run (default: all of them).
# VALGRIND_SUPPRESSIONS=FILE: another suppression file (/dev/null: none, to
# see every report of the server, e.g. to review postgres.supp; an error
# whose origin is in maintenance.so still counts as ours).
#
# As root on Debian it installs the packages it needs (valgrind, and what
# scripts/lib.sh installs) when they are missing, builds and installs the
# extension, and creates a throwaway cluster in a temp dir (removed on exit;
# VALGRIND_KEEP=1 keeps it with its logs).  The postmaster runs, as the
# postgres user, under
#
#   valgrind --tool=memcheck --leak-check=no --track-origins=yes
#            --read-var-info=no --trace-children=yes --error-limit=no
#            --num-callers=40 --gen-suppressions=all --show-error-list=yes
#            --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END
#            --suppressions=test/valgrind/postgres.supp
#            --log-file=DIR/valgrind/%p.log
#            postgres -D DIR/data
#
# so every backend (a fork of the postmaster) is checked and writes its own
# log.  Leak checking is off: a backend frees its memory by memory context,
# and exits without freeing what lives until then.  No --error-exitcode: a
# backend that exits with an unexpected code makes the postmaster restart
# every process, and the rest of the suite would fail for that reason, not
# for its own; the logs are read instead.
#
# Debian's server is a stock build (no USE_VALGRIND): its memory contexts do
# not tell Valgrind which bytes of a context's block are allocated, so a use
# after pfree() or an overrun inside a block goes unnoticed.  What is seen:
# a decision, a system call or a pointer that depends on uninitialised bytes
# (with the allocation they came from), and any access outside the blocks
# the server has malloc()ed (a palloc() above 8 kB has a block of its own).
# And the server writes structures with uninitialised padding to files.
# test/valgrind/postgres.supp suppresses those reports of server internals,
# each one named and explained; none of them mentions maintenance.so.
#
# Afterwards every error block of every log is read: a block whose stack or
# origin stack has a frame in maintenance.so is a finding; others are
# counted and listed as the server's own (left for the suppression file).
# Exit status 0 = the suite passed and no finding; 1 = a finding, a failed
# test or a backend that died; 2 = the set-up failed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

ensure_packages valgrind:valgrind || { warn "could not install the packages"; exit 2; }
check_pg_config || exit 2
build || exit 2
install_extension || exit 2

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for f in test/sql/*.sql; do tests+=("$(basename "$f" .sql)"); done
fi

as_postgres() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

DIR=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-valgrind.XXXXXX")
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
POSTMASTER_PID=
stop_server() {
	if [ -f "$DIR/data/postmaster.pid" ]; then
		as_postgres "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w -t 300 stop >/dev/null 2>&1 || true
	fi
	if [ -n "$POSTMASTER_PID" ]; then
		wait "$POSTMASTER_PID" 2>/dev/null || true
		POSTMASTER_PID=
	fi
}
add_cleanup stop_server
if [ -n "${VALGRIND_KEEP:-}" ]; then
	add_cleanup 'say "VALGRIND_KEEP is set: the cluster and the logs stay in $DIR"'
else
	add_cleanup 'rm -rf "$DIR"'
fi

say "initdb in $DIR (not under Valgrind)"
as_postgres "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8 \
	>"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 2; }
# No pg_cron (the regression database has none), no JIT, no autovacuum: less
# that runs under Valgrind besides the tests.
as_postgres tee -a "$DIR/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = ''
unix_socket_directories = '$DIR'
fsync = off
jit = off
autovacuum = off
max_prepared_transactions = 10
shared_buffers = 32MB
log_line_prefix = '%m [%p] '
EOF
# The suppression file where the postgres user can read it.
cp "${VALGRIND_SUPPRESSIONS:-$REPO_ROOT/test/valgrind/postgres.supp}" "$DIR/postgres.supp"
mkdir -p "$DIR/valgrind"
[ "$(id -u)" = 0 ] && chown -R postgres "$DIR/postgres.supp" "$DIR/valgrind"

# shellcheck disable=SC2054 # the comma belongs to --error-markers
VALGRIND_CMD=(valgrind --tool=memcheck --leak-check=no --track-origins=yes --read-var-info=no
	--trace-children=yes --error-limit=no --num-callers=40 --gen-suppressions=all --show-error-list=yes
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END
	--suppressions="$DIR/postgres.supp" --log-file="$DIR/valgrind/%p.log"
	"$PGBIN/postgres" -D "$DIR/data")
say "starting postgres under Valgrind: ${VALGRIND_CMD[*]}"
as_postgres "${VALGRIND_CMD[@]}" >"$DIR/server.log" 2>&1 &
POSTMASTER_PID=$!
ready=0
for _ in $(seq 1 240); do
	if "$PGBIN/pg_isready" -q -h "$DIR" -p 5432 -U postgres -d postgres; then ready=1; break; fi
	if ! kill -0 "$POSTMASTER_PID" 2>/dev/null; then break; fi
	sleep 0.5
done
if [ "$ready" != 1 ]; then
	warn "the server did not start under Valgrind:"
	cat "$DIR/server.log" >&2
	exit 2
fi
export PGHOST=$DIR PGPORT=5432 PGUSER=postgres
unset PGDATABASE PGSERVICE PGOPTIONS

say "make installcheck REGRESS=\"${tests[*]}\" (pg_regress only)"
t0=$SECONDS
suite_rc=0
# Results into DIR, not test/results: other runs may use that meanwhile.
# pg_regress reads a test from <outputdir>/sql first: a copy of test/sql.
mkdir -p "$DIR/results" && cp -r test/sql "$DIR/results/sql"
make installcheck PG_CONFIG="$PG_CONFIG" REGRESS="${tests[*]}" ISOLATION= TAP_TESTS= \
	REGRESS_OPTS="--inputdir=. --outputdir=$DIR/results --dbname=contrib_regression" \
	>"$DIR/installcheck.log" 2>&1 || suite_rc=$?
grep -E '^(not )?ok |^test |\.\.\. |tests? (passed|failed)' "$DIR/installcheck.log" || true
suite_seconds=$((SECONDS - t0))
if [ "$suite_rc" != 0 ]; then
	warn "the regression suite failed under Valgrind (exit $suite_rc)"
	[ -s "$DIR/results/regression.diffs" ] && head -n 100 "$DIR/results/regression.diffs" >&2
fi

say "stopping the server"
stop_server
if grep -E 'terminated by signal|exited with exit code ([2-9]|[1-9][0-9])|was terminated by exception|TRAP:|PANIC:' "$DIR/server.log" >"$DIR/crashes.log"; then
	warn "the server log shows a backend that died:"
	cat "$DIR/crashes.log" >&2
	[ "$suite_rc" = 0 ] && suite_rc=1
fi

# ---------------------------------------------------------------- the logs
# One file per error block: ours (a frame in maintenance.so) or the server's.
# Our library has debug information, so Valgrind names its frames by
# function and source line ("maintenance_create (write.c:512)") rather than
# by object: a frame is ours when it names a function defined in src/*.c and
# one of our source files (glibc has a write.c too), or maintenance.so.
our_functions=$(grep -hoE '^[A-Za-z_][A-Za-z0-9_]*\(' src/*.c | tr -d '(' | sort -u | paste -sd'|')
our_files=$(for f in src/*.c; do basename "$f" .c; done | paste -sd'|')
our_frame="(at|by) 0x[0-9A-Fa-f]+: ($our_functions) [(]($our_files)[.]c:[0-9]+[)]"
mkdir -p "$DIR/errors/ours" "$DIR/errors/server"
# --show-error-list=yes repeats every error after the first "ERROR SUMMARY"
# line of a log (and then lists the suppressions used): only what comes
# before that line is read here.
awk -v dir="$DIR/errors" -v ours="$our_frame" '
	FNR == 1 { summary = 0; inblock = 0 }
	/ERROR SUMMARY/ { summary = 1 }
	summary { next }
	/VALGRINDERROR-BEGIN/ { inblock = 1; block = ""; next }
	/VALGRINDERROR-END/ {
		inblock = 0; n++
		kind = (block ~ /maintenance\.so/ || block ~ ours) ? "ours" : "server"
		f = dir "/" kind "/" n ".txt"
		printf "%s", block > f
		close(f)
		next
	}
	inblock { block = block $0 "\n" }
' "$DIR"/valgrind/*.log
logs=$(find "$DIR/valgrind" -name '*.log' | wc -l)
ours=$(find "$DIR/errors/ours" -type f | wc -l)
server=$(find "$DIR/errors/server" -type f | wc -l)

say "summary"
echo "    regression tests: ${#tests[@]} (${tests[*]}), $suite_seconds s, exit $suite_rc"
echo "    Valgrind logs: $logs processes; errors: $ours in the extension, $server in the server alone"
if [ "$server" -gt 0 ]; then
	echo "    the server's own errors, by kind and first named frame:"
	for f in "$DIR"/errors/server/*.txt; do
		kind=$(grep -m1 -oE '==[0-9]+== [A-Z][^=]*' "$f" | sed 's/^==[0-9]*== //' | cut -c1-70)
		frame=$(grep -m1 -oE '(at|by) 0x[0-9A-F]+: [A-Za-z_][A-Za-z0-9_]*' "$f" | sed 's/.*: //')
		echo "$kind | $frame"
	done | sort | uniq -c | sort -rn | sed 's/^/      /'
fi
# "used_suppression:  COUNT NAME FILE:LINE", once per process that used it.
suppressed=$(grep -h 'used_suppression:' "$DIR"/valgrind/*.log |
	awk '{ n[$4] += $3 } END { for (s in n) printf "      %6d %s\n", n[s], s }' | sort -k2)
if [ -n "$suppressed" ]; then
	echo "    suppressed by ${VALGRIND_SUPPRESSIONS:-test/valgrind/postgres.supp}, errors per suppression:"
	echo "$suppressed"
fi
if [ "$ours" -gt 0 ]; then
	warn "Valgrind errors with frames in maintenance.so (first 3 below; all in $DIR/errors/ours with VALGRIND_KEEP=1):"
	for f in $(find "$DIR/errors/ours" -type f | sort -V | head -n 3); do
		sed -n '1,60p' "$f" >&2
		echo '----' >&2
	done
fi
if [ "$ours" -gt 0 ] || [ "$suite_rc" != 0 ]; then
	exit 1
fi
say "no Valgrind error in the extension, and the suite passed"
