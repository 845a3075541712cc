#!/usr/bin/env bash
# bench/bench.sh (make bench): the benchmark (BENCHMARKS.md), on a throwaway cluster.
#
#   bench/bench.sh            the full run (about 11 minutes on 2 cores, then
#                             the series benchmark, bench/series.js: 300,000
#                             occurrences, 5 to 15 minutes; the webhooks
#                             benchmark, bench/webhooks.sh, last)
#   bench/bench.sh PART...    only some parts: sweep (sweeps, empty sweep,
#                             memory, bulk, add_update), reads (the reads
#                             against their queries inline, the suppression
#                             check at both sizes, bulk), events (delivery through
#                             maintenance-listen and a bare LISTEN client, and
#                             add_update with idle listeners)
#   BENCH_QUICK=1 bench/bench.sh   small sizes, to try the benchmark itself
#   BENCH_JSON=FILE           also keep the raw results as JSON in FILE
#   BENCH_LIBRARY=FILE        run the extension's C functions from another
#                             build of maintenance.so (before/after
#                             comparisons of the C code; the SQL is this tree's)
#
# It builds and installs the extension (make, make install), starts its own
# cluster (scripts/cluster.sh, Unix socket in a temp dir, removed at the end)
# with the settings below, loads the data with set-based SQL
# (bench/setup.sql), runs the measurements (bench/bench.js, node + `pg`, and
# pgbench) and prints the table in Markdown (bench/report.js).
#
# Server settings on top of scripts/cluster.sh's (which has fsync = off):
#   shared_buffers = 1GB         the whole data set stays in memory: the
#                                benchmark measures CPU work, not the disk
#   max_wal_size = 8GB,
#   checkpoint_timeout = 1h      no checkpoint in the middle of a measurement
#                                (the benchmark runs CHECKPOINT before each)
#   synchronous_commit = off     commits do not wait for a WAL flush
#   autovacuum = off             no autovacuum in the middle of a measurement
#                                (the benchmark runs VACUUM ANALYZE before each)
#   jit = off                    no JIT compilation time in the set-based
#                                contenders' plans (OLTP-like statements)
#   log_line_prefix = '%m [%p] ' to find the memory context dumps by pid
#   track_commit_timestamp = on  the delivery latency is measured from each
#                                event's commit (pg_xact_commit_timestamp)
#   max_connections = 150        100 idle listeners and the benchmark's own
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

for part in "$@"; do
	case "$part" in
	sweep | reads | events) ;;
	*) echo "usage: bench/bench.sh [sweep|reads|events]..." >&2 && exit 2 ;;
	esac
done
if [ $# -gt 0 ]; then export BENCH_PARTS="$*"; fi

STARTED_AT=$SECONDS
BENCH_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg | sed 's/ /, /g')
export BENCH_LOAD_BEFORE

check_pg_config
build
install_extension

if [ ! -d test/client/node_modules/pg ]; then
	say "installing the Node.js client's dependencies (npm ci in test/client)"
	run_logged npm-ci npm --prefix test/client ci --no-audit --no-fund
fi

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-bench.XXXXXX")
bench_stop() {
	"$REPO_ROOT/scripts/cluster.sh" stop "$BENCH_DIR" >/dev/null 2>&1 || true
	rm -rf "$BENCH_DIR"
}
add_cleanup bench_stop
say "starting a throwaway cluster in $BENCH_DIR"
run_logged cluster-start "$REPO_ROOT/scripts/cluster.sh" start "$BENCH_DIR" \
	"shared_buffers = 1GB" \
	"max_wal_size = 8GB" \
	"checkpoint_timeout = 1h" \
	"synchronous_commit = off" \
	"autovacuum = off" \
	"jit = off" \
	"log_line_prefix = '%m [%p] '" \
	"track_commit_timestamp = on" \
	"max_connections = 150"
export PGHOST=$BENCH_DIR PGPORT=5432 PGUSER=postgres PGCLIENTENCODING=UTF8
unset PGDATABASE PGSERVICE PGPASSWORD

# bench_small: the reads' small size, side by side with the large one in bench
for db in bench bench_small; do
	run_logged createdb createdb "$db"
	run_logged setup psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
		-c "SET client_min_messages = warning" \
		-c "CREATE EXTENSION maintenance" \
		-f bench/setup.sql
done
if [ -n "${BENCH_LIBRARY:-}" ]; then
	say "running the C functions from $BENCH_LIBRARY"
	cp "$BENCH_LIBRARY" "$BENCH_DIR/maintenance-other.so"
	chmod a+r "$BENCH_DIR/maintenance-other.so"
	run_logged library psql -X -q -v ON_ERROR_STOP=1 -d bench -v lib="$BENCH_DIR/maintenance-other.so" \
		-f - <<<"UPDATE pg_catalog.pg_proc SET probin = :'lib' WHERE probin = '\$libdir/maintenance';"
	run_logged library psql -X -q -v ON_ERROR_STOP=1 -d bench_small -v lib="$BENCH_DIR/maintenance-other.so" \
		-f - <<<"UPDATE pg_catalog.pg_proc SET probin = :'lib' WHERE probin = '\$libdir/maintenance';"
fi

say "measuring (progress below; the table follows)"
BENCH_LISTEN="$("$PG_CONFIG" --bindir)/maintenance-listen" \
BENCH_DB=bench BENCH_LOG=$BENCH_DIR/server.log BENCH_OUT=$BENCH_DIR/results.json \
	node bench/bench.js

[ -n "${BENCH_JSON:-}" ] && cp "$BENCH_DIR/results.json" "$BENCH_JSON"
BENCH_SECONDS=$((SECONDS - STARTED_AT)) node bench/report.js "$BENCH_DIR/results.json"
# In the full run only (bench/bench.sh without parts):
if [ -z "${BENCH_PARTS:-}" ]; then
	# maintenance time for SLAs and the calendar, on the table bench.js grew;
	BENCH_DB=bench node bench/coverage.js
	# recurring windows: occurrences against create_maintenance, the sweep
	# with nothing to create, previews (a database of its own);
	say "series benchmark (bench/series.js)"
	BENCH_SERIES_DB=bench_series node bench/series.js
	# webhook delivery (maintenance-listen --webhook against --exec curl), a
	# script of its own, on a cluster of its own.
	say "webhooks benchmark (bench/webhooks.sh)"
	"$REPO_ROOT/bench/webhooks.sh"
fi
