#!/usr/bin/env bash
# upgrade.sh — ALTER EXTENSION maintenance UPDATE from every released version
# gives what a fresh install of the current version gives.
#
# For each released version V (every sql/maintenance--V--*.sql upgrade
# script's start; today 0.1.0):
#   1. a database gets CREATE EXTENSION maintenance VERSION 'V', and data
#      written with plain SQL into V's tables (today's library writes only
#      the tables of its own version): maintenances in every status, their
#      systems, a deleted maintenance, timelines, events with hostile text,
#      a named consumer;
#   2. before the update, with today's library: a write and the sweep refuse
#      with 55000 and the hint to update; what the reads answer is saved (rpc
#      JSON of every read, replay of the events, the rows of every table but
#      maintenances' new column);
#   3. ALTER EXTENSION maintenance UPDATE, in one transaction;
#   4. checked: the version is the control file's default; the schema equals
#      a fresh install's: `pg_dump --schema-only --binary-upgrade` (which
#      dumps every member object of the extension: tables, columns in order,
#      defaults, constraints, indexes, triggers, functions, grants, comments,
#      configuration tables), with only object ids, LSNs, xids and the
#      database name masked; every read answers as before, byte for byte;
#      the columns added by the update hold what a fresh install would
#      compute; the extension works afterwards (writes, sweep, replay, a
#      series and its occurrences).
#
# Usage: test/client/upgrade.sh   (PGHOST, PGPORT, PGUSER of a superuser;
# PostgreSQL 15's bin directory first in PATH; run from the repository root;
# creates and drops the databases upgrade_old, upgrade_new and
# upgrade_grants and the role upgrade_manager; UPGRADE_KEEP=1
# keeps them and the files).  Prints TAP-like lines; exit status 0 = pass.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
export PGCLIENTENCODING=UTF8 LC_ALL=C LANGUAGE=C
unset PGDATABASE PGOPTIONS PGSERVICE
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

OLD_DB=upgrade_old
NEW_DB=upgrade_new
GRANTS_DB=upgrade_grants
CURRENT=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" maintenance.control)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/upgrade.XXXXXX")

cleanup() {
	status=$?
	if [ -n "${UPGRADE_KEEP:-}" ]; then
		echo "# UPGRADE_KEEP is set: $tmp and the databases $OLD_DB, $NEW_DB are left behind"
		exit "$status"
	fi
	psql -X -q -d postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $OLD_DB WITH (FORCE)" \
		-c "DROP DATABASE IF EXISTS $NEW_DB WITH (FORCE)" \
		-c "DROP DATABASE IF EXISTS $GRANTS_DB WITH (FORCE)" -c "DROP ROLE IF EXISTS upgrade_manager" >/dev/null 2>&1 || true
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT

# q DB [psql args]: quiet, unaligned, tuples only, stop at the first error
q() {
	local db=$1
	shift
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# The schema of DB's extension, every member object, with what differs
# between any two databases masked.
schema_dump() {
	pg_dump --schema-only --binary-upgrade -d "$1" |
		sed -E -e '/^\\(un)?restrict /d' \
			-e "s/'[0-9]+'::pg_catalog\.oid/'<oid>'/g" \
			-e "s/'\{[0-9,]+\}'/'{<oids>}'/g" \
			-e "s/'\{[0-9A-F\/,]+\}'::pg_catalog\.pg_lsn\[\]/'<lsns>'/g" \
			-e "s/relfrozenxid = '[0-9]+', relminmxid = '[0-9]+'/relfrozenxid = <xid>, relminmxid = <mxid>/" \
			-e "s/^WHERE oid = '[0-9]+';/WHERE oid = '<oid>';/" \
			-e "s/^(SELECT pg_catalog\.setval\('[^']+'), [0-9]+, (true|false)\);/\1, <position>);/" \
			-e "s/$1/<db>/g"
}

# What the reads answer, and the rows of the tables of record, as text.
read_everything() {
	q "$1" <<-'SQL'
		SET TimeZone = 'UTC';
		SELECT 'list', maintenance.rpc('listMaintenances', '{}');
		SELECT 'list-scheduled', maintenance.rpc('listMaintenances', '{"status": "scheduled"}');
		SELECT 'list-web', maintenance.rpc('listMaintenances', '{"systemId": "web"}');
		SELECT 'get ' || title, maintenance.rpc('getMaintenance', jsonb_build_object('id', id)),
		       (SELECT jsonb_agg(maintenance.update_json(u))
		          FROM maintenance.get_maintenance_updates(id) AS u)
		  FROM maintenance.maintenances ORDER BY title;
		SELECT 'for ' || s, maintenance.rpc('getMaintenancesForSystem', jsonb_build_object('systemId', s)),
		       maintenance.rpc('hasActiveMaintenanceWithSuppression', jsonb_build_object('systemId', s))
		  FROM unnest(ARRAY['web', 'db', 'cache', 'mail', 'api', 'none']) AS s ORDER BY s;
		SELECT 'bulk', maintenance.rpc('getBulkMaintenancesForSystems',
		       '{"systemIds": ["web", "db", "cache", "mail", "api", "none"]}');
		-- the view's columns of 0.1.0 to 0.3.0 (0.4.0 adds reminders and series_id)
		SELECT 'bulk typed', b.system_id,
		       (SELECT array_agg((m.id, m.title, m.description, m.suppress_notifications, m.status,
		                          m.start_at, m.end_at, m.created_at, m.updated_at, m.system_ids)::text
		                         ORDER BY m.ordinality)
		          FROM unnest(b.maintenances) WITH ORDINALITY AS m)
		  FROM maintenance.get_bulk_maintenances_for_systems(ARRAY['web', 'db', 'cache', 'none']) AS b;
		SELECT 'replay', e FROM maintenance.replay_events(0, 1000) AS e;
		SELECT 'consumer', c.* FROM maintenance.event_consumers c ORDER BY name;
		SELECT 'systems', s.* FROM maintenance.maintenance_systems s ORDER BY 2, 3;
		SELECT 'updates', u.* FROM maintenance.maintenance_updates u ORDER BY position;
		SELECT 'maintenance', m.id, m.title, m.description, m.suppress_notifications, m.status,
		       m.start_at, m.end_at, m.created_at, m.updated_at
		  FROM maintenance.maintenances m ORDER BY id;
		SELECT 'events', e.* FROM maintenance.events e ORDER BY id;
	SQL
}

# ------------------------------------------------------------ the versions
mapfile -t released < <(
	for f in sql/maintenance--*--*.sql; do
		f=${f#sql/maintenance--}
		echo "${f%%--*}"
	done | sort -u -V)
if [ ${#released[@]} -eq 0 ]; then
	not_ok "upgrade scripts exist (sql/maintenance--V--W.sql)"
fi

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS $NEW_DB WITH (FORCE)" -c "CREATE DATABASE $NEW_DB" >/dev/null
q "$NEW_DB" -c "CREATE EXTENSION maintenance" >/dev/null 2>&1
is "a fresh install is at the control file's version ($CURRENT)" \
	"$(q "$NEW_DB" -c "SELECT extversion FROM pg_extension WHERE extname = 'maintenance'")" "$CURRENT"
schema_dump "$NEW_DB" >"$tmp/schema-fresh.sql"
# the masking must leave the schema itself: a dump with its objects in it
if grep -q 'CREATE TABLE maintenance.maintenances' "$tmp/schema-fresh.sql" &&
	grep -q 'ALTER EXTENSION maintenance ADD FUNCTION maintenance.add_update' "$tmp/schema-fresh.sql"; then
	ok "the fresh install's dump lists the extension's member objects"
else
	not_ok "the fresh install's dump lists the extension's member objects" "$tmp/schema-fresh.sql"
fi

for from in "${released[@]}"; do
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $OLD_DB WITH (FORCE)" -c "CREATE DATABASE $OLD_DB" >/dev/null
	q "$OLD_DB" -c "CREATE EXTENSION maintenance VERSION '$from'" >/dev/null 2>&1
	is "$from: installed" \
		"$(q "$OLD_DB" -c "SELECT extversion FROM pg_extension WHERE extname = 'maintenance'")" "$from"

	# Data written with plain SQL, into the columns every released version
	# has (0.2.0's maintenances.system_ids is kept by its triggers on
	# maintenance_systems); the statuses are those the write functions and
	# the sweep would have left.
	q "$OLD_DB" >/dev/null <<-'SQL'
		SET TimeZone = 'UTC';
		CREATE TEMP TABLE m (title text, id uuid DEFAULT gen_random_uuid(), status maintenance.status,
		                     s timestamptz, e timestamptz, systems text[], d text, sup boolean);
		INSERT INTO m (title, status, s, e, systems, d, sup) VALUES
		    ('due to start', 'in_progress', '2030-01-01 09:00+00', '2030-01-01 11:00+00',
		     ARRAY['web', 'db'], 'a "quoted" \ description', true),
		    ('due to complete', 'completed', '2029-12-31 08:00+00', '2030-01-01 08:30+00', ARRAY['db', 'cache'], NULL, false),
		    ('far future', 'scheduled', '2031-05-01 00:00+00', '2031-05-01 02:00+00', ARRAY['mail', 'db', 'api'], E'two\nlines', false),
		    ('to close', 'completed', '2029-11-01 00:00+00', '2031-01-01 00:00+00', ARRAY['web'], NULL, true),
		    ('to cancel', 'cancelled', '2030-06-01 00:00+00', '2030-06-02 00:00+00', ARRAY['api'], NULL, false),
		    ('to delete', 'scheduled', '2030-06-01 00:00+00', '2030-06-02 00:00+00', ARRAY['web'], NULL, false),
		    ('Ünïcödé ✓', 'scheduled', '2030-07-01 00:00+00', '2030-07-01 01:00+00', ARRAY['zeta', 'Alpha', 'beta'], NULL, false);
		INSERT INTO maintenance.maintenances (id, title, description, suppress_notifications, status, start_at, end_at)
		SELECT id, title, d, sup, status, s, e FROM m;
		INSERT INTO maintenance.maintenance_systems (maintenance_id, system_id)
		SELECT m.id, unnest(m.systems) FROM m;
		INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_by)
		SELECT m.id, u.message, u.change::maintenance.status, u.author
		  FROM m JOIN (VALUES
		    ('due to start', 'Maintenance started automatically', 'in_progress', NULL),
		    ('due to complete', 'Started early', 'in_progress', 'ops'),
		    ('due to complete', 'Maintenance completed automatically', 'completed', NULL),
		    ('to close', 'Started early', 'in_progress', 'ops'),
		    ('to close', 'Done', 'completed', 'ops'),
		    ('to cancel', 'Called off', 'cancelled', NULL),
		    ('far future', E'a note \u2713 "quoted"', NULL, E'o\'neil')
		  ) AS u(title, message, change, author) USING (title)
		 ORDER BY m.title, u.message;
		DELETE FROM maintenance.maintenances WHERE title = 'to delete';
		INSERT INTO maintenance.events (channel, name, payload)
		SELECT 'maintenance_signal', 'maintenance.updated',
		       jsonb_build_object('maintenanceId', id, 'systemIds', systems, 'action', 'created')
		  FROM m ORDER BY title;
		INSERT INTO maintenance.events (channel, name, payload)
		SELECT 'maintenance_hook', 'maintenance.created',
		       jsonb_build_object('maintenanceId', id, 'systemIds', systems, 'title', title,
		                          'description', d, 'status', status, 'startAt', maintenance.iso_time(s),
		                          'endAt', maintenance.iso_time(e))
		  FROM m ORDER BY title;
		INSERT INTO maintenance.event_consumers (name, last_event_id, updated_at)
		VALUES ('status-page', 3, '2030-01-01 10:00+00');
	SQL

	# Before the update, today's library refuses to write V's tables.
	for write in "SELECT maintenance.create_maintenance('refused', now(), now() + interval '1 hour', ARRAY['web'])" \
		"SELECT maintenance.run_transitions(as_of => '2030-01-01 10:00+00')"; do
		refusal=$(q "$OLD_DB" -v VERBOSITY=verbose -c "$write" 2>&1 | grep -E '^(ERROR|HINT)' || true)
		is "$from: before the update, ${write:7:30}... refuses with 55000 and the hint to update" \
			"$refusal" "$(printf '%s\n%s' \
				"ERROR:  55000: extension \"maintenance\" is at version $from, but its library is at version $CURRENT" \
				'HINT:  Run ALTER EXTENSION maintenance UPDATE.')"
	done
	# A timeline with real times, for 0.4.0's maintenance_windows: started
	# at 10:00, completed at 11:00 (the updates above share one now()).
	q "$OLD_DB" >/dev/null <<-'SQL'
		WITH w AS (
		  INSERT INTO maintenance.maintenances (title, status, start_at, end_at)
		  VALUES ('windowed', 'completed', '2029-01-01 10:00+00', '2029-01-01 12:00+00') RETURNING id),
		s AS (INSERT INTO maintenance.maintenance_systems SELECT id, 'win' FROM w)
		INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
		SELECT id, 'Started', 'in_progress', '2029-01-01 10:00+00' FROM w;
		INSERT INTO maintenance.maintenance_updates (maintenance_id, message, status_change, created_at)
		SELECT id, 'Done', 'completed', '2029-01-01 11:00+00' FROM maintenance.maintenances WHERE title = 'windowed';
	SQL
	read_everything "$OLD_DB" >"$tmp/reads-before.txt"

	# The update, in one transaction, with nothing printed but errors.
	if q "$OLD_DB" -c "SET client_min_messages = warning" \
		-c "ALTER EXTENSION maintenance UPDATE" >"$tmp/update.out" 2>&1 && [ ! -s "$tmp/update.out" ]; then
		ok "$from: ALTER EXTENSION maintenance UPDATE runs without an error or warning"
	else
		not_ok "$from: ALTER EXTENSION maintenance UPDATE runs without an error or warning" "$tmp/update.out"
	fi
	is "$from: updated to $CURRENT" \
		"$(q "$OLD_DB" -c "SELECT extversion FROM pg_extension WHERE extname = 'maintenance'")" "$CURRENT"

	schema_dump "$OLD_DB" >"$tmp/schema-updated.sql"
	same "$from: the updated schema equals a fresh install's (pg_dump --schema-only --binary-upgrade)" \
		"$tmp/schema-fresh.sql" "$tmp/schema-updated.sql"

	read_everything "$OLD_DB" >"$tmp/reads-after.txt"
	same "$from: every read answers as before the update, and every row is as it was" \
		"$tmp/reads-before.txt" "$tmp/reads-after.txt"

	# 0.2.0's column: the copy of maintenance_systems, as a write computes it.
	is "$from: maintenances.system_ids filled from maintenance_systems for every row" \
		"$(q "$OLD_DB" <<-'SQL'
			SELECT count(*) FILTER (WHERE m.system_ids IS DISTINCT FROM
			           ARRAY(SELECT s.system_id FROM maintenance.maintenance_systems s
			                  WHERE s.maintenance_id = m.id ORDER BY s.system_id COLLATE "C"))
			       || ' of ' || count(*)
			  FROM maintenance.maintenances m
		SQL
		)" "0 of 7"
	is "$from: a maintenance's system_ids are sorted and distinct" \
		"$(q "$OLD_DB" -c "SELECT system_ids FROM maintenance.maintenances WHERE title = 'Ünïcödé ✓'")" \
		"{Alpha,beta,zeta}"

	# 0.4.0's table: the windows of the timelines written before the update,
	# from the in_progress update to the next completed or cancelled one in
	# timeline order.  The fixture above writes each maintenance's updates in
	# one statement ordered by message, so "completed" comes before "Started
	# early" in those timelines: their windows are open; "windowed" has a
	# closed one.
	is "$from: maintenance_windows filled from the existing timelines" \
		"$(q "$OLD_DB" <<-'SQL'
			SELECT string_agg(m.title || ':' || w.system_id || ':'
			         || CASE WHEN upper_inf(w.during) THEN 'open'
			                 ELSE format('[%s,%s)', lower(w.during) AT TIME ZONE 'UTC' || '+00',
			                             upper(w.during) AT TIME ZONE 'UTC' || '+00') END
			         || CASE WHEN lower(w.during) = (SELECT u.created_at FROM maintenance.maintenance_updates u
			                                         WHERE u.maintenance_id = m.id AND u.status_change = 'in_progress')
			                 THEN '' ELSE ':wrong start' END,
			         ', ' ORDER BY m.title, w.system_id)
			  FROM maintenance.maintenance_windows w JOIN maintenance.maintenances m ON m.id = w.maintenance_id
		SQL
		)" "due to complete:cache:open, due to complete:db:open, due to start:db:open, due to start:web:open, to close:web:open, windowed:win:[2029-01-01 10:00:00+00,2029-01-01 11:00:00+00)"

	# 0.4.0's columns of an occurrence: no maintenance of before is one.
	is "$from: maintenances of before the update are no occurrences of a series" \
		"$(q "$OLD_DB" -c "SELECT count(*) FILTER (WHERE series_id IS NULL AND occurrence_start IS NULL
		                                            AND NOT overridden) || ' of ' || count(*)
		                     FROM maintenance.maintenances")" "7 of 7"

	# The extension works afterwards.
	is "$from: after the update: writes, the sweep, the active-system reads and replay work" \
		"$(q "$OLD_DB" <<-'SQL'
			SET TimeZone = 'UTC';
			SELECT (maintenance.create_maintenance('after update', '2030-02-01 00:00+00',
			       '2030-02-01 01:00+00', ARRAY['web', 'new'])).id IS NOT NULL;
			SELECT (r).started || '/' || (r).completed || '/' || (r).failed
			  FROM (SELECT maintenance.run_transitions(as_of => '2030-02-01 00:30+00') AS r) x;
			SELECT string_agg(title, ', ' ORDER BY title)
			  FROM maintenance.get_maintenances_for_system('web');
			SELECT maintenance.has_active_maintenance_with_suppression('web');
			SELECT (SELECT count(*) FROM maintenance.replay_events(0, 1000))
			       = (SELECT count(*) FROM maintenance.events);
		SQL
		)" "$(printf 't\n1/1/0\nafter update\nf\nt')"
	is "$from: after the update: a series creates its occurrences, and the sweep the next ones" \
		"$(q "$OLD_DB" <<-'SQL'
			SET TimeZone = 'UTC';
			SET maintenance.series_horizon = '7d';
			SELECT (maintenance.create_series('nightly', ARRAY['web'], 'FREQ=DAILY', 'UTC',
			       (now() AT TIME ZONE 'UTC')::date + time '22:00', 'PT1H')).id AS series_id \gset
			SELECT count(*) BETWEEN 7 AND 8 FROM maintenance.get_series_occurrences(:'series_id');
			SELECT (r).created FROM (SELECT maintenance.run_transitions(as_of => now() + interval '3 days') AS r) x;
			SELECT maintenance.rpc('getSeries', jsonb_build_object('id', :'series_id'::uuid)) ->> 'rrule';
		SQL
		)" "$(printf 't\n3\nFREQ=DAILY')"
	is "$from: after the update: a reminder is armed and sent once, at its moment" \
		"$(q "$OLD_DB" <<-'SQL'
			SELECT cardinality((maintenance.create_maintenance('reminded', '2030-03-02 00:00+00',
			       '2030-03-02 01:00+00', ARRAY['web'], reminders => '{1 day}')).reminders);
			SELECT (r).reminded FROM (SELECT maintenance.run_transitions(as_of => t) AS r
			  FROM unnest(ARRAY['2030-02-28 23:59+00', '2030-03-01 00:00+00', '2030-03-01 00:01+00']::timestamptz[]) AS t) x;
		SQL
		)" "$(printf '1\n0\n1\n0')"

	# create_maintenance, update_maintenance and run_transitions are dropped
	# and created again by the update: the grants they had are kept.
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
		-c "DROP DATABASE IF EXISTS $GRANTS_DB WITH (FORCE)" -c "CREATE DATABASE $GRANTS_DB" \
		-c "DROP ROLE IF EXISTS upgrade_manager" -c "CREATE ROLE upgrade_manager" >/dev/null
	q "$GRANTS_DB" >/dev/null 2>&1 <<-SQL
		CREATE EXTENSION maintenance VERSION '$from';
		GRANT EXECUTE ON FUNCTION maintenance.create_maintenance, maintenance.update_maintenance,
		    maintenance.run_transitions TO upgrade_manager;
		ALTER EXTENSION maintenance UPDATE;
	SQL
	is "$from: the update keeps the EXECUTE grants of the functions it creates again" \
		"$(q "$GRANTS_DB" -c "SELECT string_agg(p.proname || '=' || has_function_privilege('upgrade_manager', p.oid, 'EXECUTE'), ' ' ORDER BY p.proname)
		                         FROM pg_proc p WHERE p.pronamespace = 'maintenance'::regnamespace
		                          AND p.proname IN ('create_maintenance', 'update_maintenance', 'run_transitions', 'add_update')")" \
		"add_update=false create_maintenance=true run_transitions=true update_maintenance=true"
done

tap_summary
