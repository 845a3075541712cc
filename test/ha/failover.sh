#!/usr/bin/env bash
# failover.sh — the extension under pg_auto_failover: a failover loses no
# event and doubles no transition (issue 18).
#
# On this machine, loopback only, in a temporary directory: a
# pg_auto_failover monitor and two nodes (synchronous replication as
# pg_auto_failover sets it up), the library preloaded with the background
# worker on and pg_cron on both nodes.  While writers commit maintenances,
# updates and manual closes in a loop (windows that start 1-3 s ahead and
# last 1-2 s, so the worker starts and completes one every second or so) and
# maintenance-listen delivers the events through a multi-host connection
# string as a named consumer:
#
#   1. the primary is killed (kill -9 of its pg_autoctl and its postmaster),
#      pg_auto_failover promotes the standby, the writers and the listener
#      reconnect by themselves; then the old primary is started again and
#      rejoins as a standby;
#   2. fail back with `pg_autoctl perform failover`.
#
# After each: every transaction a writer saw commit is on the new primary;
# no maintenance changed to a status twice, every window whose time came
# moved (also those due while there was no primary) with one timeline entry
# and one set of events per transition; the listener's output is every event
# of the new primary once, in id order, byte for byte; no event id the
# consumer had seen was handed out again; the standby runs no worker and no
# pg_cron, and run_transitions() there says at DEBUG1 that it does nothing.
#
# Usage: test/ha/failover.sh  (as root it runs itself as the postgres user;
# PGBIN or pg_config on PATH: the PostgreSQL 15 with the extension, pg_cron
# and pgautofailover installed; pg_autoctl on PATH).  Prints "ok N - ..."
# lines and "1..N"; exit status 0 = every check passed.  Everything it
# started is stopped and its directory removed on any exit.
set -euo pipefail

PGBIN=${PGBIN:-$(pg_config --bindir)}
export PGBIN PATH=$PGBIN:$PATH

# PostgreSQL refuses root: run as postgres, from a copy it can read.
if [ "$(id -u)" = 0 ]; then
	outer=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-ha-run.XXXXXX")
	trap 'rm -rf "$outer"' EXIT
	mkdir "$outer/ha" "$outer/lib"
	cp "$0" "$outer/ha/failover.sh"
	cp "$(dirname "$0")/../lib/tap.sh" "$outer/lib/tap.sh"
	chown -R postgres "$outer"
	rc=0
	su postgres -s /bin/bash -c "PGBIN=$(printf '%q' "$PGBIN") TMPDIR=$(printf '%q' "$outer") $(printf '%q' "$outer/ha/failover.sh")" || rc=$?
	exit "$rc"
fi

command -v pg_autoctl >/dev/null || { echo "not ok 1 - pg_autoctl not found (install postgresql-15-auto-failover)"; exit 1; }

export LC_ALL=C LANGUAGE=C PGCLIENTENCODING=UTF8 PGCONNECT_TIMEOUT=2
unset PGDATABASE PGOPTIONS PGAPPNAME PGSERVICE PGPASSWORD PGPORT PGUSER
export PGHOST=127.0.0.1 PGUSER=postgres

T=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-ha.XXXXXX")
# pg_autoctl keeps its configuration, state and pid files under XDG_*.
export HOME=$T XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data XDG_RUNTIME_DIR=$T/run
mkdir -p "$T/run" "$T/sock"

# Three free ports in a row.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
	BASE=$((20000 + (RANDOM % 4000) * 3))
	port_free $BASE && port_free $((BASE + 1)) && port_free $((BASE + 2)) && break
done
PM=$BASE P1=$((BASE + 1)) P2=$((BASE + 2))
MONITOR_URI="postgres://autoctl_node@127.0.0.1:$PM/pg_auto_failover?sslmode=disable"
# What writers and the listener use: whichever node accepts writes.
MULTI="host=127.0.0.1,127.0.0.1 port=$P1,$P2 dbname=app user=postgres target_session_attrs=read-write connect_timeout=2"

declare -A RUN_PGID=()	# pg_autoctl run process group, per data directory
BACKGROUND=()			# writers, listener
STARTED_AT=$SECONDS

cleanup() {
	local status=$? d pid
	touch "$T/stop"
	for pid in "${BACKGROUND[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${BACKGROUND[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	# pg_autoctl stops its Postgres on SIGTERM; whatever is left gets -9.
	for d in "${!RUN_PGID[@]}"; do
		kill -TERM -- "-${RUN_PGID[$d]}" 2>/dev/null || true
	done
	for d in mon n1 n2; do
		for _ in $(seq 100); do
			[ -f "$T/$d/postmaster.pid" ] || break
			sleep 0.1
		done
		if [ -f "$T/$d/postmaster.pid" ]; then
			pid=$(head -1 "$T/$d/postmaster.pid")
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	for d in "${!RUN_PGID[@]}"; do
		kill -9 -- "-${RUN_PGID[$d]}" 2>/dev/null || true
	done
	if [ "$status" != 0 ] && [ -z "${HA_KEEP:-}" ]; then
		for f in "$T"/*.log "$T"/*.err; do
			[ -s "$f" ] && { echo "# --- $f (last 30 lines)"; tail -n 30 "$f" | sed 's/^/# /'; }
		done
		for f in "$T"/n1/log/*.log "$T"/n2/log/*.log; do
			[ -s "$f" ] && { echo "# --- $f (last 30 lines)"; tail -n 30 "$f" | sed 's/^/# /'; }
		done
	fi
	if [ -n "${HA_KEEP:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
	exit "$status"
}
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bail() { echo "Bail out! $*"; exit 1; }
say() { echo "# [$((SECONDS - STARTED_AT)) s] $*"; }

q() { # q PORT SQL...: one value per line, unaligned
	local port=$1
	shift
	psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -d app "$@"
}
qm() { local sql=$1; psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PM" -d pg_auto_failover -c "$sql"; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.2 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { say "timed out waiting for $what"; return 1; }
		sleep 0.2
	done
}

autoctl_run() { # autoctl_run DIR: pg_autoctl run in a process group of its own
	setsid pg_autoctl run --pgdata "$T/$1" >>"$T/$1.log" 2>&1 </dev/null &
	RUN_PGID[$1]=$!
	disown $!	# killed on purpose: no "Killed" from the shell
}

# Kill a node as a machine dies: its pg_autoctl (which would restart
# Postgres), then its postmaster, with SIGKILL.
kill_node() { # kill_node DIR
	local pid
	pid=$(head -1 "$T/$1/postmaster.pid")
	kill -9 -- "-${RUN_PGID[$1]}" 2>/dev/null || true
	kill -9 "$pid" 2>/dev/null || true
	unset "RUN_PGID[$1]"
	wait_for 10 "the postmaster of $1 to die" bash -c "! kill -0 $pid"
}

node_state() { qm "SELECT reportedstate || '/' || goalstate FROM pgautofailover.node WHERE nodename = '$1'"; }
state_is() { [ "$(node_state "$1")" = "$2" ]; }
port_of() { case $1 in node1) echo "$P1" ;; node2) echo "$P2" ;; esac; }

# ---------------------------------------------------------------- set-up
PGCTL=$PGBIN/pg_ctl
common=(--hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl --pgctl "$PGCTL")

# Settings pg_auto_failover does not own go in a file of our own, included
# after its own (postgresql-auto-failover.conf): pg_basebackup copies both
# to the standby.  Small memory: three servers share this machine.
extra_conf() { # extra_conf DIR LINES...
	local dir=$1
	shift
	printf '%s\n' "$@" >"$T/$dir/maintenance-ha.conf"
	echo "include 'maintenance-ha.conf'" >>"$T/$dir/postgresql.conf"
}

say "monitor on port $PM, nodes on $P1 and $P2, in $T"
pg_autoctl create monitor --pgdata "$T/mon" --pgport "$PM" "${common[@]}" >"$T/mon.log" 2>&1 ||
	bail "pg_autoctl create monitor failed"
# Fast failure detection: the defaults take ~30 s to give up a primary.
extra_conf mon "shared_buffers = '16MB'" "unix_socket_directories = '$T/sock'" \
	"pgautofailover.health_check_period = 1000" "pgautofailover.health_check_timeout = 1000" \
	"pgautofailover.health_check_max_retries = 1" "pgautofailover.health_check_retry_delay = 500" \
	"pgautofailover.node_considered_unhealthy_timeout = 3000" \
	"pgautofailover.primary_demote_timeout = 3000" "pgautofailover.startup_grace_period = 1000"
autoctl_run mon
wait_for 30 "the monitor" qm "SELECT 1" || bail "the monitor did not start"

node_conf=("shared_buffers = '16MB'" "wal_keep_size = '64MB'" "maintenance_work_mem = '16MB'"
	"unix_socket_directories = '$T/sock'"
	"shared_preload_libraries = 'pg_cron,maintenance'"
	"cron.database_name = 'app'" "cron.host = '127.0.0.1'"
	"maintenance.worker_databases = 'app'")

pg_autoctl create postgres --pgdata "$T/n1" --pgport "$P1" --name node1 --dbname app \
	--monitor "$MONITOR_URI" "${common[@]}" >"$T/n1.log" 2>&1 || bail "pg_autoctl create postgres (node1) failed"
extra_conf n1 "${node_conf[@]}"
autoctl_run n1
wait_for 60 "node1 to be the single node" state_is node1 single/single || bail "node1 did not start"
wait_for 60 "node1 to accept connections" q "$P1" -c 'SELECT 1' || bail "node1 did not start"
out=$(q "$P1" -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION maintenance' 2>&1) ||
	bail "could not create the extensions on node1: $out"

pg_autoctl create postgres --pgdata "$T/n2" --pgport "$P2" --name node2 --dbname app \
	--monitor "$MONITOR_URI" "${common[@]}" >"$T/n2.log" 2>&1 || bail "pg_autoctl create postgres (node2) failed"
autoctl_run n2
wait_for 90 "node2 to be a secondary" state_is node2 secondary/secondary || bail "node2 did not become a secondary"
wait_for 30 "node1 to be primary" state_is node1 primary/primary || bail "node1 did not become primary"
say "formation ready: node1 primary, node2 secondary"

is "the primary runs the launcher, the worker of app and pg_cron" \
	"$(q "$P1" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('maintenance launcher', 'maintenance worker', 'pg_cron launcher')")" 3
is "the pg_cron job is scheduled" \
	"$(q "$P1" -c "SELECT jobname FROM cron.job WHERE jobname = 'maintenance-transitions'")" maintenance-transitions
sync_names=$(q "$P1" -c "SHOW synchronous_standby_names")
check "pg_auto_failover made replication synchronous ($sync_names)" test -n "$sync_names"
is "the standby is a synchronous (quorum) standby" \
	"$(q "$P1" -c "SELECT sync_state FROM pg_stat_replication")" quorum

# ---------------------------------------------------------------- load
# Writers: psql per transaction, with the multi-host string, so that a
# failover is a failed attempt followed by a connection to the new primary.
# What a writer saw commit (psql exited 0 and printed the id) is recorded.
writer_windows() {
	local i=0 a d out
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		a=$((1 + i % 3)) d=$((1 + i % 2))
		if out=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$MULTI" -c \
			"SELECT id FROM maintenance.create_maintenance('window $i', now() + interval '$a s',
			   now() + interval '$((a + d)) s', ARRAY['db', 'web'])" 2>>"$T/writer_windows.err"); then
			echo "$out" >>"$T/committed_maintenances"
		else
			sleep 0.2
		fi
		sleep 0.25
	done
}
writer_updates() {
	local i=0 m out
	while [ ! -e "$T/stop" ]; do
		i=$((i + 1))
		m=$(tail -n 3 "$T/committed_maintenances" 2>/dev/null | head -n 1)
		if [ -z "$m" ]; then sleep 0.2; continue; fi
		if [ $((i % 5)) = 0 ]; then
			# a manual close, racing the worker for the same window
			if out=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$MULTI" -c \
				"SELECT status FROM maintenance.close_maintenance('$m', 'closed by writer $i')" \
				2>>"$T/writer_updates.err"); then
				echo "closed by writer $i" >>"$T/committed_closes"
			fi
		elif out=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$MULTI" -c \
			"SELECT id FROM maintenance.add_update('$m', 'note $i')" 2>>"$T/writer_updates.err"); then
			echo "$out" >>"$T/committed_updates"
		fi
		sleep 0.15
	done
}
touch "$T/committed_maintenances" "$T/committed_updates" "$T/committed_closes"
writer_windows &
BACKGROUND+=($!)
writer_updates &
BACKGROUND+=($!)
maintenance-listen -d "$MULTI" --consumer ha --poll-interval 1 >"$T/events.out" 2>"$T/listen.err" &
BACKGROUND+=($!)

# ---------------------------------------------------------------- checks
# The listener's output and the writers' records, loaded into temporary
# tables of one session on the new primary, compared with its tables.
listener_caught_up() { # on PORT: its last line is the last event
	local last
	last=$(tail -n 1 "$T/events.out" | sed -n 's/^{"id": \([0-9]*\),.*/\1/p')
	[ -n "$last" ] && [ "$last" = "$(q "$1" -c 'SELECT max(id) FROM maintenance.events')" ]
}

verify() { # verify PORT LABEL KILLED_AT(epoch) PROMOTED_AT(epoch) SEEN_BEFORE(id)
	local port=$1 label=$2 killed=$3 promoted=$4 seen=$5 out
	out=$(psql -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -d app -F ' ' \
		-v killed="$killed" -v promoted="$promoted" -v seen="$seen" 2>&1 <<-EOF
	CREATE TEMP TABLE c_m (id uuid);
	CREATE TEMP TABLE c_u (id uuid);
	CREATE TEMP TABLE c_close (message text);
	CREATE TEMP TABLE heard (n serial, line text);
	\copy c_m FROM '$T/committed_maintenances'
	\copy c_u FROM '$T/committed_updates'
	\copy c_close FROM '$T/committed_closes'
	\copy heard (line) FROM '$T/events.out' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
	CREATE TEMP VIEW h AS SELECT n, (line::jsonb->>'id')::bigint AS id, line FROM heard;
	SELECT 'writes', (SELECT count(*) FROM c_m) + (SELECT count(*) FROM c_u) + (SELECT count(*) FROM c_close);
	SELECT 'missing', (SELECT count(*) FROM c_m WHERE id NOT IN (SELECT id FROM maintenance.maintenances))
	  + (SELECT count(*) FROM c_u WHERE id NOT IN (SELECT id FROM maintenance.maintenance_updates))
	  + (SELECT count(*) FROM c_close WHERE message NOT IN (SELECT message FROM maintenance.maintenance_updates));
	SELECT 'twice', count(*) FROM (SELECT FROM maintenance.maintenance_updates
	  WHERE status_change IS NOT NULL GROUP BY maintenance_id, status_change HAVING count(*) > 1) x;
	-- whose time came (3 s ago: the worker has had time): moved
	SELECT 'not_started', count(*) FROM maintenance.maintenances
	  WHERE status = 'scheduled' AND start_at < now() - interval '3 s';
	SELECT 'not_completed', count(*) FROM maintenance.maintenances
	  WHERE status = 'in_progress' AND end_at < now() - interval '3 s';
	SELECT 'due_in_failover', count(*) FROM maintenance.maintenances
	  WHERE start_at BETWEEN to_timestamp(:killed) AND to_timestamp(:promoted)
	     OR end_at BETWEEN to_timestamp(:killed) AND to_timestamp(:promoted);
	SELECT 'automatic', count(*) FROM maintenance.maintenance_updates WHERE created_by IS NULL;
	-- one set of events per status change: per transition, per system, one
	-- started/completed notification; and none without its transition
	WITH t AS (SELECT u.maintenance_id::text AS m,
	                  CASE u.status_change WHEN 'in_progress' THEN 'started' ELSE u.status_change::text END AS ev,
	                  s.system_id
	             FROM maintenance.maintenance_updates u
	             JOIN maintenance.maintenance_systems s USING (maintenance_id)
	            WHERE u.status_change IN ('in_progress', 'completed')),
	     n AS (SELECT payload->>'maintenanceId' AS m, payload->>'event' AS ev, payload->>'systemId' AS system_id,
	                  count(*) AS c
	             FROM maintenance.events
	            WHERE channel = 'maintenance_notification' AND payload->>'event' IN ('started', 'completed')
	            GROUP BY 1, 2, 3)
	SELECT 'event_sets_wrong', count(*) FROM t FULL JOIN n USING (m, ev, system_id)
	 WHERE n.c IS DISTINCT FROM 1 OR t.m IS NULL;
	-- the listener: every event once, in order, byte for byte
	SELECT 'heard', count(*) FROM h;
	SELECT 'heard_twice', count(*) FROM (SELECT id FROM h GROUP BY id HAVING count(*) > 1) x;
	SELECT 'out_of_order', count(*) FROM h a JOIN h b ON b.n = a.n + 1 WHERE b.id < a.id;
	SELECT 'not_heard', count(*) FROM maintenance.events e WHERE e.id NOT IN (SELECT id FROM h);
	SELECT 'heard_differs', count(*) FROM h
	  LEFT JOIN maintenance.events e USING (id)
	 WHERE e.id IS NULL OR maintenance.event_envelope(e)::text IS DISTINCT FROM h.line;
	-- ids handed out after the failover: above every id the consumer had seen
	SELECT 'new_ids_not_above_seen', count(*) FROM maintenance.events
	  WHERE occurred_at > to_timestamp(:killed) AND id <= :seen;
	SELECT 'new_events', count(*) FROM maintenance.events WHERE occurred_at > to_timestamp(:promoted);
	SELECT 'acked', last_event_id FROM maintenance.event_consumers WHERE name = 'ha';
	SELECT 'max_event', max(id) FROM maintenance.events;
	EOF
	) || { echo "$out" | sed 's/^/# /'; not_ok "$label: the checking queries ran"; return; }
	declare -A r=()
	local k v
	while read -r k v; do r[$k]=$v; done <<<"$out"
	say "$label: ${r[writes]} committed writes, ${r[automatic]} automatic transitions," \
		"${r[due_in_failover]} windows due during the failover, ${r[heard]} events heard," \
		"${r[new_events]} events after the promotion, consumer acked ${r[acked]} of ${r[max_event]}"
	check "$label: the writers committed through the failover" test "${r[writes]}" -gt 0
	is "$label: every transaction a writer saw commit is on the new primary" "${r[missing]}" 0
	is "$label: no maintenance changed to a status twice" "${r[twice]}" 0
	is "$label: every window whose time came started and completed" "${r[not_started]}/${r[not_completed]}" 0/0
	check "$label: windows fell due while there was no primary (${r[due_in_failover]})" \
		test "${r[due_in_failover]}" -gt 0
	is "$label: one set of events per transition" "${r[event_sets_wrong]}" 0
	check "$label: events were written after the promotion" test "${r[new_events]}" -gt 0
	# at most the event in flight at each of the two failovers twice
	check "$label: the listener delivered each event once (${r[heard_twice]} in flight twice)" \
		test "${r[heard_twice]}" -le 2
	is "$label: the listener delivered in id order" "${r[out_of_order]}" 0
	is "$label: the listener delivered every event of the new primary (no gap)" "${r[not_heard]}" 0
	is "$label: every event heard is the new primary's, byte for byte" "${r[heard_differs]}" 0
	is "$label: no id the consumer had seen was handed out again" "${r[new_ids_not_above_seen]}" 0
	is "$label: the consumer acknowledged the last event" "${r[acked]}" "${r[max_event]}"
}

# The standby: no worker, no pg_cron; run_transitions() does nothing, and
# says so at DEBUG1.
verify_standby() { # verify_standby PORT LABEL
	local port=$1 label=$2 err
	is "$label: it is a standby" "$(q "$port" -c 'SELECT pg_is_in_recovery()')" t
	is "$label: no maintenance launcher or worker and no pg_cron launcher run there" \
		"$(q "$port" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('maintenance launcher', 'maintenance worker', 'pg_cron launcher')")" 0
	err=$(q "$port" -c 'SET client_min_messages = debug1' \
		-c "SELECT started || '/' || completed || '/' || failed FROM maintenance.run_transitions()" 2>&1)
	case "$err" in
	*"DEBUG:  maintenance.run_transitions() does nothing during recovery"*0/0/0*) ok "$label: run_transitions() does nothing there and says so at DEBUG1" ;;
	*) not_ok "$label: run_transitions() does nothing there and says so at DEBUG1" "$err" ;;
	esac
}

last_heard() { tail -n 1 "$T/events.out" | sed -n 's/^{"id": \([0-9]*\),.*/\1/p'; }

settle_and_verify() { # settle_and_verify PRIMARY_PORT LABEL KILLED PROMOTED SEEN
	# Let the writers and the worker go on on the new primary, then stop the
	# writers and wait for the windows already created to pass.
	sleep 4
	touch "$T/stop"
	for pid in "${BACKGROUND[@]:0:2}"; do wait "$pid" 2>/dev/null || true; done
	wait_for 15 "the last windows to end" bash -c \
		"[ \"\$(psql -X -A -t -h 127.0.0.1 -p $1 -d app -c \"SELECT count(*) FROM maintenance.maintenances WHERE end_at > now() - interval '3 s'\")\" = 0 ]"
	wait_for 40 "the listener to catch up" listener_caught_up "$1" || true
	verify "$@"
}

restart_writers() {
	rm -f "$T/stop"
	writer_windows &
	BACKGROUND[0]=$!
	writer_updates &
	BACKGROUND[1]=$!
}

# ---------------------------------------------------------------- failover 1: kill -9
sleep 6
seen=$(last_heard)
check "the listener delivers events before the failover (up to id ${seen:-none})" test -n "$seen"
killed=$(date +%s.%N)
say "killing node1 (pg_autoctl and postmaster, SIGKILL)"
kill_node n1
wait_for 60 "node2 to be promoted" bash -c "[ \"\$(psql -X -A -t -h 127.0.0.1 -p $P2 -d app -c 'SELECT pg_is_in_recovery()')\" = f ]" ||
	bail "node2 was not promoted"
promoted=$(date +%s.%N)
say "node2 promoted, $(awk "BEGIN { printf \"%.1f\", $promoted - $killed }") s after the kill"
seq_after=$(q "$P2" -c 'SELECT last_value FROM maintenance.events_id_seq')
check "the promoted sequence is at or above every id the consumer had seen ($seq_after >= $seen)" \
	test "$seq_after" -ge "$seen"
wait_for 60 "node2 to be primary (wait_primary)" bash -c "[ \"\$(psql -X -A -t -h 127.0.0.1 -p $PM -d pg_auto_failover -c \"SELECT goalstate FROM pgautofailover.node WHERE nodename = 'node2'\")\" = wait_primary ]" || true
runs_all_three() { [ "$(q "$1" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type IN ('maintenance launcher', 'maintenance worker', 'pg_cron launcher')")" = 3 ]; }
check "failover 1: the new primary starts the launcher, the worker of app and pg_cron" \
	wait_for 30 "the worker and pg_cron on node2" runs_all_three "$P2"

settle_and_verify "$P2" "failover 1" "$killed" "$promoted" "$seen"
check "failover 1: the listener reconnected by itself" grep -q 'reconnecting' "$T/listen.err"

say "starting node1 again"
autoctl_run n1
check "failover 1: the old primary rejoined as a secondary" \
	wait_for 90 "node1 to rejoin as a secondary" state_is node1 secondary/secondary
check "failover 1: node2 is primary with a synchronous standby again" \
	wait_for 30 "node2 to be primary" state_is node2 primary/primary
verify_standby "$P1" "failover 1: old primary"

# ---------------------------------------------------------------- failover 2: perform failover
restart_writers
sleep 5
seen=$(last_heard)
killed=$(date +%s.%N)
say "pg_autoctl perform failover (back to node1)"
pg_autoctl perform failover --pgdata "$T/mon" >>"$T/perform.log" 2>&1 ||
	say "pg_autoctl perform failover exited non-zero"
wait_for 60 "node1 to be promoted" bash -c "[ \"\$(psql -X -A -t -h 127.0.0.1 -p $P1 -d app -c 'SELECT pg_is_in_recovery()')\" = f ]" ||
	bail "node1 was not promoted"
promoted=$(date +%s.%N)
check "failover 2: the new primary starts the launcher, the worker of app and pg_cron" \
	wait_for 30 "the worker and pg_cron on node1" runs_all_three "$P1"
settle_and_verify "$P1" "failover 2" "$killed" "$promoted" "$seen"
check "failover 2: the old primary rejoined as a secondary" \
	wait_for 90 "node2 to rejoin as a secondary" state_is node2 secondary/secondary
verify_standby "$P2" "failover 2: old primary"

say "done in $((SECONDS - STARTED_AT)) s"
tap_summary
