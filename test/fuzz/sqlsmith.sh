#!/usr/bin/env bash
# sqlsmith.sh — random SQL (SQLsmith) against a database with the extension,
# for a bounded time; fails if the server crashed or failed an assertion, or
# if the extension's C code raised an internal error.  Not part of
# scripts/test.sh (it is random and takes minutes); doc/development.md, "Fuzzing (SQLsmith)".
#
#   test/fuzz/sqlsmith.sh [SECONDS [QUERIES [SEED]]]
#
#   SECONDS  wall-clock bound of the SQLsmith run (default 180)
#   QUERIES  at most this many SQLsmith queries (default 100000)
#   SEED     SQLsmith's random seed (default: derived from the time; printed)
#   FUZZ_ARG_SECONDS (environment)  bound of the second phase (default 60)
#
# As root on Debian it installs the packages it needs (sqlsmith, and what
# scripts/lib.sh installs) when they are missing, builds and installs the
# extension, and starts a throwaway cluster (scripts/cluster.sh, removed on
# exit; FUZZ_KEEP=1 keeps it and its log).  The database "fuzz" gets the
# extension and some data: maintenances in every status, a timeline,
# events, consumers.
#
# SQLsmith generates queries from the catalog: every type, the tables it
# can see, every operator, and the routines of pg_proc.  Its loader reads
# "pg_proc" and "pg_type" unqualified, so the fuzzing session puts the
# schema sqlsmith_scope, holding views of those names, before pg_catalog in
# its search_path (its generated queries name every routine and table by
# schema, so the views change nothing else):
#   - pg_proc: SQLsmith knows the functions of the extension and a small
#     set of safe built-in functions and aggregates that produce values of
#     the types they take;
#   - pg_type: every type, but the range and multirange pseudo-types carry
#     the name of a real type (int4range, int4multirange) and anyenum that
#     of maintenance.status.  SQLsmith writes an operand of an operator
#     declared on a pseudo-type as "cast(null as <its name>)"; with the
#     real names, "cast(null as anymultirange) = cast(null as
#     anymultirange)", which fails at parse time and was half of all the
#     queries, becomes a query that runs.
# Both views are read-only (OFFSET 0): the session is a superuser's, and a
# simple view is auto-updatable, so a write into it would be one into the
# system catalog.  With --exclude-catalog SQLsmith queries no catalog
# tables; the tables it sees are the extension's (and these two views).  It
# runs as the superuser, each query with a 1 s statement_timeout (SQLsmith's
# own), each in a transaction that it rolls back: its INSERT, UPDATE, DELETE
# and MERGE statements, and the calls of the write functions, leave nothing
# behind, so every query sees the data set up below.
#
# SQLsmith rarely gives the write functions an argument that is not null,
# and leaves out set-returning functions, so a second phase
# (test/fuzz/arguments.sql) calls every function of the extension at random
# with arguments drawn from pools of edge values of each type, each call in
# a subtransaction, and counts the outcomes by SQLSTATE.
#
# Afterwards, from the server log (log_line_prefix with the SQLSTATE, and
# log_error_verbosity = verbose, so each error names the C function that
# raised it; log_min_error_statement = error, so the statement of each
# failed query is there, and a track_activity_query_size large enough for
# the whole statement of a crashed backend):
#   - a backend that died (terminated by signal, exited with a non-zero
#     code, PANIC, an assertion failure "TRAP:"), or a restart of the
#     server's processes, is a crash: failure;
#   - an internal error (SQLSTATE XX000) raised in a C function of the
#     extension (one defined in src/*.c), or any internal error in the
#     second phase, is a failure: errors of the extension carry a SQLSTATE
#     that says what went wrong;
#   - the server must still answer, and the extension still work.
# The summary lists how many queries ran and how often each of the
# extension's functions was called (pg_stat_user_functions), and the most
# frequent errors.  Exit status 0 = no finding.
set -euo pipefail

SECONDS_BOUND=${1:-180}
MAX_QUERIES=${2:-100000}
SEED=${3:-$(( $(date +%s) % 100000 ))}

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

DB=fuzz
FINDINGS=0
finding() { warn "FINDING: $*"; FINDINGS=$((FINDINGS + 1)); }

ensure_packages sqlsmith:sqlsmith || { warn "could not install the packages"; exit 2; }
check_pg_config || exit 2
build || exit 2
install_extension || exit 2

# A cluster of its own, with a log that says where each error came from.
CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-fuzz.XXXXXX")
if [ -n "${FUZZ_KEEP:-}" ]; then
	add_cleanup 'say "FUZZ_KEEP is set: the cluster stays in $CLUSTER_DIR (scripts/cluster.sh stop $CLUSTER_DIR)"'
else
	add_cleanup '"$REPO_ROOT/scripts/cluster.sh" stop "$CLUSTER_DIR" >/dev/null 2>&1; rm -rf "$CLUSTER_DIR"'
fi
say "starting a throwaway cluster in $CLUSTER_DIR"
"$REPO_ROOT/scripts/cluster.sh" start "$CLUSTER_DIR" \
	"log_line_prefix = '%m [%p] %e '" \
	"log_error_verbosity = verbose" \
	"log_min_messages = warning" \
	"log_min_error_statement = error" \
	"track_activity_query_size = 100kB" \
	"track_functions = all" \
	"restart_after_crash = on" || {
	cat "$CLUSTER_DIR/server.log" >&2 || true
	exit 2
}
export PGHOST=$CLUSTER_DIR PGPORT=5432 PGUSER=postgres PGCLIENTENCODING=UTF8
unset PGDATABASE PGSERVICE PGOPTIONS
LOG=$CLUSTER_DIR/server.log

psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

say "database $DB: the extension, some data, and the scope of SQLsmith"
psql_q -d postgres -c "CREATE DATABASE $DB"
psql_q -d "$DB" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION maintenance;
SET maintenance.actor = 'fuzz';
SELECT maintenance.create_maintenance('Scheduled ' || i, now() + i * interval '1 day',
                                      now() + i * interval '1 day' + interval '2 hours',
                                      ARRAY['sys-' || (i % 3), 'sys-' || (i % 5)],
                                      CASE WHEN i % 2 = 0 THEN 'description ' || i END, i % 4 = 0)
  FROM generate_series(1, 12) AS i;
SELECT maintenance.create_maintenance('Running', now() - interval '1 hour', now() + interval '1 hour', ARRAY['sys-1']);
SELECT maintenance.run_transitions();
SELECT maintenance.add_update(m.id, 'note on ' || m.title) FROM maintenance.maintenances m;
SELECT maintenance.close_maintenance(m.id) FROM maintenance.maintenances m WHERE m.title = 'Scheduled 1';
SELECT maintenance.add_update(m.id, 'off', 'cancelled') FROM maintenance.maintenances m WHERE m.title = 'Scheduled 2';
SELECT maintenance.create_maintenance('Large', now() + interval '30 days', now() + interval '31 days',
                                      ARRAY['big'], repeat('x', 9000));
SELECT maintenance.register_consumer('fuzz-consumer');
SELECT maintenance.ack_events('fuzz-consumer', 5);

-- What SQLsmith's loader sees as pg_proc: the extension's functions, and
-- built-in functions and aggregates that are safe to call at random (no
-- server administration, files, sleeps, large objects or settings).
CREATE SCHEMA sqlsmith_scope;
CREATE VIEW sqlsmith_scope.pg_proc AS
SELECT p.*
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'maintenance'::regnamespace
    OR (p.pronamespace = 'pg_catalog'::regnamespace AND p.proname IN (
        -- values of the types the extension takes
        'now', 'statement_timestamp', 'gen_random_uuid', 'to_timestamp', 'date_trunc',
        'make_interval', 'justify_interval', 'isfinite', 'timezone',
        'md5', 'upper', 'lower', 'repeat', 'chr', 'textcat', 'btrim', 'substr', 'left', 'right',
        'string_to_array', 'array_to_string', 'array_append', 'array_prepend', 'array_cat',
        'array_remove', 'array_fill', 'array_length', 'cardinality',
        'to_jsonb', 'jsonb_build_object', 'jsonb_build_array', 'jsonb_set', 'jsonb_insert',
        'jsonb_strip_nulls', 'jsonb_typeof', 'jsonb_object', 'row_to_json', 'json_build_object',
        'enum_first', 'enum_last', 'enum_range', 'int8', 'int4', 'text', 'uuid_send',
        -- aggregates and window functions SQLsmith may use
        'count', 'min', 'max', 'sum', 'array_agg', 'string_agg', 'jsonb_agg',
        'jsonb_object_agg', 'bool_and', 'bool_or', 'row_number'))
OFFSET 0;  -- not auto-updatable: no write into pg_catalog.pg_proc through it

-- What it sees as pg_type: every type, but the polymorphic range,
-- multirange and enum pseudo-types under the name of a real type of their
-- kind, which SQLsmith then writes in its casts (see the top of this file).
-- Its loader writes a type of pg_catalog as quote_ident(typname), any other
-- as typnamespace.typname.
CREATE VIEW sqlsmith_scope.pg_type AS
SELECT t.oid,
       (CASE t.typname
            WHEN 'anyrange' THEN 'int4range'
            WHEN 'anycompatiblerange' THEN 'int4range'
            WHEN 'anymultirange' THEN 'int4multirange'
            WHEN 'anycompatiblemultirange' THEN 'int4multirange'
            WHEN 'anyenum' THEN 'status'
            ELSE t.typname::text END)::name AS typname,
       CASE WHEN t.typname = 'anyenum' THEN 'maintenance'::regnamespace::oid
            ELSE t.typnamespace END AS typnamespace,
       t.typdelim, t.typrelid, t.typelem, t.typarray, t.typtype
  FROM pg_catalog.pg_type t
OFFSET 0;
SQL
functions=$(psql_q -d "$DB" -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'maintenance'::regnamespace")
say "SQLsmith sees $functions functions of the extension and $(psql_q -d "$DB" -c \
	"SET search_path = sqlsmith_scope, pg_catalog; SELECT count(*) FROM pg_proc WHERE pronamespace <> 'maintenance'::regnamespace") built-in ones"
psql_q -d "$DB" -c 'SELECT pg_stat_reset()' >/dev/null

# ---------------------------------------------------------------- the run
log_start=$(wc -c <"$LOG")
target="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$DB options='-c search_path=sqlsmith_scope,pg_catalog'"
say "sqlsmith --seed=$SEED --max-queries=$MAX_QUERIES, at most $SECONDS_BOUND s"
t0=$SECONDS
set +e
# --dump-all-queries: every query on stdout, from which only the calls of
# the extension's functions are counted (the queries themselves take too
# much room to keep; the server log has each one that failed).
timeout --signal=INT --kill-after=10 "$SECONDS_BOUND" \
	sqlsmith --target="$target" --exclude-catalog --seed="$SEED" --max-queries="$MAX_QUERIES" \
	--verbose --dump-all-queries 2>"$CLUSTER_DIR/sqlsmith.err" |
	{ grep -oE 'maintenance\.[a-z_]+\(' || true; } | sort | uniq -c | sort -rn >"$CLUSTER_DIR/generated-calls.txt"
rc=${PIPESTATUS[0]}
set -e
elapsed=$((SECONDS - t0))
case "$rc" in
0) say "sqlsmith finished its $MAX_QUERIES queries in $elapsed s" ;;
124 | 130) say "sqlsmith stopped after $elapsed s (time bound)" ;;
*) finding "sqlsmith exited with status $rc after $elapsed s (tail of its output below)"
   tail -n 20 "$CLUSTER_DIR/sqlsmith.err" >&2 ;;
esac

# Calls that completed (the backend of SQLsmith reports them when it exits;
# pg_stat_user_functions counts nested calls too, so a function the others
# call, replay_horizon for one, completes more often than it is generated).
sleep 1
psql_q -d "$DB" -c "SELECT p.proname, coalesce(s.calls, 0)
                      FROM pg_proc p LEFT JOIN pg_stat_user_functions s ON s.funcid = p.oid
                     WHERE p.pronamespace = 'maintenance'::regnamespace" 2>/dev/null |
	sort -t'|' -k1,1 >"$CLUSTER_DIR/returned-calls.txt" || true

# ---------------------------------------------------------------- arguments
ARG_SECONDS=${FUZZ_ARG_SECONDS:-60}
say "second phase: every function with edge-value arguments (test/fuzz/arguments.sql), $ARG_SECONDS s"
psql_q -d "$DB" -f "$REPO_ROOT/test/fuzz/arguments.sql" >/dev/null
arg_batches=0
t0=$SECONDS
# Each batch draws from random() seeded from SEED and the batch number, so
# a seed gives the same calls (over the same data; the set-up's times come
# from now()).  A batch that takes more than 2 minutes is a finding too.
while [ $((SECONDS - t0)) -lt "$ARG_SECONDS" ]; do
	batch_seed=$(awk -v s="$SEED" -v b="$arg_batches" 'BEGIN { printf "%.6f", ((s * 7919 + b) % 1999999) / 1000000 - 1 }')
	if ! psql_q -d "$DB" -c "SET client_min_messages = error" -c "SET statement_timeout = '120s'" \
		-c "SELECT setseed($batch_seed)" -c "SELECT fuzz.call_random(200)" \
		>/dev/null 2>"$CLUSTER_DIR/arguments.err"; then
		finding "a batch of the second phase failed:"
		cat "$CLUSTER_DIR/arguments.err" >&2
		break
	fi
	arg_batches=$((arg_batches + 1))
done
psql_q -d "$DB" -c "SELECT function, sqlstate, example_message, example_statement
                      FROM fuzz.outcomes WHERE sqlstate LIKE 'XX%' ORDER BY 1" >"$CLUSTER_DIR/arguments-internal.txt" || true
if [ -s "$CLUSTER_DIR/arguments-internal.txt" ]; then
	finding "internal errors in the second phase:"
	head -c 4000 "$CLUSTER_DIR/arguments-internal.txt" >&2
fi

# ---------------------------------------------------------------- findings
tail -c +"$((log_start + 1))" "$LOG" >"$CLUSTER_DIR/run.log"

# Only lines the server wrote itself (with the prefix, or an assertion's
# "TRAP:"), not the text of a logged statement.
# (bracket expressions, no "\[" or "{5}": the same pattern serves grep -E and mawk)
prefix='^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [^[]*[[][0-9]+[]] [0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z] [A-Z]+: '
if grep -E "^TRAP:|$prefix.*(terminated by signal|exited with exit code ([2-9]|[1-9][0-9])|was terminated by exception|PANIC:|terminating any other active server processes|all server processes terminated; reinitializing)" \
	"$CLUSTER_DIR/run.log" >"$CLUSTER_DIR/crashes.log"; then
	finding "the server log shows a crash:"
	cat "$CLUSTER_DIR/crashes.log" >&2
	# the statements the crashed backends ran (whole: track_activity_query_size)
	awk -v prefix="$prefix" '
		$0 ~ prefix { keep = ($0 ~ /Failed process was running: /) }
		keep
	' "$CLUSTER_DIR/run.log" >"$CLUSTER_DIR/crash-statements.log"
	head -c 6000 "$CLUSTER_DIR/crash-statements.log" >&2
fi

# Internal errors (XX000) raised in the extension's C functions: each error
# with the lines that belong to it (DETAIL, CONTEXT, LOCATION, STATEMENT and
# the statement's own lines) in internal.log.
our_functions=$(grep -hoE '^[a-z_][a-z0-9_]*\(' "$REPO_ROOT"/src/*.c | tr -d '(' | sort -u | paste -sd'|')
awk -v prefix="$prefix" -v ours="^($our_functions)\$" '
	function flush() {
		if (rec != "" && loc ~ ours) print rec "\n"
		rec = ""; loc = ""
	}
	$0 ~ prefix {
		pid = $0; sub(/^[^[]*\[/, "", pid); sub(/\].*/, "", pid)
		if (rec != "" && pid == rpid && $0 ~ / (DETAIL|HINT|CONTEXT|LOCATION|STATEMENT|QUERY): /) {
			rec = rec "\n" $0
			if ($0 ~ / LOCATION: /) { loc = $0; sub(/.* LOCATION: +/, "", loc); sub(/,.*/, "", loc) }
			next
		}
		flush()
		if ($0 ~ / XX000 (ERROR|FATAL|PANIC): /) { rec = $0; rpid = pid }
		next
	}
	rec != "" { rec = rec "\n" $0 }
	END { flush() }
' "$CLUSTER_DIR/run.log" >"$CLUSTER_DIR/internal.log"
internal_ours=$(grep -E "$prefix" "$CLUSTER_DIR/internal.log" | grep -cE ' XX000 (ERROR|FATAL|PANIC): ' || true)
if [ "$internal_ours" -gt 0 ]; then
	finding "$internal_ours internal errors (XX000) raised in the extension's C code; the first:"
	head -c 6000 "$CLUSTER_DIR/internal.log" >&2
fi

if ! psql_q -d "$DB" -c 'SELECT 1' >/dev/null 2>&1; then
	finding "the server does not answer after the run"
elif ! psql_q -d "$DB" >/dev/null 2>"$CLUSTER_DIR/after.err" <<-'SQL'
	SET client_min_messages = warning;
	SELECT maintenance.create_maintenance('After fuzzing', now() + interval '1 day',
	                                      now() + interval '2 days', ARRAY['after']);
	SELECT maintenance.run_transitions(now() + interval '3 days');
	SELECT count(*) FROM maintenance.replay_events(0, 10);
SQL
then
	finding "the extension does not work after the run:"
	cat "$CLUSTER_DIR/after.err" >&2
fi

# ---------------------------------------------------------------- summary
queries=$(grep -oE 'queries: [0-9]+' "$CLUSTER_DIR/sqlsmith.err" | tail -n 1 | grep -oE '[0-9]+' || true)
say "summary (seed $SEED, $elapsed s)"
echo "    queries generated: ${queries:-unknown} (sqlsmith's last progress report)"
echo "    server log: $(grep -c ' ERROR:' "$CLUSTER_DIR/run.log" || true) errors," \
	"$(grep -c ' XX000 ERROR:' "$CLUSTER_DIR/run.log" || true) internal ($internal_ours in the extension)," \
	"$(wc -l <"$CLUSTER_DIR/crashes.log" 2>/dev/null || echo 0) crash lines"
echo "    SQLsmith: calls of the extension's functions in the generated queries, and calls that"
echo "    completed (pg_stat_user_functions, nested calls included; most generated calls never run"
echo "    or get null or unfitting arguments and fail):"
awk '{ sub(/^maintenance\./, "", $2); sub(/\($/, "", $2); print $2 "|" $1 }' "$CLUSTER_DIR/generated-calls.txt" |
	sort -t'|' -k1,1 | join -t'|' -a2 -e0 -o 2.1,1.2,2.2 - "$CLUSTER_DIR/returned-calls.txt" |
	sort -t'|' -k2,2nr | awk -F'|' '{ printf "      %-42s %8s generated %8s completed\n", $1, $2, $3 }'
echo "    second phase: $arg_batches batches of 200 calls; outcomes by function (SQLSTATE:calls):"
psql_q -d "$DB" -c "SELECT format('      %-42s %s', function,
                             string_agg(sqlstate || ':' || calls, ' ' ORDER BY sqlstate))
                      FROM fuzz.outcomes GROUP BY function ORDER BY function" 2>/dev/null || true
echo "    the most frequent errors of the SQLsmith run:"
grep -E ' [0-9A-Z]{5} ERROR:' "$CLUSTER_DIR/run.log" |
	sed -E 's/^.* ([0-9A-Z]{5}) ERROR: +([0-9A-Z]{5}: )?/\1 /; s/ at character [0-9]+$//; s/"[0-9a-f-]{36}"/"<uuid>"/g' |
	sort | uniq -c | sort -rn | head -n 12 | sed 's/^/      /' || true
if [ "$FINDINGS" -gt 0 ]; then
	if [ -z "${FUZZ_KEEP:-}" ]; then
		# the cluster goes on exit; what shows the findings stays
		keep=$(mktemp -d "${TMPDIR:-/tmp}/maintenance-fuzz-findings.XXXXXX")
		cp "$CLUSTER_DIR"/{run.log,crashes.log,crash-statements.log,internal.log,arguments-internal.txt,arguments.err,after.err,sqlsmith.err} \
			"$keep"/ 2>/dev/null || true
		warn "$FINDINGS findings (seed $SEED); the server log of the run and the findings: $keep"
	else
		warn "$FINDINGS findings (seed $SEED); the server log of the run: $CLUSTER_DIR/run.log"
	fi
	exit 1
fi
say "no crash, no assertion failure, no internal error in the extension"
