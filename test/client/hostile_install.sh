#!/usr/bin/env bash
# hostile_install.sh — the extension in a database where an untrusted role
# owns objects on everybody's search_path (doc/security.md "Security").
#
# The attacker, hostile_attacker, may create schemas in the database and
# objects in schema public.  In public, in its own schema evil, and in schemas
# named after the other roles (what "$user" finds) it plants functions,
# aggregates, operators and tables that shadow what the extension uses:
# now(), btrim(), gen_random_uuid(), nextval(), format(), to_jsonb(),
# jsonb_build_object(), array_agg(), count(), =, <>, ||, ->, ... on text,
# uuid, timestamptz, bigint, jsonb, name, oid and, once it exists,
# maintenance.status; types named text, uuid, jsonb, ...; tables named like
# the extension's and like pg_extension (with a row for pg_cron).  A control
# run unpins one function to show that the planted objects are reached when
# the protection is missing.  Every planted function records
# that it ran in evil.log (and, if it runs as a superuser, tries to make the
# attacker one), and returns the right result, so a hijack would not show
# as a wrong answer.
#
# Checked:
#   1. CREATE EXTENSION as a superuser, with search_path = public | public,
#      pg_catalog | evil, pg_catalog | "$user", public | pg_temp, evil,
#      pg_catalog (temporary tables and functions shadowing as well):
#      nothing planted ran, and no object of the extension depends on
#      anything outside pg_catalog and maintenance.
#   2. A schema "maintenance" that exists already is refused unless it is
#      safe: owned by the attacker, CREATE granted to the attacker or
#      PUBLIC, or holding an object of the attacker: CREATE EXTENSION fails
#      with 55000 and creates nothing; a superuser's empty one is used.
#   3. Every SQL and PL/pgSQL function of the extension pins search_path;
#      every SECURITY DEFINER one to pg_catalog, maintenance, pg_temp.
#   4. Every function of the API (writes, transitions, reads, rpc, series,
#      replay, consumers, pruning, pg_cron helpers) called by a superuser and by an
#      application role, each under the five search_paths above, with
#      temporary tables named like the extension's in the caller's session:
#      the results and the events are right, nothing planted ran, the
#      temporary and the attacker's tables stay empty, and the attacker is
#      no superuser.
#   5. Titles that look like SQL stay data (in the API runs above), and so
#      does a database name in the pg_cron statements the extension prints.
#
# Usage: test/client/hostile_install.sh   (PGHOST, PGPORT, PGUSER of a
# superuser from the environment; creates and drops the databases
# HOSTILE_DB, default hostile_install_test, and "hostile'); CREATE TABLE
# injected (); --", and the roles hostile_attacker
# and hostile_app; HOSTILE_KEEP=1 keeps them, for debugging).  Prints
# TAP-like lines; exit status 0 = pass.
set -euo pipefail

DB=${HOSTILE_DB:-hostile_install_test}
ATTACKER=hostile_attacker
APP=hostile_app
export PGCLIENTENCODING=UTF8 LC_ALL=C LANGUAGE=C
unset PGDATABASE PGOPTIONS
# shellcheck source=test/lib/tap.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

SUPERUSER=$(psql -X -At -d postgres -c 'SELECT current_user')

cleanup() {
	status=$?
	if [ -n "${HOSTILE_KEEP:-}" ]; then
		echo "# HOSTILE_KEEP is set: database $DB and the roles are left behind"
		exit "$status"
	fi
	timeout 60 psql -X -q -d postgres -v ON_ERROR_STOP=0 >/dev/null 2>&1 <<-SQL || true
		SET client_min_messages = warning;
		DROP DATABASE IF EXISTS $DB WITH (FORCE);
		DROP DATABASE IF EXISTS "hostile'); CREATE TABLE injected (); --" WITH (FORCE);
		DROP ROLE IF EXISTS $ATTACKER;
		DROP ROLE IF EXISTS $APP;
	SQL
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# psql in the test database, as the superuser, or as role $1 when it is not
# empty (SET ROLE at the start of the session: no password needed).
q() {
	local role=${1:-$SUPERUSER}
	shift
	PGOPTIONS="-c search_path=pg_catalog,pg_temp -c role=$role" psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"
}

# "t" when the output's last line is "t", else the whole output
expect_t() {
	local out
	out=$(cat)
	if [ "$(tail -n 1 <<<"$out")" = t ]; then echo t; else printf '%s\n' "$out"; fi
}

# ---------------------------------------------------------------- set-up
psql -X -q -d postgres -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $DB WITH (FORCE);
DROP ROLE IF EXISTS $ATTACKER;
DROP ROLE IF EXISTS $APP;
CREATE ROLE $ATTACKER;
CREATE ROLE $APP;
CREATE DATABASE $DB;
-- The attacker may create schemas, and objects in public (as before
-- PostgreSQL 15, or where an administrator allowed it).
GRANT CREATE ON DATABASE $DB TO $ATTACKER;
SQL
q "" -c "GRANT CREATE ON SCHEMA public TO $ATTACKER"

# The attacker's objects.  evil.plant(schema) puts a shadow of everything in
# one schema; evil.plant_status(schema) the operators on maintenance.status,
# which can only exist after the extension.
q "$ATTACKER" >/dev/null <<'SQL'
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE TABLE evil.log (id bigserial PRIMARY KEY, what text NOT NULL,
                       by_role name NOT NULL, search_path text);
GRANT INSERT, SELECT ON evil.log TO PUBLIC;
GRANT USAGE ON SEQUENCE evil.log_id_seq TO PUBLIC;

-- Record a hit; run as a superuser, also try to make the attacker one.
CREATE FUNCTION evil.hit(what text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO evil.log (what, by_role, search_path)
    VALUES (what, current_user, pg_catalog.current_setting('search_path'));
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                WHERE r.rolname OPERATOR(pg_catalog.=) current_user AND r.rolsuper) THEN
        EXECUTE 'ALTER ROLE hostile_attacker SUPERUSER';
    END IF;
END
$f$;

-- Operators: one wrapper function per (operator, left, right), in evil.
CREATE TABLE evil.operators (op text, l text, r text, ret text);
INSERT INTO evil.operators VALUES
  ('=', 'text', 'text', 'boolean'), ('<>', 'text', 'text', 'boolean'),
  ('<', 'text', 'text', 'boolean'), ('>', 'text', 'text', 'boolean'),
  ('<=', 'text', 'text', 'boolean'), ('>=', 'text', 'text', 'boolean'),
  ('||', 'text', 'text', 'text'), ('~', 'text', 'text', 'boolean'),
  ('!~', 'text', 'text', 'boolean'),
  ('=', 'uuid', 'uuid', 'boolean'), ('<>', 'uuid', 'uuid', 'boolean'),
  ('<', 'uuid', 'uuid', 'boolean'), ('>', 'uuid', 'uuid', 'boolean'),
  ('=', 'timestamptz', 'timestamptz', 'boolean'), ('<', 'timestamptz', 'timestamptz', 'boolean'),
  ('<=', 'timestamptz', 'timestamptz', 'boolean'), ('>', 'timestamptz', 'timestamptz', 'boolean'),
  ('>=', 'timestamptz', 'timestamptz', 'boolean'), ('-', 'timestamptz', 'interval', 'timestamptz'),
  ('=', 'bigint', 'bigint', 'boolean'), ('<', 'bigint', 'bigint', 'boolean'),
  ('<=', 'bigint', 'bigint', 'boolean'), ('>', 'bigint', 'bigint', 'boolean'),
  ('>=', 'bigint', 'bigint', 'boolean'),
  ('=', 'bigint', 'integer', 'boolean'), ('<', 'bigint', 'integer', 'boolean'),
  ('>', 'bigint', 'integer', 'boolean'),
  ('=', 'integer', 'integer', 'boolean'), ('<', 'integer', 'integer', 'boolean'),
  ('>', 'integer', 'integer', 'boolean'),
  ('=', 'interval', 'interval', 'boolean'), ('<=', 'interval', 'interval', 'boolean'),
  ('->', 'jsonb', 'text', 'jsonb'), ('->>', 'jsonb', 'text', 'text'),
  ('->', 'jsonb', 'integer', 'jsonb'), ('#>>', 'jsonb', 'text[]', 'text'),
  ('?', 'jsonb', 'text', 'boolean'), ('||', 'jsonb', 'jsonb', 'jsonb'),
  ('=', 'jsonb', 'jsonb', 'boolean'),
  ('=', 'name', 'name', 'boolean'), ('=', 'name', 'text', 'boolean'),
  ('=', 'oid', 'oid', 'boolean'), ('=', 'boolean', 'boolean', 'boolean'),
  ('=', 'text[]', 'text[]', 'boolean'), ('@>', 'text[]', 'text[]', 'boolean');

-- Functions: name, arguments, result, the real call.  SETOF results return
-- the real rows.
CREATE TABLE evil.functions (name text, args text, ret text, body text);
INSERT INTO evil.functions VALUES
  ('now', '', 'timestamptz', 'pg_catalog.now()'),
  ('statement_timestamp', '', 'timestamptz', 'pg_catalog.statement_timestamp()'),
  ('clock_timestamp', '', 'timestamptz', 'pg_catalog.clock_timestamp()'),
  ('current_database', '', 'name', 'pg_catalog.current_database()'),
  ('btrim', 'text, text', 'text', 'pg_catalog.btrim($1, $2)'),
  ('btrim', 'text', 'text', 'pg_catalog.btrim($1)'),
  ('gen_random_uuid', '', 'uuid', 'pg_catalog.gen_random_uuid()'),
  ('nextval', 'regclass', 'bigint', 'pg_catalog.nextval($1)'),
  ('nextval', 'text', 'bigint', 'pg_catalog.nextval($1)'),
  ('pg_sequence_last_value', 'regclass', 'bigint', 'pg_catalog.pg_sequence_last_value($1)'),
  ('pg_current_xact_id', '', 'xid8', 'pg_catalog.pg_current_xact_id()'),
  ('format', 'text', 'text', 'pg_catalog.format($1)'),
  ('format', 'text, text', 'text', 'pg_catalog.format($1, $2)'),
  ('format', 'text, VARIADIC text[]', 'text', 'pg_catalog.format($1, VARIADIC $2)'),
  ('to_jsonb', 'anyelement', 'jsonb', 'pg_catalog.to_jsonb($1)'),
  ('to_jsonb', 'text', 'jsonb', 'pg_catalog.to_jsonb($1)'),
  ('to_jsonb', 'text[]', 'jsonb', 'pg_catalog.to_jsonb($1)'),
  ('jsonb_build_object', 'text, text', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'),
  ('jsonb_build_object', 'text, uuid', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'),
  ('jsonb_build_object', 'text, boolean', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'),
  ('jsonb_build_object', 'text, jsonb', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'),
  ('jsonb_build_object', 'text, bigint', 'jsonb', 'pg_catalog.jsonb_build_object($1, $2)'),
  ('jsonb_build_object', 'VARIADIC text[]', 'jsonb', 'pg_catalog.jsonb_object($1)'),
  ('jsonb_build_array', 'VARIADIC text[]', 'jsonb', 'pg_catalog.to_jsonb($1)'),
  ('jsonb_typeof', 'jsonb', 'text', 'pg_catalog.jsonb_typeof($1)'),
  ('isfinite', 'timestamptz', 'boolean', 'pg_catalog.isfinite($1)'),
  ('array_to_string', 'anyarray, text', 'text', 'pg_catalog.array_to_string($1, $2)'),
  ('enum_range', 'anyenum', 'anyarray', 'pg_catalog.enum_range($1)'),
  ('pg_notify', 'text, text', 'void', 'pg_catalog.pg_notify($1, $2)'),
  ('set_config', 'text, text, boolean', 'text', 'pg_catalog.set_config($1, $2, $3)'),
  ('current_setting', 'text', 'text', 'pg_catalog.current_setting($1)'),
  ('quote_literal', 'text', 'text', 'pg_catalog.quote_literal($1)'),
  ('quote_ident', 'text', 'text', 'pg_catalog.quote_ident($1)'),
  ('greatest', 'bigint, bigint', 'bigint', 'CASE WHEN $1 OPERATOR(pg_catalog.>) $2 THEN $1 ELSE $2 END'),
  ('pg_extension_config_dump', 'regclass, text', 'void', 'pg_catalog.pg_extension_config_dump($1, $2)'),
  ('iso_time', 'timestamptz', 'text', 'NULL'),
  ('rpc_field', 'jsonb, text, text, boolean', 'jsonb', 'NULL'),
  ('replay_horizon', '', 'bigint', '0'),
  ('event_retention', '', 'interval', 'NULL');
CREATE TABLE evil.srfs (name text, args text, ret text, body text);
INSERT INTO evil.srfs VALUES
  ('unnest', 'anyarray', 'anyelement', 'pg_catalog.unnest($1)'),
  ('unnest', 'text[]', 'text', 'pg_catalog.unnest($1)'),
  ('jsonb_array_elements', 'jsonb', 'jsonb', 'pg_catalog.jsonb_array_elements($1)'),
  ('jsonb_array_elements_text', 'jsonb', 'text', 'pg_catalog.jsonb_array_elements_text($1)'),
  ('jsonb_object_keys', 'jsonb', 'text', 'pg_catalog.jsonb_object_keys($1)'),
  ('generate_subscripts', 'anyarray, integer', 'integer', 'pg_catalog.generate_subscripts($1, $2)'),
  ('generate_series', 'integer, integer', 'integer', 'pg_catalog.generate_series($1, $2)');

DO $do$
DECLARE
    o record;
    n integer := 0;
BEGIN
    FOR o IN SELECT * FROM evil.operators LOOP
        n := n + 1;
        EXECUTE format($f$CREATE FUNCTION evil.op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS
            $b$BEGIN PERFORM evil.hit(%L); RETURN $1 OPERATOR(pg_catalog.%s) $2; END$b$$f$,
            n, o.l, o.r, o.ret, format('operator %s(%s, %s)', o.op, o.l, o.r), o.op);
    END LOOP;
    -- aggregate transition functions
    CREATE FUNCTION evil.agg_text(text[], text) RETURNS text[] LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('aggregate on text'); RETURN pg_catalog.array_append($1, $2); END$f$;
    CREATE FUNCTION evil.agg_text2(text, text, text) RETURNS text LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('string_agg'); RETURN pg_catalog.concat($1, $3, $2); END$f$;
    CREATE FUNCTION evil.agg_jsonb(jsonb, jsonb) RETURNS jsonb LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('aggregate on jsonb');
            RETURN pg_catalog.coalesce($1, '[]') OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array($2); END$f$;
    CREATE FUNCTION evil.agg_obj(jsonb, text, jsonb) RETURNS jsonb LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('jsonb_object_agg');
            RETURN pg_catalog.coalesce($1, '{}') OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object($2, $3); END$f$;
    CREATE FUNCTION evil.agg_count(bigint) RETURNS bigint LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('count(*)'); RETURN $1 OPERATOR(pg_catalog.+) 1; END$f$;
    CREATE FUNCTION evil.agg_count1(bigint, anyelement) RETURNS bigint LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('count(x)'); RETURN $1 OPERATOR(pg_catalog.+) 1; END$f$;
    CREATE FUNCTION evil.agg_min(bigint, bigint) RETURNS bigint LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('min/max(bigint)'); RETURN pg_catalog.coalesce($1, $2); END$f$;
    CREATE FUNCTION evil.agg_bool(boolean, boolean) RETURNS boolean LANGUAGE plpgsql AS
        $f$BEGIN PERFORM evil.hit('bool_and'); RETURN $1 AND $2; END$f$;
END
$do$;

CREATE FUNCTION evil.plant(s text) RETURNS void LANGUAGE plpgsql AS $do$
DECLARE
    o record;
    n integer := 0;
BEGIN
    FOR o IN SELECT * FROM evil.operators LOOP
        n := n + 1;
        EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.op_%s)',
                       s, o.op, o.l, o.r, n);
    END LOOP;
    FOR o IN SELECT * FROM evil.functions LOOP
        EXECUTE format($f$CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS
            $b$BEGIN PERFORM evil.hit(%L); %s END$b$$f$,
            s, o.name, o.args, o.ret, format('%s.%s(%s)', s, o.name, o.args),
            CASE WHEN o.ret = 'void' THEN format('PERFORM %s; RETURN;', o.body)
                 ELSE format('RETURN %s;', o.body) END);
    END LOOP;
    FOR o IN SELECT * FROM evil.srfs LOOP
        EXECUTE format($f$CREATE FUNCTION %I.%I(%s) RETURNS SETOF %s LANGUAGE plpgsql AS
            $b$BEGIN PERFORM evil.hit(%L); RETURN QUERY SELECT %s; END$b$$f$,
            s, o.name, o.args, o.ret, format('%s.%s(%s)', s, o.name, o.args), o.body);
    END LOOP;
    EXECUTE format('CREATE AGGREGATE %I.array_agg(text) (SFUNC = evil.agg_text, STYPE = text[])', s);
    EXECUTE format('CREATE AGGREGATE %I.string_agg(text, text) (SFUNC = evil.agg_text2, STYPE = text)', s);
    EXECUTE format('CREATE AGGREGATE %I.jsonb_agg(jsonb) (SFUNC = evil.agg_jsonb, STYPE = jsonb)', s);
    EXECUTE format('CREATE AGGREGATE %I.jsonb_object_agg(text, jsonb) (SFUNC = evil.agg_obj, STYPE = jsonb)', s);
    EXECUTE format('CREATE AGGREGATE %I.count(*) (SFUNC = evil.agg_count, STYPE = bigint, INITCOND = 0)', s);
    EXECUTE format('CREATE AGGREGATE %I.count(anyelement) (SFUNC = evil.agg_count1, STYPE = bigint, INITCOND = 0)', s);
    EXECUTE format('CREATE AGGREGATE %I.min(bigint) (SFUNC = evil.agg_min, STYPE = bigint)', s);
    EXECUTE format('CREATE AGGREGATE %I.max(bigint) (SFUNC = evil.agg_min, STYPE = bigint)', s);
    EXECUTE format('CREATE AGGREGATE %I.bool_and(boolean) (SFUNC = evil.agg_bool, STYPE = boolean)', s);
    -- Tables named like the extension's and like catalogs it reads; anyone
    -- may write them, so a write that went astray would land here.
    FOR o IN SELECT unnest(ARRAY['maintenances', 'maintenance_systems', 'maintenance_updates',
                                 'events', 'event_consumers', 'maintenances_with_systems',
                                 'series', 'series_deleted_occurrences',
                                 'job', 'pg_namespace', 'pg_roles', 'pg_depend']) AS t LOOP
        EXECUTE format('CREATE TABLE %I.%I (LIKE evil.log)', s, o.t);
        EXECUTE format('GRANT ALL ON %I.%I TO PUBLIC', s, o.t);
    END LOOP;
    -- A pg_extension that claims pg_cron is installed.
    EXECUTE format('CREATE TABLE %I.pg_extension (oid oid, extname name, extnamespace oid)', s);
    EXECUTE format('INSERT INTO %I.pg_extension VALUES (1, %L, 1)', s, 'pg_cron');
    EXECUTE format('GRANT SELECT ON %I.pg_extension TO PUBLIC', s);
    -- Types named like the ones the extension uses.
    FOR o IN SELECT unnest(ARRAY['text', 'uuid', 'timestamptz', 'jsonb', 'name', 'oid', 'regclass',
                                 'int8', 'int4', 'bool', 'xid8', 'status']) AS t LOOP
        EXECUTE format('CREATE TYPE %I.%I AS (evil integer)', s, o.t);
    END LOOP;
END
$do$;

-- Once maintenance.status exists.
CREATE FUNCTION evil.plant_status(s text) RETURNS void LANGUAGE plpgsql AS $do$
BEGIN
    EXECUTE format($f$CREATE FUNCTION %I.status_eq(maintenance.status, maintenance.status) RETURNS boolean
        LANGUAGE plpgsql AS $b$BEGIN PERFORM evil.hit(%L); RETURN $1 OPERATOR(pg_catalog.=) $2; END$b$$f$,
        s, s || '.=(status, status)');
    EXECUTE format($f$CREATE FUNCTION %I.status_ne(maintenance.status, maintenance.status) RETURNS boolean
        LANGUAGE plpgsql AS $b$BEGIN PERFORM evil.hit(%L); RETURN $1 OPERATOR(pg_catalog.<>) $2; END$b$$f$,
        s, s || '.<>(status, status)');
    EXECUTE format($f$CREATE FUNCTION %I.status_eq_text(maintenance.status, text) RETURNS boolean
        LANGUAGE plpgsql AS $b$BEGIN PERFORM evil.hit(%L); RETURN $1::pg_catalog.text OPERATOR(pg_catalog.=) $2; END$b$$f$,
        s, s || '.=(status, text)');
    EXECUTE format('CREATE OPERATOR %1$I.= (LEFTARG = maintenance.status, RIGHTARG = maintenance.status, FUNCTION = %1$I.status_eq)', s);
    EXECUTE format('CREATE OPERATOR %1$I.<> (LEFTARG = maintenance.status, RIGHTARG = maintenance.status, FUNCTION = %1$I.status_ne)', s);
    EXECUTE format('CREATE OPERATOR %1$I.= (LEFTARG = maintenance.status, RIGHTARG = text, FUNCTION = %1$I.status_eq_text)', s);
    EXECUTE format($f$CREATE FUNCTION %I.to_jsonb(maintenance.status) RETURNS jsonb
        LANGUAGE plpgsql AS $b$BEGIN PERFORM evil.hit(%L); RETURN pg_catalog.to_jsonb($1); END$b$$f$,
        s, s || '.to_jsonb(status)');
END
$do$;

-- The schemas "$user" finds for the superuser and for the application.
SELECT evil.plant('public');
SELECT evil.plant('evil');
SQL
for role in "$SUPERUSER" "$APP"; do
	q "$ATTACKER" -c "CREATE SCHEMA \"$role\"" -c "GRANT USAGE ON SCHEMA \"$role\" TO PUBLIC" \
		-c "SELECT evil.plant('$role')" >/dev/null
done
echo "# planted: $(q "" -c "SELECT count(*) FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE r.rolname = '$ATTACKER'") functions and aggregates, $(q "" -c "SELECT count(*) FROM pg_operator o JOIN pg_roles r ON r.oid = o.oprowner WHERE r.rolname = '$ATTACKER'") operators in schemas public, evil, $SUPERUSER, $APP"

# Nothing of the attacker's ran and the attacker is no superuser.
untouched() {
	q "" -c "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM evil.log)
	                     AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = '$ATTACKER')
	                THEN 't' ELSE (SELECT string_agg(DISTINCT what || ' as ' || by_role, ', ') FROM evil.log) END"
}

# Every dependency of the extension's objects (and of their defaults,
# constraints, indexes, rules) is in pg_catalog or maintenance.
DEPENDENCIES_CLEAN="
WITH RECURSIVE ext(classid, objid) AS (
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
     WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
       AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'maintenance')
    UNION
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
      JOIN ext ON d.refclassid = ext.classid AND d.refobjid = ext.objid
     WHERE d.deptype IN ('a', 'i', 'n'))
SELECT coalesce(string_agg(DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
                           || ' -> ' || pg_catalog.pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid), '; '), 't')
  FROM pg_catalog.pg_depend d
  JOIN ext ON (d.classid, d.objid) = (ext.classid, ext.objid)
 CROSS JOIN LATERAL pg_catalog.pg_identify_object(d.refclassid, d.refobjid, 0) i
 WHERE i.schema IS NOT NULL AND i.schema NOT IN ('pg_catalog', 'pg_toast', 'maintenance')"

# ---------------------------------------------------------------- 1. install
# shellcheck disable=SC2016 # "$user" is PostgreSQL's, not the shell's
install_paths=('public' 'public, pg_catalog' 'evil, pg_catalog' '"$user", public' 'pg_temp, evil, pg_catalog')
for path in "${install_paths[@]}"; do
	out=$(q "" 2>&1 <<-SQL
		SET client_min_messages = warning;
		-- Temporary shadows in the installing session.
		CREATE TEMP TABLE maintenances (LIKE evil.log);
		CREATE TEMP TABLE events (LIKE evil.log);
		CREATE TEMP TABLE pg_extension (oid oid, extname name, extnamespace oid);
		INSERT INTO pg_temp.pg_extension VALUES (1, 'pg_cron', 1);
		CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE plpgsql
		    AS 'BEGIN PERFORM evil.hit(''pg_temp.now()''); RETURN pg_catalog.now(); END';
		SET search_path = $path;
		CREATE EXTENSION maintenance;
		SET search_path = pg_catalog, pg_temp;
		SELECT (SELECT count(*) FROM pg_temp.maintenances) + (SELECT count(*) FROM pg_temp.events) = 0
		   AND EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'maintenance');
	SQL
	) || true
	expect_t <<<"$out" | check_t "CREATE EXTENSION with search_path = $path"
	untouched | check_t "  nothing of the attacker's ran while installing with search_path = $path"
	q "" -c "$DEPENDENCIES_CLEAN" | check_t "  no object of the extension depends on an object outside pg_catalog and maintenance ($path)"
	if [ "$path" != "${install_paths[-1]}" ]; then
		q "" -c 'SET client_min_messages = warning' -c "SET search_path = $path" -c 'DROP EXTENSION maintenance'
		untouched | check_t "  nothing of the attacker's ran while dropping the extension with search_path = $path"
	fi
done

# ---------------------------------------------------------------- 3. pinned search_path
q "" -c "SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), 't')
           FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
          WHERE p.pronamespace = 'maintenance'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
            AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, maintenance, pg_temp'], false)" |
	check_t "every SQL and PL/pgSQL function of the extension pins search_path = pg_catalog, maintenance, pg_temp"
q "" -c "SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), 't')
           FROM pg_proc p
          WHERE p.pronamespace = 'maintenance'::regnamespace AND p.prosecdef
            AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, maintenance, pg_temp'], false)" |
	check_t "every SECURITY DEFINER function pins search_path = pg_catalog, maintenance, pg_temp"
q "" -c "SELECT count(*) > 15 FROM pg_proc WHERE pronamespace = 'maintenance'::regnamespace AND prosecdef" |
	check_t "  (there are SECURITY DEFINER functions to check)"

# ---------------------------------------------------------------- 4. the API
# The attacker is a documented read-only user, and adds operators on the
# extension's own type.  The application role is a managing role that may
# also run every other function of the schema.
q "" <<SQL
GRANT USAGE ON SCHEMA maintenance TO $ATTACKER, $APP;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA maintenance TO $APP;
SQL
for s in public evil "$SUPERUSER" "$APP"; do
	q "$ATTACKER" -c "SELECT evil.plant_status('$s')" >/dev/null
done

# The workload: run as :role (SET ROLE from the superuser's session, so the
# checks at the end see the caller's temporary tables) with search_path :path.
# Everything the caller writes is a literal with a pg_catalog type or a call
# of a maintenance function, so only the extension can have called the
# attacker's objects.  Results go to pg_temp.r as text.
WORKLOAD=$(cat <<'SQL'
SET client_min_messages = warning;
DELETE FROM maintenance.maintenances;
DELETE FROM maintenance.event_consumers;
-- Events from before this run, for the consumer to acknowledge and prune.
SELECT maintenance.delete_maintenance(c.id) FROM maintenance.create_maintenance('before', '2029-01-01 10:00+00',
    '2029-01-01 11:00+00', '{x}') c \gset
SELECT max(id) AS first_event FROM maintenance.events \gset
CREATE TEMP TABLE r (step text PRIMARY KEY, v text);
-- Temporary tables named like the extension's: relations in pg_temp come
-- first when the caller lists pg_temp first.
CREATE TEMP TABLE maintenances (LIKE evil.log);
CREATE TEMP TABLE maintenance_systems (LIKE evil.log);
CREATE TEMP TABLE maintenance_updates (LIKE evil.log);
CREATE TEMP TABLE events (LIKE evil.log);
CREATE TEMP TABLE event_consumers (LIKE evil.log);
CREATE TEMP TABLE maintenances_with_systems (LIKE evil.log);
CREATE TEMP TABLE series (LIKE evil.log);
CREATE TEMP TABLE series_deleted_occurrences (LIKE evil.log);
CREATE TEMP TABLE pg_extension (oid oid, extname name, extnamespace oid);
INSERT INTO pg_temp.pg_extension VALUES (1, 'pg_cron', 1);
GRANT ALL ON pg_temp.r, pg_temp.maintenances, pg_temp.maintenance_systems, pg_temp.maintenance_updates,
             pg_temp.events, pg_temp.event_consumers, pg_temp.maintenances_with_systems,
             pg_temp.series, pg_temp.series_deleted_occurrences, pg_temp.pg_extension TO PUBLIC;
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE plpgsql
    AS 'BEGIN PERFORM evil.hit(''pg_temp.now()''); RETURN pg_catalog.now(); END';

SET ROLE :role;
SET search_path = :path;
SET maintenance.actor = 'hostile actor';

-- writes
SELECT c.id AS m1 FROM maintenance.create_maintenance('T1 $$ ''); DROP TABLE evil.log; --',
    '2030-01-01 10:00:00+00'::pg_catalog.timestamptz, '2030-01-01 12:00:00+00'::pg_catalog.timestamptz,
    ARRAY['db', 'api', 'db']::pg_catalog.text[], 'first'::pg_catalog.text, true) c \gset
INSERT INTO pg_temp.r SELECT 'create', c::pg_catalog.text FROM maintenance.get_maintenance(:'m1') c;
INSERT INTO pg_temp.r SELECT 'update', c::pg_catalog.text FROM maintenance.update_maintenance(:'m1',
    title => 'T1b', description => 'second', suppress_notifications => false,
    start_at => '2030-01-01 11:00:00+00'::pg_catalog.timestamptz,
    end_at => '2030-01-01 13:00:00+00'::pg_catalog.timestamptz,
    system_ids => ARRAY['db', 'web']::pg_catalog.text[]) c;
INSERT INTO pg_temp.r SELECT 'message', u::pg_catalog.text FROM maintenance.add_update(:'m1', 'just a message') u;
INSERT INTO pg_temp.r SELECT 'start', u::pg_catalog.text
  FROM maintenance.add_update(:'m1', 'started', 'in_progress'::maintenance.status, 'alice') u;
INSERT INTO pg_temp.r SELECT 'close', c::pg_catalog.text FROM maintenance.close_maintenance(:'m1') c;
SELECT c.id AS m2 FROM maintenance.create_maintenance('T2', '2030-02-01 10:00:00+00'::pg_catalog.timestamptz,
    '2030-02-01 11:00:00+00'::pg_catalog.timestamptz, ARRAY['db']::pg_catalog.text[]) c \gset
INSERT INTO pg_temp.r SELECT 'transitions', t::pg_catalog.text
  FROM maintenance.run_transitions(as_of => '2030-02-01 12:00:00+00'::pg_catalog.timestamptz) t;
INSERT INTO pg_temp.r SELECT 'transitions again', t::pg_catalog.text
  FROM maintenance.run_transitions('2030-02-01 12:00:00+00'::pg_catalog.timestamptz) t;
INSERT INTO pg_temp.r SELECT 'transitions now', t::pg_catalog.text FROM maintenance.run_transitions() t;
SELECT c.id AS m3 FROM maintenance.create_maintenance('T3', '2030-03-01 10:00:00+00'::pg_catalog.timestamptz,
    '2030-03-01 11:00:00+00'::pg_catalog.timestamptz, ARRAY['x']::pg_catalog.text[]) c \gset
INSERT INTO pg_temp.r SELECT 'delete', maintenance.delete_maintenance(:'m3')::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'delete again', maintenance.delete_maintenance(:'m3')::pg_catalog.text;
SELECT c.id AS m4 FROM maintenance.create_maintenance('T4', '2031-01-01 10:00:00+00'::pg_catalog.timestamptz,
    '2031-01-01 11:00:00+00'::pg_catalog.timestamptz, ARRAY['db', 'api']::pg_catalog.text[],
    suppress_notifications => true) c \gset
SELECT maintenance.add_update(:'m4', 'going', 'in_progress'::maintenance.status) IS NOT NULL AS x \gset

-- reads
INSERT INTO pg_temp.r SELECT 'list', pg_catalog.array_agg(v.title ORDER BY v.start_at)::pg_catalog.text
  FROM maintenance.list_maintenances() v;
INSERT INTO pg_temp.r SELECT 'list completed', ARRAY(SELECT v.title FROM maintenance.list_maintenances('completed'::maintenance.status) v)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'list web', ARRAY(SELECT v.title FROM maintenance.list_maintenances(system_id => 'web') v)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'get', c::pg_catalog.text FROM maintenance.get_maintenance(:'m1') c;
INSERT INTO pg_temp.r SELECT 'timeline', ARRAY(SELECT pg_catalog.concat(u.message, '/', u.status_change, '/', u.created_by)
    FROM maintenance.get_maintenance_updates(:'m1') u)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'for system', ARRAY(SELECT v.title FROM maintenance.get_maintenances_for_system('db') v)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'bulk', ARRAY(SELECT pg_catalog.concat(b.system_id, ':', pg_catalog.cardinality(b.maintenances))
    FROM maintenance.get_bulk_maintenances_for_systems(ARRAY['db', 'none', 'db']::pg_catalog.text[]) b)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'suppressed', maintenance.has_active_maintenance_with_suppression('api')::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'not suppressed', maintenance.has_active_maintenance_with_suppression('web')::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'json', maintenance.maintenance_json(c)::pg_catalog.text FROM maintenance.get_maintenance(:'m1') c;
INSERT INTO pg_temp.r SELECT 'update json', ARRAY(SELECT maintenance.update_json(u) FROM maintenance.get_maintenance_updates(:'m1') u)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'iso', maintenance.iso_time('2030-01-01 10:00:00.1234+02'::pg_catalog.timestamptz);

-- rpc, every method
SELECT maintenance.rpc('createMaintenance', '{"title": "R1", "description": "d", "startAt": "2032-01-01T10:00:00.000Z",
    "endAt": "2032-01-01T14:00:00+02:00", "systemIds": ["web", "db"], "suppressNotifications": true}'::pg_catalog.jsonb) AS rpc_create \gset
INSERT INTO pg_temp.r VALUES ('rpc create', :'rpc_create');
SELECT (:'rpc_create'::pg_catalog.jsonb) OPERATOR(pg_catalog.->>) 'id' AS r1 \gset
INSERT INTO pg_temp.r SELECT 'rpc update', maintenance.rpc('updateMaintenance',
    ('{"id": "' OPERATOR(pg_catalog.||) :'r1' OPERATOR(pg_catalog.||) '", "description": null, "title": "R1b"}')::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc add', maintenance.rpc('addUpdate',
    ('{"maintenanceId": "' OPERATOR(pg_catalog.||) :'r1' OPERATOR(pg_catalog.||) '", "message": "m", "statusChange": "in_progress"}')::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc get', maintenance.rpc('getMaintenance',
    ('{"id": "' OPERATOR(pg_catalog.||) :'r1' OPERATOR(pg_catalog.||) '"}')::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc list', maintenance.rpc('listMaintenances', '{"status": "in_progress"}'::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc for system', maintenance.rpc('getMaintenancesForSystem', '{"systemId": "web"}'::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc bulk', maintenance.rpc('getBulkMaintenancesForSystems', '{"systemIds": ["web", "nothing"]}'::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc suppressed', maintenance.rpc('hasActiveMaintenanceWithSuppression', '{"systemId": "web"}'::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc close', maintenance.rpc('closeMaintenance',
    ('{"id": "' OPERATOR(pg_catalog.||) :'r1' OPERATOR(pg_catalog.||) '"}')::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc delete', maintenance.rpc('deleteMaintenance',
    ('{"id": "' OPERATOR(pg_catalog.||) :'r1' OPERATOR(pg_catalog.||) '"}')::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc refused', 'no';
DO $$
BEGIN
    PERFORM maintenance.rpc('getMaintenance', '{"id": "nope"}'::pg_catalog.jsonb);
EXCEPTION WHEN invalid_parameter_value THEN
    UPDATE pg_temp.r SET v = 'yes' WHERE step OPERATOR(pg_catalog.=) 'rpc refused';
END
$$;

-- series: writes, reads, rpc (in 2035: nothing of it is due now)
SELECT s.id AS s1 FROM maintenance.create_series('S1 $$ ''); DROP TABLE evil.log; --', ARRAY['sx'],
    'FREQ=WEEKLY;BYDAY=SU', 'Europe/Berlin', '2035-01-07 02:00'::pg_catalog.timestamp,
    '2 hours'::pg_catalog.interval, description => 'weekly') s \gset
INSERT INTO pg_temp.r SELECT 'series create', s::pg_catalog.text FROM maintenance.get_series(:'s1') s;
INSERT INTO pg_temp.r SELECT 'series occurrences',
    ARRAY(SELECT o.start_at FROM maintenance.get_series_occurrences(:'s1') o)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'series update', s::pg_catalog.text
  FROM maintenance.update_series(:'s1', title => 'S1b', duration => '3 hours'::pg_catalog.interval) s;
INSERT INTO pg_temp.r SELECT 'series preview', ARRAY(SELECT p.end_at FROM maintenance.preview_series(:'s1'::pg_catalog.uuid,
    '2035-01-01 00:00:00+00'::pg_catalog.timestamptz, 2) p)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'series list', ARRAY(SELECT s.id FROM maintenance.list_series('sx') s)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'rpc previewSeries', maintenance.rpc('previewSeries', '{"rrule": "FREQ=DAILY", "timeZone": "UTC",
    "firstStart": "2035-01-01T10:00:00", "duration": "PT1H", "from": "2035-01-01T00:00:00Z", "count": 2}'::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc getSeries', maintenance.rpc('getSeries',
    ('{"id": "' OPERATOR(pg_catalog.||) :'s1' OPERATOR(pg_catalog.||) '"}')::pg_catalog.jsonb);
INSERT INTO pg_temp.r SELECT 'rpc deleteSeries', maintenance.rpc('deleteSeries',
    ('{"id": "' OPERATOR(pg_catalog.||) :'s1' OPERATOR(pg_catalog.||) '"}')::pg_catalog.jsonb);

-- events: replay, consumers, pruning
INSERT INTO pg_temp.r SELECT 'replay', ARRAY(SELECT e.id FROM maintenance.replay_events(:first_event, 1000) e)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'register', c::pg_catalog.text FROM maintenance.register_consumer('hostile consumer') c;
INSERT INTO pg_temp.r SELECT 'replay for', ARRAY(SELECT e.id FROM maintenance.replay_events_for('hostile consumer', 5) e)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'ack', maintenance.ack_events('hostile consumer', :first_event)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'get event', maintenance.get_event(:first_event)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'retention', maintenance.event_retention()::pg_catalog.text;
-- (internal to replay_events, and it reads the sequence: the superuser only)
\if :super
INSERT INTO pg_temp.r SELECT 'horizon', maintenance.replay_horizon()::pg_catalog.text;
\else
INSERT INTO pg_temp.r VALUES ('horizon', 'not called');
\endif
INSERT INTO pg_temp.r SELECT 'prune', maintenance.prune_events('1 microsecond'::pg_catalog.interval)::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'unregister', maintenance.unregister_consumer('hostile consumer')::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'unschedule', maintenance.unschedule_transitions()::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'unschedule pruning', maintenance.unschedule_event_pruning()::pg_catalog.text;
INSERT INTO pg_temp.r SELECT 'schedule', 'no';
DO $$
BEGIN
    PERFORM maintenance.schedule_transitions();
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    UPDATE pg_temp.r SET v = 'refused' WHERE step OPERATOR(pg_catalog.=) 'schedule';
END
$$;
INSERT INTO pg_temp.r SELECT 'schedule pruning', 'no';
DO $$
BEGIN
    PERFORM maintenance.schedule_event_pruning();
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    UPDATE pg_temp.r SET v = 'refused' WHERE step OPERATOR(pg_catalog.=) 'schedule pruning';
END
$$;

-- ---------------------------------------------------------------- checks
RESET ROLE;
SET search_path = pg_catalog, pg_temp;
CREATE TEMP TABLE expect (step text PRIMARY KEY, ok boolean);
INSERT INTO expect
SELECT 'create', (c).title = 'T1 $$ ''); DROP TABLE evil.log; --' AND (c).description = 'first'
        AND (c).suppress_notifications AND (c).status = 'scheduled' AND (c).system_ids = '{api,db}'
        AND (c).start_at = '2030-01-01 10:00+00' AND (c).end_at = '2030-01-01 12:00+00'
  FROM (SELECT v::maintenance.maintenances_with_systems AS c FROM r WHERE step = 'create') x
UNION ALL
SELECT 'update', (c).title = 'T1b' AND (c).description = 'second' AND NOT (c).suppress_notifications
        AND (c).system_ids = '{db,web}' AND (c).start_at = '2030-01-01 11:00+00' AND (c).end_at = '2030-01-01 13:00+00'
  FROM (SELECT v::maintenance.maintenances_with_systems AS c FROM r WHERE step = 'update') x
UNION ALL
SELECT 'message', (u).message = 'just a message' AND (u).status_change IS NULL AND (u).created_by = 'hostile actor'
  FROM (SELECT v::maintenance.maintenance_updates AS u FROM r WHERE step = 'message') x
UNION ALL
SELECT 'start', (u).status_change = 'in_progress' AND (u).created_by = 'alice'
  FROM (SELECT v::maintenance.maintenance_updates AS u FROM r WHERE step = 'start') x
UNION ALL
SELECT 'close', (c).status = 'completed' FROM (SELECT v::maintenance.maintenances_with_systems AS c FROM r WHERE step = 'close') x
UNION ALL SELECT 'transitions', v = '(1,1,0,0,0)' FROM r WHERE step = 'transitions'
UNION ALL SELECT 'transitions again', v = '(0,0,0,0,0)' FROM r WHERE step = 'transitions again'
UNION ALL SELECT 'transitions now', v = '(0,0,0,0,0)' FROM r WHERE step = 'transitions now'
UNION ALL SELECT 'delete', v = 'true' FROM r WHERE step = 'delete'
UNION ALL SELECT 'delete again', v = 'false' FROM r WHERE step = 'delete again'
UNION ALL SELECT 'list', v = '{T1b,T2,T4}' FROM r WHERE step = 'list'
UNION ALL SELECT 'list completed', v = '{T1b,T2}' FROM r WHERE step = 'list completed'
UNION ALL SELECT 'list web', v = '{T1b}' FROM r WHERE step = 'list web'
UNION ALL SELECT 'get', (v::maintenance.maintenances_with_systems).status = 'completed' FROM r WHERE step = 'get'
UNION ALL SELECT 'timeline', v = '{"just a message//hostile actor",started/in_progress/alice,"Maintenance completed early/completed/hostile actor"}'
            FROM r WHERE step = 'timeline'
UNION ALL SELECT 'for system', v = '{T4}' FROM r WHERE step = 'for system'
UNION ALL SELECT 'bulk', v = '{db:1,none:0}' FROM r WHERE step = 'bulk'
UNION ALL SELECT 'suppressed', v = 'true' FROM r WHERE step = 'suppressed'
UNION ALL SELECT 'not suppressed', v = 'false' FROM r WHERE step = 'not suppressed'
UNION ALL SELECT 'json', v::jsonb - 'id' - 'createdAt' - 'updatedAt' = '{"title": "T1b", "status": "completed",
            "description": "second", "startAt": "2030-01-01T11:00:00.000Z", "endAt": "2030-01-01T13:00:00.000Z",
            "systemIds": ["db", "web"], "suppressNotifications": false}' FROM r WHERE step = 'json'
UNION ALL SELECT 'update json', (SELECT array_agg(j::jsonb ->> 'message') = '{"just a message",started,"Maintenance completed early"}'
                                   AND bool_and(j::jsonb ? 'createdBy') FROM unnest(v::text[]) j) FROM r WHERE step = 'update json'
UNION ALL SELECT 'iso', v = '2030-01-01T08:00:00.123Z' FROM r WHERE step = 'iso'
UNION ALL SELECT 'rpc create', v::jsonb - 'id' - 'createdAt' - 'updatedAt' = '{"title": "R1", "description": "d",
            "status": "scheduled", "startAt": "2032-01-01T10:00:00.000Z", "endAt": "2032-01-01T12:00:00.000Z",
            "systemIds": ["db", "web"], "suppressNotifications": true}' FROM r WHERE step = 'rpc create'
UNION ALL SELECT 'rpc update', v::jsonb ->> 'title' = 'R1b' AND NOT v::jsonb ? 'description' FROM r WHERE step = 'rpc update'
UNION ALL SELECT 'rpc add', v::jsonb ->> 'statusChange' = 'in_progress' AND v::jsonb ->> 'createdBy' = 'hostile actor' FROM r WHERE step = 'rpc add'
UNION ALL SELECT 'rpc get', jsonb_array_length(v::jsonb -> 'updates') = 1 AND v::jsonb ->> 'status' = 'in_progress' FROM r WHERE step = 'rpc get'
UNION ALL SELECT 'rpc list', (SELECT array_agg(e ->> 'title') FROM jsonb_array_elements(v::jsonb -> 'maintenances') e) = '{T4,R1b}' FROM r WHERE step = 'rpc list'
UNION ALL SELECT 'rpc for system', jsonb_array_length(v::jsonb) = 1 FROM r WHERE step = 'rpc for system'
UNION ALL SELECT 'rpc bulk', jsonb_array_length(v::jsonb -> 'maintenances' -> 'web') = 1
                             AND v::jsonb -> 'maintenances' -> 'nothing' = '[]' FROM r WHERE step = 'rpc bulk'
UNION ALL SELECT 'rpc suppressed', v::jsonb = '{"suppressed": true}' FROM r WHERE step = 'rpc suppressed'
UNION ALL SELECT 'rpc close', v::jsonb ->> 'status' = 'completed' FROM r WHERE step = 'rpc close'
UNION ALL SELECT 'rpc delete', v::jsonb = '{"success": true}' FROM r WHERE step = 'rpc delete'
UNION ALL SELECT 'rpc refused', v = 'yes' FROM r WHERE step = 'rpc refused'
UNION ALL SELECT 'replay', v::bigint[] = ARRAY(SELECT generate_series(:first_event + 1, (SELECT max(id) FROM maintenance.events)))
            AND cardinality(v::bigint[]) > 20 FROM r WHERE step = 'replay'
UNION ALL SELECT 'register', (v::maintenance.event_consumers).last_event_id = 0 FROM r WHERE step = 'register'
UNION ALL SELECT 'replay for', cardinality(v::bigint[]) = 5 FROM r WHERE step = 'replay for'
UNION ALL SELECT 'ack', v::bigint = :first_event FROM r WHERE step = 'ack'
UNION ALL SELECT 'get event', (v::jsonb ->> 'id')::bigint = :first_event
                              AND v::jsonb ->> 'channel' = 'maintenance_signal' FROM r WHERE step = 'get event'
UNION ALL SELECT 'retention', v = '7 days' FROM r WHERE step = 'retention'
UNION ALL SELECT 'horizon', CASE WHEN :super THEN v::bigint = (SELECT max(id) FROM maintenance.events)
                                 ELSE v = 'not called' END FROM r WHERE step = 'horizon'
UNION ALL SELECT 'prune', v::bigint >= 4 AND NOT EXISTS (SELECT 1 FROM maintenance.events WHERE id <= :first_event)
                          AND EXISTS (SELECT 1 FROM maintenance.events WHERE id > :first_event) FROM r WHERE step = 'prune'
UNION ALL SELECT 'unregister', v = 'true' FROM r WHERE step = 'unregister'
UNION ALL SELECT 'unschedule', v = 'false' FROM r WHERE step = 'unschedule'
UNION ALL SELECT 'unschedule pruning', v = 'false' FROM r WHERE step = 'unschedule pruning'
UNION ALL SELECT 'schedule', v = 'refused' FROM r WHERE step = 'schedule'
UNION ALL SELECT 'schedule pruning', v = 'refused' FROM r WHERE step = 'schedule pruning'
-- the events of m1, in order: create, update, message, start, close
UNION ALL SELECT 'events of T1', array_agg(concat_ws('/', e.channel, e.name,
                                                        CASE WHEN e.channel <> 'maintenance_notification' THEN e.payload ->> 'action' END,
                                                        e.payload ->> 'event', e.payload ->> 'systemId') ORDER BY e.id)
            = ARRAY['maintenance_signal/maintenance.updated/created', 'maintenance_hook/maintenance.created',
                    'maintenance_notification/maintenance.notification/created/api',
                    'maintenance_notification/maintenance.notification/created/db',
                    'maintenance_signal/maintenance.updated/updated', 'maintenance_hook/maintenance.updated/updated',
                    'maintenance_signal/maintenance.updated/updated', 'maintenance_hook/maintenance.updated/updated',
                    'maintenance_signal/maintenance.updated/updated', 'maintenance_hook/maintenance.updated/updated',
                    'maintenance_notification/maintenance.notification/started/db',
                    'maintenance_notification/maintenance.notification/started/web',
                    'maintenance_signal/maintenance.updated/closed', 'maintenance_hook/maintenance.updated/closed',
                    'maintenance_notification/maintenance.notification/completed/db',
                    'maintenance_notification/maintenance.notification/completed/web']
            FROM maintenance.events e WHERE e.id > :first_event AND e.payload ->> 'maintenanceId' = :'m1'
UNION ALL SELECT 'hook payload of T1', bool_and(e.payload ->> 'title' = 'T1 $$ ''); DROP TABLE evil.log; --'
                                                AND e.payload ->> 'startAt' = '2030-01-01T10:00:00.000Z')
            FROM maintenance.events e WHERE e.id > :first_event AND e.payload ->> 'maintenanceId' = :'m1'
             AND e.channel = 'maintenance_hook' AND e.name = 'maintenance.created'
UNION ALL SELECT 'series create', (s).title = 'S1 $$ ''); DROP TABLE evil.log; --' AND (s).system_ids = '{sx}'
        AND (s).description = 'weekly' AND (s).duration = '2 hours' AND (s).ended_at IS NULL
  FROM (SELECT v::maintenance.series AS s FROM r WHERE step = 'series create') x
UNION ALL SELECT 'series occurrences', v::timestamptz[] = '{2035-01-07 01:00+00}' FROM r WHERE step = 'series occurrences'
UNION ALL SELECT 'series update', (v::maintenance.series).title = 'S1b' AND (v::maintenance.series).duration = '3 hours'
  FROM r WHERE step = 'series update'
UNION ALL SELECT 'series preview', v::timestamptz[] = '{2035-01-07 04:00+00,2035-01-14 04:00+00}' FROM r WHERE step = 'series preview'
UNION ALL SELECT 'series list', :'s1'::uuid = ANY (v::uuid[]) FROM r WHERE step = 'series list'
UNION ALL SELECT 'rpc previewSeries', v::jsonb = '{"occurrences": [{"startAt": "2035-01-01T10:00:00.000Z", "endAt": "2035-01-01T11:00:00.000Z"},
                                                  {"startAt": "2035-01-02T10:00:00.000Z", "endAt": "2035-01-02T11:00:00.000Z"}]}'
  FROM r WHERE step = 'rpc previewSeries'
UNION ALL SELECT 'rpc getSeries', v::jsonb ->> 'title' = 'S1b' AND jsonb_array_length(v::jsonb -> 'occurrences') = 1
                                  AND v::jsonb #>> '{occurrences,0,title}' = 'S1b' FROM r WHERE step = 'rpc getSeries'
UNION ALL SELECT 'rpc deleteSeries', v::jsonb = '{"success": true}'
                 AND NOT EXISTS (SELECT FROM maintenance.maintenances WHERE series_id IS NOT NULL)
  FROM r WHERE step = 'rpc deleteSeries'
UNION ALL SELECT 'stored rows', (SELECT count(*) FROM maintenance.maintenances) = 3
                                AND (SELECT count(*) FROM maintenance.maintenance_updates) = 6
UNION ALL SELECT 'temporary shadows empty', (SELECT count(*) FROM pg_temp.maintenances) + (SELECT count(*) FROM pg_temp.maintenance_systems)
            + (SELECT count(*) FROM pg_temp.maintenance_updates) + (SELECT count(*) FROM pg_temp.events)
            + (SELECT count(*) FROM pg_temp.event_consumers) + (SELECT count(*) FROM pg_temp.maintenances_with_systems)
            + (SELECT count(*) FROM pg_temp.series) + (SELECT count(*) FROM pg_temp.series_deleted_occurrences) = 0
UNION ALL SELECT 'attacker tables empty', (SELECT count(*) FROM public.maintenances) + (SELECT count(*) FROM public.events)
            + (SELECT count(*) FROM evil.maintenances) + (SELECT count(*) FROM evil.events)
            + (SELECT count(*) FROM evil.maintenance_updates) + (SELECT count(*) FROM public.maintenance_updates)
            + (SELECT count(*) FROM public.series) + (SELECT count(*) FROM evil.series)
            + (SELECT count(*) FROM public.series_deleted_occurrences) = 0;
INSERT INTO expect SELECT 'all 54 steps ran', count(*) = 54 FROM r;
SELECT coalesce(string_agg(x, E'\n'), 't') FROM (
    SELECT 'no check for step ' || step AS x FROM r WHERE step NOT IN (SELECT step FROM expect)
    UNION ALL
    SELECT 'wrong: ' || e.step || ' = ' || coalesce(r.v, '(no result)')
      FROM expect e LEFT JOIN r USING (step) WHERE e.ok IS NOT TRUE) w;
SQL
)

# shellcheck disable=SC2016
call_paths=('public' 'public, pg_catalog' 'evil, pg_catalog' '"$user", public' 'pg_temp, evil, pg_catalog')
for role in "$SUPERUSER" "$APP"; do
	for path in "${call_paths[@]}"; do
		# psql's :path would quote it as one identifier; substitute it here.
		super=false
		[ "$role" = "$SUPERUSER" ] && super=true
		(q "" -v role="$role" -v super=$super 2>&1 <<<"${WORKLOAD//:path/$path}" || true) | expect_t |
			check_t "every API function as $role with search_path = $path gives the right results"
		untouched | check_t "  nothing of the attacker's ran ($role, $path)"
	done
done

# ---------------------------------------------------------------- control
# The planted objects do catch a function that does not pin search_path:
# unpinned, get_maintenances_for_system (SECURITY DEFINER, owned by the
# superuser) runs the attacker's @> on text[], and the attacker becomes a
# superuser.  Then the pin is restored and the damage undone.
q "" -c 'ALTER FUNCTION maintenance.get_maintenances_for_system(text) RESET search_path'
q "$APP" -c 'SET search_path = public, pg_catalog' -c "SELECT count(*) FROM maintenance.get_maintenances_for_system('db')" >/dev/null
q "" -c "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = '$ATTACKER')
                AND EXISTS (SELECT 1 FROM evil.log WHERE what = 'operator @>(text[], text[])' AND by_role = '$SUPERUSER')" |
	check_t "control: without its pinned search_path, a SECURITY DEFINER function runs the attacker's operator as the superuser"
q "" -c 'ALTER FUNCTION maintenance.get_maintenances_for_system(text) SET search_path = pg_catalog, maintenance, pg_temp' \
	-c "ALTER ROLE $ATTACKER NOSUPERUSER" -c 'TRUNCATE evil.log'

# ---------------------------------------------------------------- 2. existing schema
# DROP EXTENSION leaves the schema (CREATE EXTENSION made it, but it is no
# member); an empty one of a superuser is fine, as the runs above show.
refused() { # refused NAME EXPECTED-MESSAGE-PART: CREATE EXTENSION fails with 55000
	local out
	out=$(q "" -c 'SET client_min_messages = warning' -c '\set VERBOSITY verbose' -c 'CREATE EXTENSION maintenance' 2>&1 || true)
	if grep -q "ERROR:  55000: .*$2" <<<"$out" &&
		[ "$(q "" -c "SELECT count(*) FROM pg_extension WHERE extname = 'maintenance'")" = 0 ] &&
		[ "$(q "" -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'maintenance'::regnamespace")" = 0 ]; then
		echo t
	else
		echo "$out"
	fi | check_t "$1"
}
# CASCADE: the attacker's functions and operators on maintenance.status go too.
q "" -c 'SET client_min_messages = warning' -c 'DROP EXTENSION maintenance CASCADE'
q "" -c "GRANT CREATE ON SCHEMA maintenance TO $ATTACKER"
refused "a schema maintenance where the attacker may create objects is refused (55000)" "lets roles that are not superusers create objects in it: $ATTACKER"
q "" -c "REVOKE CREATE ON SCHEMA maintenance FROM $ATTACKER" -c 'GRANT CREATE ON SCHEMA maintenance TO PUBLIC'
refused "a schema maintenance where PUBLIC may create objects is refused (55000)" "create objects in it: PUBLIC"
q "" -c 'REVOKE CREATE ON SCHEMA maintenance FROM PUBLIC' -c "GRANT CREATE ON SCHEMA maintenance TO $ATTACKER"
q "$ATTACKER" -c "CREATE OPERATOR maintenance.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.op_1)"
q "" -c "REVOKE CREATE ON SCHEMA maintenance FROM $ATTACKER"
refused "a schema maintenance holding an operator of the attacker is refused (55000)" "holds operator maintenance.=(text,text) of a role that is not a superuser"
q "" -c 'DROP OPERATOR maintenance.= (text, text)' -c 'DROP SCHEMA maintenance'
q "$ATTACKER" -c 'CREATE SCHEMA maintenance'
refused "a schema maintenance owned by the attacker is refused (55000)" "schema \"maintenance\" is owned by role \"$ATTACKER\", which is not a superuser"
q "" -c 'DROP SCHEMA maintenance'
q "" -c 'SET client_min_messages = warning' -c 'SET search_path = evil, pg_catalog' -c 'CREATE EXTENSION maintenance' \
	-c 'RESET search_path' -c "SELECT extversion IS NOT NULL FROM pg_extension WHERE extname = 'maintenance'" 2>&1 | expect_t |
	check_t "with the schema gone, CREATE EXTENSION creates it and installs"
untouched | check_t "nothing of the attacker's ran while creating the extension in existing schemas"

# ---------------------------------------------------------------- 5. names stay data
# Without pg_cron, CREATE and DROP EXTENSION print the statement to run in
# pg_cron's database; the database's name is in it.  In a database whose
# name is an injection, the statements, run as printed (against a stand-in
# schema cron that records its arguments), pass the name as one value and
# run nothing else.
WEIRD_DB="hostile'); CREATE TABLE injected (); --"
qw() { PGOPTIONS='-c search_path=pg_catalog,pg_temp' psql -X -q -At -v ON_ERROR_STOP=1 -d "$WEIRD_DB" "$@"; }
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$WEIRD_DB\"" -c "CREATE DATABASE \"$WEIRD_DB\""
qw <<'SQL'
CREATE SCHEMA cron;
CREATE TABLE cron.calls (fn text, args text[]);
CREATE FUNCTION cron.schedule_in_database(text, text, text, text) RETURNS bigint LANGUAGE sql
    AS $$ INSERT INTO cron.calls VALUES ('schedule_in_database', ARRAY[$1, $2, $3, $4]) RETURNING 1::bigint $$;
CREATE FUNCTION cron.unschedule(text) RETURNS boolean LANGUAGE sql
    AS $$ INSERT INTO cron.calls VALUES ('unschedule', ARRAY[$1]) RETURNING true $$;
SQL
hints=$(qw -c 'CREATE EXTENSION maintenance' -c 'DROP EXTENSION maintenance' 2>&1 |
	sed -n 's/^HINT:  In the database where pg_cron is installed, run: //p')
printf '%s\n' "$hints" | qw >/dev/null 2>&1 || true
qw -c "SELECT (SELECT array_agg(fn || ': ' || array_to_string(args, ' | ') ORDER BY fn DESC) FROM cron.calls)
              = ARRAY['unschedule: maintenance-transitions-' || current_database(),
                      'schedule_in_database: maintenance-transitions-' || current_database()
                      || ' | * * * * * | DO \$job\$BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) ''maintenance'') THEN EXECUTE ''SELECT maintenance.run_transitions()''; END IF; END\$job\$ | ' || current_database()]
          AND to_regclass('public.injected') IS NULL
          AND current_database() = 'hostile''); CREATE TABLE injected (); --'" 2>&1 |
	expect_t | check_t "the pg_cron statements printed by CREATE and DROP EXTENSION quote a hostile database name"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$WEIRD_DB\" WITH (FORCE)"

tap_summary
