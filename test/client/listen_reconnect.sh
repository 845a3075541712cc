#!/usr/bin/env bash
# listen_reconnect.sh — maintenance-listen delivers every event exactly once,
# in id order, while its connection is killed (pg_terminate_backend) as
# events are written, and while transactions commit in another order than
# their event ids.
#
# It runs the installed client ($(pg_config --bindir)/maintenance-listen, or
# $LISTEN_BIN) with a cursor file, writes events in rounds, terminates the
# client's backend in every round and writes more while it is away, keeps
# one writer open on the lowest ids across a reconnection, then waits
# (polling, with a deadline) until the output has every event.  The output
# must be, line for line, maintenance.event_envelope() of every row of
# maintenance.events in id order.  Then: SIGTERM exits 0; a restart with the
# same cursor file delivers only what was written since; so does a named
# consumer (--consumer, cursor on the server); --exec gets each event and
# retries a failing command; a cursor ahead of the server (an asynchronous
# failover) is rewound to its last id, with a message; --help exits 0; bad
# arguments exit 2.
#
# Usage: test/client/listen_reconnect.sh   (PGHOST, PGPORT, PGUSER from the
# environment; creates and drops the database LISTEN_TEST_DB, default
# listen_reconnect_test).  Prints "ok N - ..." lines; exit status 0 = pass.
set -euo pipefail

DB=${LISTEN_TEST_DB:-listen_reconnect_test}
LISTEN_BIN=${LISTEN_BIN:-$(pg_config --bindir)/maintenance-listen}
export PGCLIENTENCODING=UTF8 LC_ALL=C LANGUAGE=C
unset PGDATABASE PGOPTIONS PGAPPNAME
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

tmp=$(mktemp -d)
listener=
slow_writer=

cleanup() {
	status=$?
	exec 4>&- 2>/dev/null || true
	for p in $listener $slow_writer; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	timeout 30 psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
		>/dev/null 2>&1 || echo "# could not drop database $DB"
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap '' PIPE

sql() {		# sql [psql options...]: run stdin or -c in $DB, tuples only
	timeout 30 psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"
}

# wait_until DESCRIPTION COMMAND...: poll COMMAND every 0.1 s, at most 30 s
wait_until() {
	local what=$1 _
	shift
	for _ in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out waiting for $what; listener stderr: $(cat "$tmp/err" 2>/dev/null)"
}

[ -x "$LISTEN_BIN" ] || fail "$LISTEN_BIN is not installed (make install)"

timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
	-c "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8'" 2>"$tmp/setup" ||
	fail "could not create database $DB: $(cat "$tmp/setup")"
sql -c 'CREATE EXTENSION maintenance' 2>"$tmp/setup" ||
	fail "could not create the extension: $(cat "$tmp/setup")"

# The pid of the client's backend other than $1 ('' if none).
listener_pid() {
	sql -c "SELECT pid FROM pg_stat_activity
	         WHERE application_name = 'maintenance-listen' AND datname = '$DB'
	           AND pid <> ${1:-0} AND state = 'idle'
	         ORDER BY backend_start DESC LIMIT 1"
}
# new_listener OLD: true when a backend of the client other than OLD is idle;
# its pid in $pid_found (read once: the client may be busy a moment later).
pid_found=
new_listener() {
	pid_found=$(listener_pid "${1:-0}")
	[ -n "$pid_found" ]
}

n_created=0
create() {	# create N: N maintenances, each with its own transaction
	local i
	for i in $(seq "$1"); do
		n_created=$((n_created + 1))
		sql -c "SELECT 1 FROM maintenance.create_maintenance('round $n_created',
		           '2030-01-01T10:00:00Z', '2030-01-01T12:00:00Z',
		           ARRAY['sys-a', 'sys-$n_created'])" >/dev/null ||
			fail "create $n_created failed"
	done
}

expected_lines() {
	sql -c "SELECT maintenance.event_envelope(e)::text FROM maintenance.events e ORDER BY e.id"
}
event_count() { sql -c "SELECT count(*) FROM maintenance.events"; }
max_id() { sql -c "SELECT coalesce(max(id), 0) FROM maintenance.events"; }
has_lines() { [ -e "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

start_listener() {	# start_listener OUT ERR ARGS...: in the background
	local out=$1 err=$2
	shift 2
	"$LISTEN_BIN" "$@" >"$out" 2>"$err" 4>&- &
	listener=$!
}

stop_listener() {	# SIGTERM, then its exit status into $stopped_status
	kill -TERM "$listener"
	stopped_status=0
	wait "$listener" || stopped_status=$?
	listener=
}

# --- the client across killed connections ---------------------------------

# Events from before the start are replayed too.
create 2

start_listener "$tmp/out" "$tmp/err" --cursor-file "$tmp/cursor" -d "dbname=$DB"
wait_until "the listener to connect" new_listener
pid=$pid_found
pids_seen=1

# A slow writer: a psql reading from a fifo keeps a transaction open that
# took event ids below those of the writers that commit meanwhile.
mkfifo "$tmp/slow.in"
exec 4<>"$tmp/slow.in"
PGAPPNAME=listen_test_slow_writer psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" \
	<"$tmp/slow.in" >"$tmp/slow.out" 2>&1 4>&- &
slow_writer=$!
echo "BEGIN; SELECT 1 FROM maintenance.create_maintenance('slow writer',
        '2030-02-01T10:00:00Z', '2030-02-01T12:00:00Z', ARRAY['sys-slow']);" >&4
slow_state() {
	[ "$(sql -c "SELECT state FROM pg_stat_activity
	              WHERE application_name = 'listen_test_slow_writer'")" = "$1" ]
}
wait_until "the slow writer's events" slow_state "idle in transaction"

# Untrusted text and an envelope too big for NOTIFY: a title with quotes, a
# backslash, a newline, a tab, an emoji and U+2028, and 700 systems, so the
# NOTIFY of its hook event goes out truncated; the client must print the
# whole event, byte for byte as event_envelope(), on one line.
hostile_title=$'say "hi" \\ back\\slash\nnew line\ttab '"🚀   end"
create_hostile() {
	sql -v title="$hostile_title" <<'SQL' >/dev/null || fail "the hostile create failed"
SELECT 1 FROM maintenance.create_maintenance(:'title',
    '2030-03-01T10:00:00Z', '2030-03-01T12:00:00Z',
    ARRAY(SELECT 'system-' || i FROM generate_series(1, 700) AS i));
SQL
}

for round in 1 2 3; do
	create 3
	[ "$round" = 1 ] && create_hostile
	sql -c "SELECT pg_terminate_backend($pid)" >/dev/null
	# written while the client is away (it waits 0.5 s before reconnecting)
	create 3
	if [ "$round" = 2 ]; then
		# The slow writer commits around a reconnection, long after the
		# writers that took higher ids: until now the client could not be
		# handed any of their events.
		echo "COMMIT;" >&4
		wait_until "the slow writer's commit" slow_state idle
	fi
	wait_until "the listener to reconnect (round $round)" new_listener "$pid"
	pid=$pid_found
	pids_seen=$((pids_seen + 1))
done
create 2
echo '\q' >&4
exec 4>&-
wait "$slow_writer" || true
slow_writer=

total=$(event_count)
wait_until "all $total events in the output" has_lines "$tmp/out" "$total"
expected_lines >"$tmp/expected"

check "the client reconnected after each of 3 terminations (4 backends)" \
	[ "$pids_seen" -eq 4 ]
check "it logged the lost connection and the reconnection" \
	grep -q "reconnecting in 0.5 s" "$tmp/err"
check "every one of the $total events, exactly once, in id order, as event_envelope()" \
	cmp -s "$tmp/out" "$tmp/expected"
check "no event id twice in the output" \
	[ -z "$(jq -r .id "$tmp/out" | sort | uniq -d)" ]
check "the ids are strictly increasing" \
	bash -c "jq -r .id '$tmp/out' | sort -n -c -u"
check "the slow writer's events, the lowest ids of their time, were delivered" \
	grep -q '"title": "slow writer"' "$tmp/out"
big_id=$(sql -c "SELECT min(e.id) FROM maintenance.events e
                 WHERE e.channel = 'maintenance_hook'
                   AND octet_length(maintenance.event_envelope(e)::text) >= 8000")
check "the hostile event's envelope was too big for NOTIFY (over 8000 bytes)" \
	[ -n "$big_id" ]
check "its line is the whole event: the title exactly, and all 700 systems" \
	bash -c "jq -e --arg t \"\$1\" --argjson id '${big_id:-0}' \
		'select(.id == \$id) | .payload.title == \$t and (.payload.systemIds | length) == 700' \
		'$tmp/out' | grep -qx true" _ "$hostile_title"
check "the cursor file holds the last event id" \
	[ "$(cat "$tmp/cursor")" = "$(max_id)" ]

stop_listener
check "SIGTERM: exit status 0" [ "$stopped_status" -eq 0 ]
if [ "$failures" -gt 0 ]; then
	diff "$tmp/expected" "$tmp/out" | head -20 | sed 's/^/# /'
	sed 's/^/# stderr: /' "$tmp/err" | head -20
fi

# --- a restart with the same cursor file ----------------------------------

before=$(max_id)
create 2
start_listener "$tmp/out2" "$tmp/err2" --cursor-file "$tmp/cursor" -d "dbname=$DB"
wait_until "the listener to connect again" new_listener
create 1
new=$(sql -c "SELECT count(*) FROM maintenance.events WHERE id > $before")
wait_until "the events written since" has_lines "$tmp/out2" "$new"
sql -c "SELECT maintenance.event_envelope(e)::text FROM maintenance.events e
         WHERE e.id > $before ORDER BY e.id" >"$tmp/expected2"
stop_listener
check "after a restart, only the events written since, once each, in order" \
	cmp -s "$tmp/out2" "$tmp/expected2"
check "the restarted client also exits 0 on SIGTERM" [ "$stopped_status" -eq 0 ]

# --- the cursor on the server: --consumer ---------------------------------

# Under session settings that would break it if it took them: a LATIN1
# client encoding (the emoji of the hostile title has no LATIN1 form) and
# REPEATABLE READ by default (replay_events() refuses it).
PGCLIENTENCODING=LATIN1 PGOPTIONS='-c default_transaction_isolation=repeatable\ read' \
	start_listener "$tmp/out4" "$tmp/err4" --consumer shell-test -d "dbname=$DB"
wait_until "every event for the new consumer" has_lines "$tmp/out4" "$(event_count)"
stop_listener
before=$(max_id)
create 1
start_listener "$tmp/out5" "$tmp/err5" --consumer shell-test -d "dbname=$DB"
wait_until "the event written while the consumer was stopped" \
	has_lines "$tmp/out5" "$(sql -c "SELECT count(*) FROM maintenance.events WHERE id > $before")"
create 1
wait_until "the event written after its restart" \
	has_lines "$tmp/out5" "$(sql -c "SELECT count(*) FROM maintenance.events WHERE id > $before")"
stop_listener
expected_lines >"$tmp/expected4"
check "--consumer: a new consumer gets every retained event (in UTF-8, under LATIN1 and REPEATABLE READ defaults)" \
	cmp -s "$tmp/out4" <(head -n "$(wc -l <"$tmp/out4")" "$tmp/expected4")
check "--consumer: restarted, it resumes from the cursor kept on the server" \
	cmp -s "$tmp/out5" <(sql -c "SELECT maintenance.event_envelope(e)::text
	                             FROM maintenance.events e WHERE e.id > $before ORDER BY e.id")
check "--consumer: the server's cursor is the last event id" \
	[ "$(sql -c "SELECT last_event_id FROM maintenance.event_consumers WHERE name = 'shell-test'")" = "$(max_id)" ]

# --- --exec, with a command that fails once --------------------------------

# The first run of the command fails; the event is retried, not skipped.
cat >"$tmp/hook.sh" <<EOF
#!/bin/sh
if [ ! -e "$tmp/failed-once" ]; then
	: >"$tmp/failed-once"
	exit 3
fi
[ "\$MAINTENANCE_EVENT_ID" = "\$(jq -r .id)" ] || exit 0	# wrong id: lose it
echo "\$MAINTENANCE_EVENT_ID" >>"$tmp/exec.ids"
EOF
chmod +x "$tmp/hook.sh"
start_listener "$tmp/out3" "$tmp/err3" -d "dbname=$DB" \
	--exec "$tmp/hook.sh" --channel maintenance_hook
nhook=$(sql -c "SELECT count(*) FROM maintenance.events WHERE channel = 'maintenance_hook'")
wait_until "the hook events through --exec" has_lines "$tmp/exec.ids" "$nhook"
stop_listener
sql -c "SELECT id FROM maintenance.events WHERE channel = 'maintenance_hook' ORDER BY id" \
	>"$tmp/expected3"
check "--exec --channel: each hook event once, in order, with its id on stdin and in the environment" \
	cmp -s "$tmp/exec.ids" "$tmp/expected3"
check "--exec: the failed command was retried" \
	grep -q "command failed for event .* (status 3); retrying in 0.5 s" "$tmp/err3"
check "--exec: nothing on standard output" [ ! -s "$tmp/out3" ]

# --- notifications read during a query --------------------------------------

# A notification that arrives while the client runs a query is read into
# libpq's buffer, not left on the socket.  Here: the client's ack_events()
# for the events of "d1" waits for a lock on its consumer row while "d2" is
# written; its NOTIFY arrives during the client's next queries.  With a
# poll interval of an hour, d2's events come out only if the client looks at
# the notifications libpq already holds before it waits on the socket.
before=$(max_id)
sql -c "SELECT maintenance.register_consumer('lock-test');
        SELECT maintenance.ack_events('lock-test', $before)" >/dev/null
mkfifo "$tmp/locker.in"
exec 4<>"$tmp/locker.in"
PGAPPNAME=listen_test_locker psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" \
	<"$tmp/locker.in" >"$tmp/locker.out" 2>&1 4>&- &
slow_writer=$!
locker_state() {
	[ "$(sql -c "SELECT state FROM pg_stat_activity
	              WHERE application_name = 'listen_test_locker'")" = "$1" ]
}
client_waits_for_lock() {
	[ "$(sql -c "SELECT count(*) FROM pg_stat_activity
	              WHERE application_name = 'maintenance-listen' AND datname = '$DB'
	                AND wait_event_type = 'Lock'")" = 1 ]
}
start_listener "$tmp/out6" "$tmp/err6" --consumer lock-test --poll-interval 3600 -d "dbname=$DB"
wait_until "the client to connect" new_listener
echo "BEGIN; SELECT 1 FROM maintenance.event_consumers WHERE name = 'lock-test' FOR UPDATE;" >&4
wait_until "the lock on the consumer row" locker_state "idle in transaction"
sql -c "SELECT 1 FROM maintenance.create_maintenance('d1',
          '2030-04-01T10:00:00Z', '2030-04-01T12:00:00Z', ARRAY['sys-d'])" >/dev/null
wait_until "the client's ack to wait for the lock" client_waits_for_lock
sql -c "SELECT 1 FROM maintenance.create_maintenance('d2',
          '2030-04-02T10:00:00Z', '2030-04-02T12:00:00Z', ARRAY['sys-d'])" >/dev/null
echo "COMMIT;" >&4
wait_until "the locker's commit" locker_state idle
new=$(sql -c "SELECT count(*) FROM maintenance.events WHERE id > $before")
wait_until "the events of d1 and d2" has_lines "$tmp/out6" "$new"
stop_listener
check "a notification read during a query starts another replay at once" \
	cmp -s "$tmp/out6" <(sql -c "SELECT maintenance.event_envelope(e)::text
	                             FROM maintenance.events e WHERE e.id > $before ORDER BY e.id")

# SIGTERM while the replay waits for a lock: the query is cancelled and the
# client exits at once with 0, not when the lock is released.
max_id >"$tmp/cursor6"
echo "BEGIN; LOCK TABLE maintenance.events IN ACCESS EXCLUSIVE MODE;" >&4
wait_until "the lock, again" locker_state "idle in transaction"
start_listener "$tmp/out7" "$tmp/err7" --cursor-file "$tmp/cursor6" -d "dbname=$DB"
wait_until "the client's replay to wait for the lock, again" client_waits_for_lock
kill -TERM "$listener"
exited=no
for _ in $(seq 50); do
	kill -0 "$listener" 2>/dev/null || { exited=yes; break; }
	sleep 0.1
done
check "SIGTERM during a replay blocked by a lock: exits within 5 s, before the lock is released" \
	[ "$exited" = yes ]
stopped_status=0
wait "$listener" || stopped_status=$?
listener=
check "and exits 0, saying nothing of the cancelled query" \
	bash -c "[ $stopped_status -eq 0 ] && ! grep -q 'could not replay' '$tmp/err7'"
echo "ROLLBACK;" >&4
echo '\q' >&4
exec 4>&-
wait "$slow_writer" || true
slow_writer=

# --- a cursor ahead of the server -------------------------------------------
# What a consumer sees after an asynchronous standby was promoted without the
# last events it had been handed: the server gives those ids to new events.
# The client goes back to the server's last id, says so, and delivers them.
ahead_from=$(sql -c "SELECT coalesce(pg_sequence_last_value('maintenance.events_id_seq'), 0)")
echo $((ahead_from + 1000)) >"$tmp/cursor8"
start_listener "$tmp/out8" "$tmp/err8" --cursor-file "$tmp/cursor8" -d "dbname=$DB"
wait_until "the listener to check its cursor" grep -q 'ahead of' "$tmp/err8"
create 1
wait_until "the events written after the rewind" has_lines "$tmp/out8" 4
stop_listener
check "a cursor ahead of the server's last id is rewound to it, with a message" \
	grep -q "cursor $((ahead_from + 1000)) is ahead of the server's last event id $ahead_from" "$tmp/err8"
check "and the events written next, with ids below the old cursor, are delivered" \
	[ "$(cat "$tmp/out8")" = "$(sql -c "SELECT maintenance.event_envelope(e)::text FROM maintenance.events e WHERE e.id > $ahead_from ORDER BY e.id")" ]
check "the cursor file holds the last of them" [ "$(cat "$tmp/cursor8")" = "$(max_id)" ]

# --- arguments --------------------------------------------------------------

status=0
"$LISTEN_BIN" --help >"$tmp/help" 2>&1 || status=$?
check "--help exits 0" [ "$status" -eq 0 ]
check "--help documents the options" \
	bash -c "grep -q -- --dbname '$tmp/help' && grep -q -- --consumer '$tmp/help' &&
	         grep -q -- --cursor-file '$tmp/help' && grep -q -- --exec '$tmp/help' &&
	         grep -q -- --channel '$tmp/help'"
status=0
"$LISTEN_BIN" --no-such-option >"$tmp/bad.out" 2>"$tmp/bad.err" || status=$?
check "an unknown option exits 2" [ "$status" -eq 2 ]
check "with a message on stderr, nothing on stdout" \
	bash -c "grep -q 'unrecognized option \"--no-such-option\"' '$tmp/bad.err' && [ ! -s '$tmp/bad.out' ]"
status=0
"$LISTEN_BIN" --channel nowhere 2>/dev/null || status=$?
check "an unknown channel exits 2" [ "$status" -eq 2 ]

status=0
"$LISTEN_BIN" -d "dbname='unterminated" >/dev/null 2>"$tmp/bad.err" || status=$?
check "a connection string libpq cannot parse exits 2, with libpq's reason" \
	bash -c "[ $status -eq 2 ] && grep -q 'invalid connection string: unterminated quoted string' '$tmp/bad.err'"

tap_summary
