#!/usr/bin/env bash
# notify_payload.sh — what an unprivileged role receives through LISTEN.
#
# PostgreSQL has no privilege for LISTEN.  A role with LOGIN and no USAGE
# on schema maintenance listens (psql reading from a fifo) while a writer
# creates, updates and closes a maintenance whose title, description and
# system id are distinctive strings.  With maintenance.notify_payload =
# full (the default) the strings reach the listener (so the test can
# fail); after ALTER DATABASE ... SET maintenance.notify_payload = id none
# of them does: each notification is exactly {"id", "channel", "name",
# "occurredAt"} of its maintenance.events row, which keeps the whole
# payload.  maintenance-listen, which reads through replay_events(), still
# delivers every whole envelope in id mode.
#
# Usage: test/client/notify_payload.sh   (PGHOST, PGPORT, PGUSER from the
# environment; creates and drops the database NOTIFY_PAYLOAD_DB, default
# notify_payload_test, and the role notify_payload_outsider).
set -euo pipefail

DB=${NOTIFY_PAYLOAD_DB:-notify_payload_test}
OUTSIDER=notify_payload_outsider
LISTEN_BIN=${LISTEN_BIN:-$(pg_config --bindir)/maintenance-listen}
export PGCLIENTENCODING=UTF8 LC_ALL=C LANGUAGE=C
unset PGDATABASE PGOPTIONS
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

tmp=$(mktemp -d)
listener=

cleanup() {
	status=$?
	exec 3>&- 2>/dev/null || true
	if [ -n "$listener" ]; then
		kill "$listener" 2>/dev/null || true
		wait "$listener" 2>/dev/null || true
	fi
	timeout 30 psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
		-c "DROP ROLE IF EXISTS $OUTSIDER" >/dev/null 2>&1 || echo "# could not clean up"
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap '' PIPE

sql() {		# sql [psql options...]: run stdin or -c in $DB, tuples only
	timeout 60 psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"
}

timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP ROLE IF EXISTS $OUTSIDER" \
	-c "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8'" \
	-c "CREATE ROLE $OUTSIDER LOGIN" 2>"$tmp/setup" ||
	fail "could not set up: $(cat "$tmp/setup")"
sql -c 'CREATE EXTENSION maintenance' 2>"$tmp/setup" ||
	fail "could not create the extension: $(cat "$tmp/setup")"

no_usage() {
	[ "$(sql -c "SELECT has_schema_privilege('$OUTSIDER', 'maintenance', 'USAGE')")" = f ]
}
check "the listening role has no USAGE on schema maintenance" no_usage
cannot_replay() {
	! timeout 30 psql -X -q -A -t -d "$DB" -U "$OUTSIDER" \
		-c 'SELECT * FROM maintenance.replay_events()' >/dev/null 2>&1
}
check "the listening role cannot read the events through replay_events()" cannot_replay

# listen ROUND: start the outsider's listener (psql reading from a fifo)
listen() {
	mkfifo "$tmp/in-$1"
	exec 3<>"$tmp/in-$1"
	psql -X -q -A -t -d "$DB" -U "$OUTSIDER" <"$tmp/in-$1" >"$tmp/out-$1" 2>"$tmp/err-$1" &
	listener=$!
	printf 'LISTEN maintenance_signal;\nLISTEN maintenance_hook;\nLISTEN maintenance_notification;\nLISTEN barrier;\nSELECT %s;\n' \
		"'listening'" >&3
	wait_for "$1" listening || fail "the listener did not start: $(cat "$tmp/err-$1")"
}

wait_for() {	# wait_for ROUND TEXT: poll the listener, at most 10 s
	local _
	for _ in $(seq 100); do
		grep -qF -- "$2" "$tmp/out-$1" && return 0
		echo "SELECT 'poll';" >&3 || break
		sleep 0.1
	done
	grep -qF -- "$2" "$tmp/out-$1"
}

# write ROUND: a create, an update, a start and a close with distinctive
# text, then a barrier; the listener's notifications go to received-ROUND.
write() {
	sql -v round="$1" >"$tmp/ids-$1" <<'SQL' || fail "the writes failed"
SELECT min(id) FROM (SELECT coalesce(max(id), 0) + 1 AS id FROM maintenance.events) e;
SELECT id AS m FROM maintenance.create_maintenance('Title-Zanzibar-' || :'round', now() + interval '1 day',
    now() + interval '2 days', ARRAY['sys-Quokka-' || :'round'], 'Desc-Marmalade-' || :'round') \gset
SELECT 1 FROM maintenance.update_maintenance(:'m', description => 'Desc-Marmalade-again-' || :'round');
SELECT 1 FROM maintenance.add_update(:'m', 'Msg-Tangerine', 'in_progress');
SELECT 1 FROM maintenance.close_maintenance(:'m');
SELECT pg_notify('barrier', 'done');
SQL
	wait_for "$1" 'notification "barrier" with payload "done"' ||
		fail "no barrier within 10 s: $(cat "$tmp/out-$1" "$tmp/err-$1")"
	echo '\q' >&3 || true
	wait "$listener" || true
	listener=
	exec 3>&-
	grep '^Asynchronous notification "maintenance_' "$tmp/out-$1" |
		sed -E 's/^Asynchronous notification "[a-z_]+" with payload "(.*)" received from server process with PID [0-9]+\.$/\1/' \
			>"$tmp/received-$1"
}

leaks() {	# leaks ROUND: any distinctive string in what the listener got
	grep -qE "Zanzibar|Marmalade|Quokka|Tangerine" "$tmp/received-$1"
}

listen full
write full
is "full: the listener got 11 notifications" "$(wc -l <"$tmp/received-full")" 11
check "full: the title, the description and the system id reach the unprivileged listener" leaks full

sql -c "ALTER DATABASE $DB SET maintenance.notify_payload = id"
listen id
write id
first=$(sed -n 1p "$tmp/ids-id")
is "id: the listener got 11 notifications" "$(wc -l <"$tmp/received-id")" 11
no_leak() { ! leaks id; }
check "id: no title, no description, no system id reaches it" no_leak
heads_only() {	# each notification is exactly the head of its outbox row
	local n
	n=$(sql \
		-c "CREATE TEMP TABLE got (n serial, envelope text)" \
		-c "COPY got (envelope) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" \
		-c "SELECT count(*) FROM got g JOIN maintenance.events e ON e.id = $first + g.n - 1
		     WHERE g.envelope = format('{\"id\":%s,\"channel\":\"%s\",\"name\":\"%s\",\"occurredAt\":\"%s\"}',
		                               e.id, e.channel, e.name, maintenance.iso_time(e.occurred_at))
		       AND e.payload ? 'maintenanceId'" <"$tmp/received-id")
	[ "$n" = 11 ]
}
check "id: each notification is {id, channel, name, occurredAt} of its event, whose row keeps the payload" heads_only
# maintenance-listen reads through replay: in id mode it still prints every
# whole envelope (it stops once it has caught up: --poll-interval, then TERM).
listen_client() {
	local out=$tmp/listen.jsonl _ pid
	sql -c "SELECT maintenance.event_envelope(e)::text FROM maintenance.events e ORDER BY e.id" \
		>"$tmp/listen.expected"
	"$LISTEN_BIN" -d "dbname=$DB" --cursor-file="$tmp/cursor" >"$out" 2>"$tmp/listen.err" &
	pid=$!
	for _ in $(seq 100); do
		[ "$(wc -l <"$out")" -ge 22 ] && break
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || true
	# the same JSON, compared as jsonb text (key order and spacing aside)
	sql -c "CREATE TEMP TABLE got (n serial, j jsonb)" \
		-c "COPY got (j) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" \
		-c "SELECT j::text FROM got ORDER BY n" <"$out" >"$tmp/listen.got"
	[ "$(wc -l <"$tmp/listen.expected")" = 22 ] && cmp -s "$tmp/listen.expected" "$tmp/listen.got"
}
check "id: maintenance-listen still delivers all 22 whole envelopes (through replay_events)" listen_client

tap_summary
