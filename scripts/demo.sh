#!/usr/bin/env bash
# Run the product: a guided tour of the maintenance extension.
#
#   scripts/demo.sh            full tour; waits for pg_cron (about 2 minutes)
#   scripts/demo.sh --quick    the same, but pg_cron's transitions are run
#                              by hand with maintenance.run_transitions(as_of => ...)
# Both go on with the background worker starting and completing a window on
# the second (about 10 s), a reminder sent on the second, a weekly series
# across DST, maintenance time for SLAs (coverage), the
# calendar feed, and signed webhooks (maintenance-listen --webhook to a
# receiver that checks each signature itself).
#
# Same set-up as scripts/test.sh (Debian packages if missing, build, install,
# throwaway cluster with pg_cron, torn down at the end).  In the database
# "postgres" (pg_cron's database, so CREATE EXTENSION schedules the job) it
# starts a listener -- a separate psql that LISTENs on the three channels and
# polls every 0.5 s -- then walks maintenances through their statuses and
# prints, after each step, the notifications the listener received.
set -euo pipefail

QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
-h | --help)
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: scripts/demo.sh [--quick]" >&2
	exit 2
	;;
esac

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages python3:python3
check_pg_config
build
install_extension
# The library preloaded too, for the background worker (step "On the
# second"); it watches no database until that step lists one.
cluster_start "shared_preload_libraries = 'pg_cron,maintenance'"
export PGTZ=UTC PGDATABASE=postgres PYTHONIOENCODING=utf-8

# ---------------------------------------------------------------- helpers
sql() { psql -X -qAt -v ON_ERROR_STOP=1 -F ' | ' "$@"; }
# table: aligned output with headers, for showing rows.
table() { psql -X -q -v ON_ERROR_STOP=1 -P footer=off "$@" | sed -e '/^$/d' -e 's/^/    /'; }

BOLD= RESET=
if [ -t 1 ]; then
	BOLD=$(tput bold 2>/dev/null || true)
	RESET=$(tput sgr0 2>/dev/null || true)
fi
STEP=0
step() {
	STEP=$((STEP + 1))
	printf '\n%s── %d. %s%s\n' "$BOLD" "$STEP" "$*" "$RESET"
}
note() { printf '    %s\n' "$*"; }

# The listener: psql reading commands from a fifo.  It LISTENs on the three
# channels of the extension (and on demo_sync, which the demo uses to know that
# the listener has seen everything up to a point), then runs SELECT 1 every
# 0.5 s; psql prints the notifications that arrived after each command.
LISTEN_LOG=$LIB_LOGDIR/listener.log
LISTEN_SEEN=$LIB_LOGDIR/listener.seen
echo 0 >"$LISTEN_SEEN"

listener_start() {
	local fifo=$LIB_LOGDIR/listener.fifo
	mkfifo "$fifo"
	psql -X -qAt -d postgres <"$fifo" >"$LISTEN_LOG" 2>&1 &
	LISTENER_PID=$!
	exec {LISTEN_FD}>"$fifo"
	add_cleanup listener_stop
	printf '%s\n' 'LISTEN maintenance_signal;' 'LISTEN maintenance_hook;' \
		'LISTEN maintenance_notification;' 'LISTEN demo_sync;' >&"$LISTEN_FD"
	(while sleep 0.5; do printf 'SELECT 1;\n' || exit 0; done) >&"$LISTEN_FD" 2>/dev/null &
	TICKER_PID=$!
}

listener_stop() {
	[ -n "${LISTENER_PID:-}" ] || return 0
	kill "$TICKER_PID" 2>/dev/null || true
	printf '\\q\n' >&"$LISTEN_FD" 2>/dev/null || true
	exec {LISTEN_FD}>&-
	wait "$LISTENER_PID" 2>/dev/null || true
	wait "$TICKER_PID" 2>/dev/null || true
	LISTENER_PID=
}

# sync_listener: NOTIFY a marker and wait (at most 10 s) until the listener has
# printed it; notifications arrive in commit order, so it has seen all before.
SYNC=0
sync_listener() {
	SYNC=$((SYNC + 1))
	sql -c "NOTIFY demo_sync, 'sync-$SYNC'"
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "payload \"sync-$SYNC\"" "$LISTEN_LOG" && return 0
		sleep 0.1
	done
	note "(the listener has not caught up after 10 s)"
}

# show_events [pretty]: print the notifications received since the last call.
# Compact: one line per notification (channel, name, payload as JSON); pretty:
# the whole envelope, indented JSON.
show_events() {
	sync_listener
	python3 - "$LISTEN_LOG" "$LISTEN_SEEN" "${1:-compact}" <<'PY'
import json, re, sys
log, seen_file, mode = sys.argv[1:4]
pat = re.compile(r'^Asynchronous notification "([^"]*)" with payload "(.*)" '
                 r'received from server process with PID \d+\.$')
events = []
with open(log, encoding='utf-8', errors='replace') as f:
    for line in f:
        m = pat.match(line.rstrip('\n'))
        if m and m.group(1) != 'demo_sync':
            events.append((m.group(1), m.group(2)))
seen = int(open(seen_file).read().strip() or 0)
new = events[seen:]
if not new:
    print('    listener received: nothing')
else:
    print(f'    listener received {len(new)} notification(s):')
for channel, raw in new:
    try:
        env = json.loads(raw)
    except ValueError:
        print(f'      {channel}: (not JSON) {raw}')
        continue
    if mode == 'pretty':
        print(f'      ⟵ {channel}')
        for l in json.dumps(env, indent=2, ensure_ascii=False).splitlines():
            print('        ' + l)
    else:
        body = env.get('payload', {'truncated': env.get('truncated')})
        print(f"      ⟵ {channel:<25} {env.get('name', '?'):<26} "
              + json.dumps(body, ensure_ascii=False))
open(seen_file, 'w').write(str(len(events)))
PY
}

status_of() { sql -c "SELECT status FROM maintenance.maintenances WHERE id = '$1'"; }

timeline() {
	table -c "SELECT to_char(created_at, 'HH24:MI:SS') AS at,
	                 coalesce(status_change::text, '-') AS status_change,
	                 coalesce(created_by, '(system)') AS created_by, message
	            FROM maintenance.get_maintenance_updates('$1')"
}

# ---------------------------------------------------------------- the tour
step "Install the extension in the database \"postgres\", where pg_cron lives"
sql -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION maintenance'
note "CREATE EXTENSION pg_cron; CREATE EXTENSION maintenance;  -- schedules the transitions job:"
table -c "SELECT jobid, jobname, schedule, command FROM cron.job"

listener_start
note "a listener (separate psql, pid $LISTENER_PID) is LISTENing on maintenance_signal, maintenance_hook, maintenance_notification"

step "Create a maintenance (title with quotes and an emoji) for systems api and db"
M1=$(sql -c "SELECT id FROM maintenance.create_maintenance(
	title => \$t\$Upgrade of \"core-db\" to v16 — it's a big one 🚀\$t\$,
	description => 'Rolling upgrade of the primary database cluster.',
	start_at => date_trunc('minute', now()) + interval '1 hour',
	end_at => date_trunc('minute', now()) + interval '3 hours',
	system_ids => ARRAY['db', 'api'])")
note "maintenance.create_maintenance(...) -> id $M1, status $(status_of "$M1")"
note "as JSON (maintenance.rpc('getMaintenance', ...)):"
sql -c "SELECT jsonb_pretty(maintenance.rpc('getMaintenance', jsonb_build_object('id', '$M1'::text)))" | sed 's/^/      /'
show_events pretty

step "Add an update without a status change (message only: no notification)"
sql -c "SELECT 1 FROM maintenance.add_update('$M1', 'Backups verified, on schedule.', created_by => 'alice')" >/dev/null
note "status: $(status_of "$M1")"
show_events

step "Start it: add_update(..., status_change => 'in_progress')"
sql -c "SET maintenance.actor = 'bob'" \
	-c "SELECT 1 FROM maintenance.add_update('$M1', 'Upgrade started.', 'in_progress')" >/dev/null
note "status: $(status_of "$M1")   (author from the setting maintenance.actor = 'bob')"
show_events

step "Close it: close_maintenance(...) -> completed"
sql -c "SELECT 1 FROM maintenance.close_maintenance('$M1', 'Upgrade finished, all checks green.', 'bob')" >/dev/null
note "status: $(status_of "$M1"); its timeline:"
timeline "$M1"
show_events

step "A second maintenance, cancelled before it starts"
M2=$(sql -c "SELECT id FROM maintenance.create_maintenance(
	'Replace load balancer', now() + interval '1 day', now() + interval '1 day 2 hours',
	ARRAY['edge'], suppress_notifications => true)")
sql -c "SELECT 1 FROM maintenance.add_update('$M2', 'Postponed: the vendor is not ready.', 'cancelled', 'carol')" >/dev/null
note "created $M2, then add_update(..., 'cancelled') -> status $(status_of "$M2")"
show_events
note "cancelled is final; asking to start it is refused (SQLSTATE 55000) and emits nothing:"
psql -X -q -d postgres -v VERBOSITY=verbose \
	-c "SELECT maintenance.add_update('$M2', 'Start anyway', 'in_progress')" 2>&1 |
	grep -E '^(ERROR|DETAIL|HINT)' | sed 's/^/      /' || true
show_events

if [ "$QUICK" = 1 ]; then
	step "Automatic transitions, run by hand with an explicit \"now\" (--quick)"
	row=$(sql -F ' ' -c "SELECT id, extract(epoch FROM start_at)::bigint, extract(epoch FROM end_at)::bigint
		FROM maintenance.create_maintenance('Nightly index rebuild',
			date_trunc('minute', now()) + interval '2 hours',
			date_trunc('minute', now()) + interval '3 hours', ARRAY['search'])")
	read -r M3 START END <<<"$row"
	note "created $M3: $(sql -c "SELECT status || ', ' || to_char(start_at, 'HH24:MI') || ' to ' || to_char(end_at, 'HH24:MI') || ' UTC' FROM maintenance.maintenances WHERE id = '$M3'")"
	show_events
	for as_of in "$((START + 1))" "$((END + 1))"; do
		ts=$(sql -c "SELECT to_timestamp($as_of)")
		note "SELECT * FROM maintenance.run_transitions(as_of => '$ts');"
		table -c "SELECT * FROM maintenance.run_transitions(as_of => to_timestamp($as_of))"
		note "status: $(status_of "$M3")"
		show_events
	done
else
	step "Automatic transitions by pg_cron (job maintenance-transitions, every minute)"
	M3=$(sql -c "WITH t AS (SELECT now() + interval '3 seconds' AS s)
		SELECT id FROM t, maintenance.create_maintenance('Nightly index rebuild', t.s,
			date_trunc('minute', t.s) + interval '90 seconds', ARRAY['search'])")
	note "created $M3: $(sql -c "SELECT status || ', from ' || to_char(start_at, 'HH24:MI:SS') || ' to ' || to_char(end_at, 'HH24:MI:SS') || ' UTC' FROM maintenance.maintenances WHERE id = '$M3'")"
	note "pg_cron runs the job at the top of each minute: it should start at the next one and complete at the one after."
	show_events
	last=scheduled
	deadline=$((SECONDS + 150))
	while [ "$SECONDS" -lt "$deadline" ]; do
		sleep 2
		now_status=$(status_of "$M3")
		if [ "$now_status" != "$last" ]; then
			note "[$(date -u +%H:%M:%S)] status: $last -> $now_status"
			show_events
			last=$now_status
		fi
		[ "$now_status" = completed ] && break
	done
	if [ "$last" != completed ]; then
		warn "pg_cron did not complete the maintenance within 150 s (status: $last)"
	fi
	note "its timeline (the automatic updates have no author):"
	timeline "$M3"
	note "pg_cron's record of the runs:"
	table -c "SELECT runid, status, return_message, to_char(start_time, 'HH24:MI:SS') AS started
	            FROM cron.job_run_details ORDER BY runid"
	[ "$last" = completed ] || exit 1
fi

step "On the second: the background worker (maintenance.worker_databases)"
note "CREATE DATABASE demo_worker; CREATE EXTENSION maintenance there (no pg_cron in it: it says so);"
note "ALTER SYSTEM SET maintenance.worker_databases = 'demo_worker'; SELECT pg_reload_conf();"
sql -c 'CREATE DATABASE demo_worker'
sql -d demo_worker -c 'CREATE EXTENSION maintenance' 2>&1 | sed 's/^/    /'
sql -c 'ALTER SYSTEM SET maintenance.worker_databases = '"'demo_worker'" -c 'SELECT pg_reload_conf()' >/dev/null
for ((i = 0; i < 100; i++)); do
	[ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'maintenance worker' AND datname = 'demo_worker'")" = 1 ] && break
	sleep 0.1
done
table -c "SELECT pid, backend_type, datname FROM pg_stat_activity WHERE backend_type LIKE 'maintenance %' ORDER BY backend_type"
M4=$(sql -d demo_worker -c "SELECT id FROM maintenance.create_maintenance('Cache flush',
	now() + interval '4 seconds', now() + interval '8 seconds', ARRAY['cache'])")
note "created $M4: $(sql -d demo_worker -c "SELECT status || ', from ' || to_char(start_at, 'HH24:MI:SS.MS') || ' to ' || to_char(end_at, 'HH24:MI:SS.MS') || ' UTC' FROM maintenance.maintenances WHERE id = '$M4'")"
last=scheduled
for ((i = 0; i < 200; i++)); do
	now_status=$(sql -d demo_worker -c "SELECT status FROM maintenance.maintenances WHERE id = '$M4'")
	if [ "$now_status" != "$last" ]; then
		note "[$(date -u +%H:%M:%S.%3N)] status: $last -> $now_status"
		last=$now_status
	fi
	[ "$now_status" = completed ] && break
	sleep 0.1
done
note "its timeline, and how late each automatic update came (its time minus start_at or end_at):"
table -d demo_worker -c "SELECT to_char(u.created_at, 'HH24:MI:SS.MS') AS at,
	                 coalesce(u.status_change::text, '-') AS status_change,
	                 coalesce(u.created_by, '(system)') AS created_by, u.message,
	                 round(extract(epoch FROM u.created_at - CASE u.status_change
	                     WHEN 'in_progress' THEN m.start_at ELSE m.end_at END) * 1000) AS late_ms
	            FROM maintenance.get_maintenance_updates('$M4') u
	            JOIN maintenance.maintenances m ON m.id = u.maintenance_id"
[ "$last" = completed ] || {
	warn "the worker did not complete the maintenance within 20 s (status: $last)"
	exit 1
}

step "Reminders: a lead before the start, sent by the worker on the second"
M5=$(sql -d demo_worker -c "SELECT id FROM maintenance.create_maintenance('Kernel patch',
	now() + interval '1 minute 3 seconds', now() + interval '1 hour', ARRAY['api', 'web'],
	reminders => '{PT1M,P1D}')")
note "created $M5 starting at $(sql -d demo_worker -c "SELECT to_char(start_at, 'HH24:MI:SS.MS') FROM maintenance.maintenances WHERE id = '$M5'") UTC with reminders => '{PT1M,P1D}':"
note "P1D is past already (not sent); PT1M is due 3 s from now:"
table -d demo_worker -c "SELECT remind_before, to_char(remind_at, 'HH24:MI:SS.MS') AS remind_at, sent_at
	            FROM maintenance.maintenance_reminders WHERE maintenance_id = '$M5'"
for ((i = 0; i < 100; i++)); do
	[ "$(sql -d demo_worker -c "SELECT count(*) FROM maintenance.maintenance_reminders
		WHERE maintenance_id = '$M5' AND sent_at IS NOT NULL")" = 1 ] && break
	sleep 0.1
done
note "sent once, one notification per system, how late (sent_at minus remind_at):"
table -d demo_worker -c "SELECT remind_before, round(extract(epoch FROM sent_at - remind_at) * 1000) AS late_ms
	            FROM maintenance.maintenance_reminders WHERE maintenance_id = '$M5' AND sent_at IS NOT NULL"
sql -d demo_worker -c "SELECT jsonb_pretty(payload) FROM maintenance.events
	WHERE name = 'maintenance.notification' AND payload ->> 'event' = 'reminder'
	ORDER BY id LIMIT 1" | sed 's/^/      /'

step "Recurring windows: a weekly series in Europe/Berlin, right across DST"
S1=$(sql -c "SELECT id FROM maintenance.create_series(
	title => 'Patch night', system_ids => '{db,api}',
	rrule => 'FREQ=WEEKLY;BYDAY=SU', time_zone => 'Europe/Berlin',
	first_start => date_trunc('week', now() AT TIME ZONE 'Europe/Berlin') + interval '6 days 2 hours',
	duration => '2 hours', reminders => '{P1D}')")
note "create_series(rrule => 'FREQ=WEEKLY;BYDAY=SU', time_zone => 'Europe/Berlin', first_start => Sunday 02:00, duration => '2 hours') -> $S1"
note "its occurrences up to the horizon (maintenance.series_horizon = $(sql -c 'SHOW maintenance.series_horizon')) are ordinary maintenances:"
table -c "SELECT to_char(start_at AT TIME ZONE 'Europe/Berlin', 'Dy YYYY-MM-DD HH24:MI') AS local_start,
	                 start_at, status, system_ids, reminders
	            FROM maintenance.get_series_occurrences('$S1')"
note "each creation emits the events of create_maintenance (the hooks shown; signals and notifications too):"
show_events | grep -v 'maintenance_signal\|maintenance_notification'
note "02:00 Berlin time is 01:00 UTC in winter and 00:00 UTC in summer; on 28 March 2027 02:00 does not exist"
note "(clocks go from 02:00 to 03:00): that window starts at 03:00, 01:00 UTC, as RFC 5545 says:"
table -c "SELECT start_at, end_at, to_char(start_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI') AS local
	            FROM maintenance.preview_series('$S1', from_time => '2027-03-20', count => 3)"
note "and a 02:30 start that night is read with the offset from before the gap: 03:30:"
table -c "SELECT start_at, to_char(start_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI') AS local
	            FROM maintenance.preview_series('FREQ=YEARLY', 'Europe/Berlin', '2027-03-28 02:30', '1 hour', count => 1)"
O2=$(sql -c "SELECT id FROM maintenance.get_series_occurrences('$S1') ORDER BY start_at OFFSET 1 LIMIT 1")
IFS='|' read -r O2_START O2_END <<<"$(sql -F '|' -c "SELECT quote_literal(start_at + interval '1 hour'), quote_literal(end_at + interval '1 hour')
	FROM maintenance.maintenances WHERE id = '$O2'")"
sql -c "SELECT 1 FROM maintenance.update_maintenance('$O2', start_at => $O2_START, end_at => $O2_END)" >/dev/null
note "the second occurrence moved an hour later on its own (update_maintenance): editing the series"
note "later leaves it alone, and the calendar below shows it as an override (RECURRENCE-ID)"

step "Maintenance time for SLAs: maintenance.coverage() and under_maintenance()"
note "from each maintenance's timeline (in_progress until completed or cancelled), overlaps merged:"
table -c "SELECT system_id, seconds, ranges
            FROM maintenance.coverage(ARRAY['db', 'api', 'edge', 'search'],
                                      tstzrange(now() - interval '1 day', now()))"
note "under_maintenance() answers for one moment (the middle of db's window, and now):"
sql -c "SELECT '    under_maintenance(''db'', ' || to_char(t, 'HH24:MI:SS.MS') || ') = ' || maintenance.under_maintenance('db', t)
	          || E'\n    under_maintenance(''db'') = ' || maintenance.under_maintenance('db')
	     FROM (SELECT lower(r) + (upper(r) - lower(r)) / 2 AS t
	             FROM maintenance.coverage(ARRAY['db'], tstzrange(now() - interval '1 day', now())) c,
	                  unnest(c.ranges) r) x"
note "the same through rpc('getCoverage', ...), as an SLA report would read it:"
sql -c "SELECT jsonb_pretty(maintenance.rpc('getCoverage', jsonb_build_object(
	'systemIds', jsonb_build_array('db', 'edge'),
	'from', now() - interval '1 day', 'to', now())))" | sed 's/^/      /'

step "The calendar feed: maintenance.calendar() (RFC 5545, built with libical)"
note "what a calendar client subscribes to (SELECT maintenance.calendar(ARRAY['db', 'api', 'edge'])):"
# The VTIMEZONE lists every change of the next ten years: shown as a count.
sql -c "SELECT maintenance.calendar(ARRAY['db', 'api', 'edge'])" | tr -d '\r' |
	awk '/^BEGIN:VTIMEZONE/ { tz = 1; n = 0 }
	     tz && /^BEGIN:(STANDARD|DAYLIGHT)/ { n++ }
	     tz && /^TZID:/ { id = $0 }
	     /^END:VTIMEZONE/ { tz = 0; print "BEGIN:VTIMEZONE"; print id;
	                        print "  (" n " STANDARD/DAYLIGHT observances, one per change)"; print; next }
	     !tz' | sed 's/^/      /'

step "Signed webhooks: maintenance-listen --webhook (Standard Webhooks, HMAC-SHA256)"
WEBHOOK_SECRET_FILE=$LIB_LOGDIR/webhook-secrets
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" >"$WEBHOOK_SECRET_FILE"
chmod 600 "$WEBHOOK_SECRET_FILE"
RECEIVED=$LIB_LOGDIR/webhooks.received
: >"$RECEIVED"
# A receiver of its own, in Python: it checks every signature itself.
python3 - "$WEBHOOK_SECRET_FILE" "$RECEIVED" "$LIB_LOGDIR/webhook.port" <<'PY' &
import base64, hashlib, hmac, http.server, json, sys
secret_file, received, port_file = sys.argv[1:4]
key = base64.b64decode(open(secret_file).read().strip().removeprefix('whsec_'))
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['content-length']))
        wid, ts = self.headers['webhook-id'], self.headers['webhook-timestamp']
        want = base64.b64encode(hmac.new(key, f'{wid}.{ts}.'.encode() + body,
                                         hashlib.sha256).digest()).decode()
        good = any(hmac.compare_digest(s.removeprefix('v1,'), want)
                   for s in self.headers['webhook-signature'].split())
        self.send_response(204 if good else 401)
        self.end_headers()
        event = json.loads(body)
        with open(received, 'a') as f:
            f.write(f"{wid:<30} {event['name']:<22} {'signature verified' if good else 'BAD SIGNATURE'}\n")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), Receiver)
open(port_file, 'w').write(str(server.server_port))
server.serve_forever()
PY
RECEIVER_PID=$!
add_cleanup "kill $RECEIVER_PID 2>/dev/null"
for ((i = 0; i < 50; i++)); do [ -s "$LIB_LOGDIR/webhook.port" ] && break; sleep 0.1; done
WEBHOOK_URL="http://127.0.0.1:$(cat "$LIB_LOGDIR/webhook.port")/hooks/maintenance"
LISTEN_BIN=$(pg_config --bindir)/maintenance-listen
note "$LISTEN_BIN --consumer demo-webhooks --channel maintenance_hook \\"
note "    --webhook $WEBHOOK_URL --webhook-secret-file $WEBHOOK_SECRET_FILE"
"$LISTEN_BIN" -d "dbname=postgres" --consumer demo-webhooks --channel maintenance_hook \
	--webhook "$WEBHOOK_URL" --webhook-secret-file "$WEBHOOK_SECRET_FILE" \
	>"$LIB_LOGDIR/webhook-listen.out" 2>"$LIB_LOGDIR/webhook-listen.err" &
WEBHOOK_LISTEN_PID=$!
add_cleanup "kill $WEBHOOK_LISTEN_PID 2>/dev/null"
hooks=$(sql -c "SELECT count(*) FROM maintenance.events WHERE channel = 'maintenance_hook'")
for ((i = 0; i < 100; i++)); do
	[ "$(wc -l <"$RECEIVED")" -ge "$hooks" ] && break
	sleep 0.1
done
note "it replays the retained events of maintenance_hook as a new consumer, then follows LISTEN;"
note "the receiver got $(wc -l <"$RECEIVED") of $hooks (webhook-id, event, its own HMAC check):"
sed 's/^/      /' "$RECEIVED"
kill -TERM "$WEBHOOK_LISTEN_PID"
wait "$WEBHOOK_LISTEN_PID" 2>/dev/null || true
note "after SIGTERM its cursor is on the server: $(sql -c "SELECT 'consumer ' || name || ' acknowledged event ' || last_event_id FROM maintenance.event_consumers WHERE name = 'demo-webhooks'")"

step "All maintenances (maintenance.list_maintenances())"
table -c "SELECT title, status, system_ids FROM maintenance.list_maintenances()"
note "events recorded in maintenance.events:"
table -c "SELECT channel, name, count(*) FROM maintenance.events GROUP BY 1, 2 ORDER BY 1, 2"

step "Tear down"
listener_stop
note "listener stopped; the throwaway cluster $CLUSTER_DIR is stopped and removed on exit"
