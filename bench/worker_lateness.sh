#!/usr/bin/env bash
# bench/worker_lateness.sh: how late maintenance windows start and end, with
# the background worker (src/worker.c) and with the pg_cron job alone.
#
#   bench/worker_lateness.sh          200 windows over 2 minutes, twice (~6 min)
#   BENCH_N=50 BENCH_SPREAD=30 bench/worker_lateness.sh   a quick try
#   BENCH_MD=FILE                     also write the result table to FILE
#
# It builds and installs the extension, starts its own cluster
# (scripts/cluster.sh: pg_cron preloaded, Unix socket in a temp dir, removed
# at the end) with maintenance preloaded too and track_commit_timestamp = on,
# then runs two scenarios on a fresh CREATE EXTENSION each:
#
#   worker    maintenance.worker_databases = 'postgres', pg_cron job removed
#             (every transition is the worker's)
#   pg_cron   maintenance.worker_databases = '' (no worker), the job that
#             CREATE EXTENSION schedules, at '* * * * *'
#
# Each creates BENCH_N windows whose start_at and end_at are drawn uniformly
# (fixed seed) between 5 s and BENCH_SPREAD s ahead, waits until all have
# started and completed, and reports the lateness of each automatic
# transition: the commit time of its transaction (pg_xact_commit_timestamp,
# the moment every session sees the new status and listeners get the
# NOTIFY) minus its start_at or end_at.  A negative lateness (a transition
# before its time) would be a bug; the table shows the minimum.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

N=${BENCH_N:-200}
SPREAD=${BENCH_SPREAD:-120}
BENCH_MD=${BENCH_MD:-}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

check_pg_config
build
install_extension

BENCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-lateness.XXXXXX")
bench_stop() {
	"$REPO_ROOT/scripts/cluster.sh" stop "$BENCH_DIR" >/dev/null 2>&1 || true
	rm -rf "$BENCH_DIR"
}
add_cleanup bench_stop
say "starting a throwaway cluster in $BENCH_DIR"
run_logged cluster-start "$REPO_ROOT/scripts/cluster.sh" start "$BENCH_DIR" \
	"shared_preload_libraries = 'pg_cron,maintenance'" \
	"maintenance.worker_databases = ''" \
	"track_commit_timestamp = on"
export PGHOST=$BENCH_DIR PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
unset PGSERVICE PGPASSWORD

q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# wait_for SECONDS QUERY: until QUERY returns t, polling every 0.5 s.
wait_for() {
	local deadline=$((SECONDS + $1))
	until [ "$(q -c "$2")" = t ]; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			warn "timed out after $1 s waiting for: $2"
			return 1
		fi
		sleep 0.5
	done
}

q -c 'CREATE EXTENSION pg_cron'

ROWS=()
run_scenario() { # run_scenario NAME
	local name=$1 workers timeout
	q -c 'DROP EXTENSION IF EXISTS maintenance' -c 'CREATE EXTENSION maintenance'
	if [ "$name" = worker ]; then
		q -c 'SELECT maintenance.unschedule_transitions()' >/dev/null
		q -c "ALTER SYSTEM SET maintenance.worker_databases = 'postgres'" -c 'SELECT pg_reload_conf()' >/dev/null
		workers=1
		timeout=$((SPREAD + 15))
	else
		q -c "ALTER SYSTEM SET maintenance.worker_databases = ''" -c 'SELECT pg_reload_conf()' >/dev/null
		workers=0
		timeout=$((SPREAD + 75))
		[ "$(q -c "SELECT count(*) FROM cron.job WHERE jobname = 'maintenance-transitions'")" = 1 ] ||
			{ warn "the pg_cron job is missing"; return 1; }
	fi
	wait_for 30 "SELECT count(*) = $workers FROM pg_stat_activity WHERE backend_type = 'maintenance worker'"

	say "$name: $N windows, start_at and end_at within the next $SPREAD s; waiting up to $timeout s"
	q >/dev/null <<-SQL
		SELECT setseed(0.42);
		SELECT count(maintenance.create_maintenance('bench ' || i,
		           now() + least(a, b) * interval '1 s',
		           now() + (greatest(a, b) + 0.5) * interval '1 s',
		           ARRAY['sys-' || (i % 10)]))
		FROM (SELECT i, 5 + random() * ($SPREAD - 5) AS a, 5 + random() * ($SPREAD - 5) AS b
		      FROM generate_series(1, $N) AS i) AS r;
	SQL
	wait_for "$timeout" "SELECT count(*) = 0 FROM maintenance.maintenances WHERE status <> 'completed'"

	ROWS+=("$(q <<-'SQL'
		SELECT format('%s|%s|%s|%s|%s|%s', count(*),
		       round(min(late) * 1000),
		       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY late) * 1000)::numeric),
		       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY late) * 1000)::numeric),
		       round(max(late) * 1000),
		       round(avg(late) * 1000))
		FROM (SELECT EXTRACT(epoch FROM pg_xact_commit_timestamp(u.xmin)
		             - CASE u.status_change WHEN 'in_progress' THEN m.start_at ELSE m.end_at END) AS late
		      FROM maintenance.maintenance_updates u
		      JOIN maintenance.maintenances m ON m.id = u.maintenance_id
		      WHERE u.created_by IS NULL AND u.status_change IS NOT NULL) AS t;
	SQL
	)")
}

run_scenario worker
run_scenario pg_cron

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "Lateness of automatic transitions (commit time minus start_at/end_at), $N windows"
	echo "with start_at and end_at spread uniformly over the next $SPREAD s; $(nproc) cores,"
	echo "load average before $LOAD_BEFORE, after $LOAD_AFTER."
	echo
	echo "| transitions run by | transitions | min (ms) | p50 (ms) | p99 (ms) | max (ms) | mean (ms) |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	i=0
	for name in "background worker" "pg_cron job alone ('* * * * *')"; do
		IFS='|' read -r n min p50 p99 max avg <<<"${ROWS[$i]}"
		echo "| $name | $n | $min | $p50 | $p99 | $max | $avg |"
		i=$((i + 1))
	done
} >"$BENCH_DIR/table.md"
cat "$BENCH_DIR/table.md"
if [ -n "$BENCH_MD" ]; then
	cp "$BENCH_DIR/table.md" "$BENCH_MD"
	say "table written to $BENCH_MD"
fi
say "done in $SECONDS s"
