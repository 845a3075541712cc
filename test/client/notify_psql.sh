#!/usr/bin/env bash
# notify_psql.sh — one create's NOTIFY envelopes, as a separate listening psql
# prints them, compared byte for byte with envelopes written out by hand.
#
# A listening psql reads its commands from a fifo.  psql prints the
# notifications it has received after each command it runs, so the script
# polls it with "SELECT 'poll'" (every 0.1 s, at most 10 s) until the barrier
# notification, which a second psql (the writer) sends after the create has
# committed, shows up: NOTIFY delivers in commit order, so everything of the
# create is in front of it.
#
# Usage: test/client/notify_psql.sh   (PGHOST, PGPORT, PGUSER from the
# environment; creates and drops the database NOTIFY_PSQL_DB, default
# notify_psql_test).  Exit status 0 = pass.
set -euo pipefail

DB=${NOTIFY_PSQL_DB:-notify_psql_test}
export PGCLIENTENCODING=UTF8 LC_ALL=C LANGUAGE=C	# untranslated psql messages
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
		>/dev/null 2>&1 || echo "# could not drop database $DB"
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap '' PIPE	# a dead listener makes writes to the fifo fail, not kill us

sql() {		# sql [psql options...]: run stdin in $DB, tuples only
	timeout 30 psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"
}

# (their NOTICEs, such as the one about pg_cron, are kept for failures only)
timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
	-c "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8'" 2>"$tmp/setup" ||
	fail "could not create database $DB: $(cat "$tmp/setup")"
sql -c 'CREATE EXTENSION maintenance' 2>"$tmp/setup" ||
	fail "could not create the extension: $(cat "$tmp/setup")"

# The listener: a psql reading from a fifo.  Opened read-write, the fifo
# never blocks us and never gives the listener EOF before we close it.
mkfifo "$tmp/in"
exec 3<>"$tmp/in"
psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
listener=$!

# wait_for TEXT: poll the listener until its output holds TEXT (at most 10 s)
wait_for() {
	local _
	for _ in $(seq 100); do
		grep -qF -- "$1" "$tmp/out" && return 0
		kill -0 "$listener" 2>/dev/null || break
		echo "SELECT 'poll';" >&3 || break
		sleep 0.1
	done
	grep -qF -- "$1" "$tmp/out"
}

cat >&3 <<'SQL'
LISTEN maintenance_signal;
LISTEN maintenance_hook;
LISTEN maintenance_notification;
LISTEN notify_test_barrier;
SELECT 'listening';
SQL
wait_for listening || fail "the listener did not start: $(cat "$tmp/err")"

# The writer: a second psql.  The title holds a quote, a backslash, a
# newline, a tab, U+0001, non-ASCII and non-BMP characters.
sql >"$tmp/writer" <<'SQL' || fail "the create failed"
SELECT pg_backend_pid();
SELECT id FROM maintenance.create_maintenance(
    title => E'Quote " backslash \\ newline\n tab\t ctrl \x01 é € 日本 🚀 𝄞',
    description => E'Tab\there / "done"',
    start_at => '2026-11-28T14:00:00.125Z',
    end_at => '2026-11-28T16:30:00Z',
    system_ids => ARRAY['sys-b', 'sys-a']);
SELECT pg_notify('notify_test_barrier', 'done');
SQL
pid=$(sed -n 1p "$tmp/writer")
mid=$(sed -n 2p "$tmp/writer")

wait_for 'notification "notify_test_barrier" with payload "done"' ||
	fail "no barrier within 10 s; listener output: $(grep -v '^poll$' "$tmp/out"; cat "$tmp/err")"
echo '\q' >&3 || true
grep '^Asynchronous notification ' "$tmp/out" >"$tmp/actual" || true

# The envelopes as written by hand: the JSON escaping of the title
# (\" \\ \n \t \u0001, the rest as UTF-8) is spelled out here, not computed.
# Only the event ids and times come from maintenance.events.
sql -v mid="$mid" -v pid="$pid" >"$tmp/expected" <<'SQL' || fail "could not read maintenance.events"
WITH expected(n, channel, envelope) AS (VALUES
  (1, 'maintenance_signal', $e${"id":%s,"channel":"maintenance_signal","name":"maintenance.updated","occurredAt":"%s","payload":{"maintenanceId":"%s","systemIds":["sys-a","sys-b"],"action":"created"}}$e$),
  (2, 'maintenance_hook', $e${"id":%s,"channel":"maintenance_hook","name":"maintenance.created","occurredAt":"%s","payload":{"maintenanceId":"%s","systemIds":["sys-a","sys-b"],"title":"Quote \" backslash \\ newline\n tab\t ctrl \u0001 é € 日本 🚀 𝄞","description":"Tab\there / \"done\"","status":"scheduled","startAt":"2026-11-28T14:00:00.125Z","endAt":"2026-11-28T16:30:00.000Z"}}$e$),
  (3, 'maintenance_notification', $e${"id":%s,"channel":"maintenance_notification","name":"maintenance.notification","occurredAt":"%s","payload":{"maintenanceId":"%3$s","systemId":"sys-a","event":"created","title":"Maintenance scheduled","body":"A maintenance **\"Quote \" backslash \\ newline\n tab\t ctrl \u0001 é € 日本 🚀 𝄞\"** has been scheduled for a system you're subscribed to.","importance":"info","action":{"label":"View Maintenance","url":"/maintenance/%3$s"},"includeGroupSubscribers":true}}$e$),
  (4, 'maintenance_notification', $e${"id":%s,"channel":"maintenance_notification","name":"maintenance.notification","occurredAt":"%s","payload":{"maintenanceId":"%3$s","systemId":"sys-b","event":"created","title":"Maintenance scheduled","body":"A maintenance **\"Quote \" backslash \\ newline\n tab\t ctrl \u0001 é € 日本 🚀 𝄞\"** has been scheduled for a system you're subscribed to.","importance":"info","action":{"label":"View Maintenance","url":"/maintenance/%3$s"},"includeGroupSubscribers":true}}$e$)
), events AS (
  SELECT row_number() OVER (ORDER BY e.id) AS n, e.id, e.occurred_at
    FROM maintenance.events e
)
SELECT format('Asynchronous notification "%s" with payload "%s" received from server process with PID %s.',
              x.channel, format(x.envelope, e.id, maintenance.iso_time(e.occurred_at), :'mid'), :'pid')
  FROM expected x JOIN events e USING (n)
 ORDER BY n;
SQL
printf 'Asynchronous notification "notify_test_barrier" with payload "done" received from server process with PID %s.\n' \
	"$pid" >>"$tmp/expected"

same_lines() { cmp -s "$tmp/expected" "$tmp/actual"; }
check "the listener got the create's 4 envelopes and the barrier, byte for byte, in order" same_lines
if ! same_lines; then
	echo "# expected vs received:"
	diff "$tmp/expected" "$tmp/actual" | sed 's/^/#   /' || true
fi

event_count() { [ "$(sql -c 'SELECT count(*) FROM maintenance.events')" = 4 ]; }
check "maintenance.events holds exactly the 4 events" event_count

payloads_match() {	# the outbox payloads equal the envelopes' payloads
	local n
	n=$(grep -v notify_test_barrier "$tmp/actual" |
		sed -E 's/^Asynchronous notification "[a-z_]+" with payload "(.*)" received from server process with PID [0-9]+\.$/\1/' |
		sql -c "CREATE TEMP TABLE got (envelope text)" \
			-c "COPY got FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" \
			-c "SELECT count(*) FROM got g JOIN maintenance.events e
				   ON e.id = (g.envelope::jsonb->>'id')::bigint
				  AND e.payload = g.envelope::jsonb->'payload'")
	[ "$n" = 4 ]
}
check "each envelope's payload equals its maintenance.events row" payloads_match

tap_summary
