# 002_standby.pl — the extension on a streaming standby (issue 5): every read
# answers there as on the primary, but event replay, which needs the primary,
# is refused with a hint; run_transitions() is a quiet no-op that
# changes nothing; writes are refused as read-only; after promotion the
# transitions due run exactly once (one timeline entry and one set of events
# per transition, none twice).
#
# No background worker here (the library is not preloaded): only the SQL
# calls move maintenances, at a fixed as_of, so nothing waits for time.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION maintenance');

# as_of for every sweep: the windows below are due then.
my $T = "'2040-01-01 12:00+00'";

$primary->safe_psql(
	'postgres', q{
	SET TimeZone = 'UTC';
	SELECT maintenance.create_maintenance('due to start', '2040-01-01 11:00+00',
		'2040-01-01 14:00+00', ARRAY['web', 'db'], suppress_notifications => true);
	SELECT maintenance.create_maintenance('due to complete', '2040-01-01 08:00+00',
		'2040-01-01 11:30+00', ARRAY['db']);
	SELECT maintenance.create_maintenance('passed while scheduled', '2040-01-01 09:00+00',
		'2040-01-01 10:00+00', ARRAY['cache']);
	SELECT maintenance.create_maintenance('far future', '2041-01-01 00:00+00',
		'2041-01-01 01:00+00', ARRAY['web'], description => E'quote " backslash \\ newline\n');
	SELECT maintenance.add_update(id, 'Started by hand', 'in_progress', 'ops')
	  FROM maintenance.maintenances WHERE title = 'due to complete';
	SELECT maintenance.close_maintenance(
		(maintenance.create_maintenance('closed', '2039-01-01 00:00+00',
			'2039-01-02 00:00+00', ARRAY['web'])).id, 'Done early', 'ops');
});

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

# Every read, as text, on a node.
my $reads = q{
	SET TimeZone = 'UTC';
	SELECT 'list', maintenance.rpc('listMaintenances', '{}');
	SELECT 'get', title, maintenance.rpc('getMaintenance', jsonb_build_object('id', id))
	  FROM maintenance.maintenances ORDER BY title;
	SELECT 'timeline', title, (SELECT jsonb_agg(maintenance.update_json(u))
	                             FROM maintenance.get_maintenance_updates(id) u)
	  FROM maintenance.maintenances ORDER BY title;
	SELECT 'typed list', l.* FROM maintenance.list_maintenances() l;
	SELECT 'for system', s, maintenance.rpc('getMaintenancesForSystem', jsonb_build_object('systemId', s)),
	       maintenance.has_active_maintenance_with_suppression(s)
	  FROM unnest(ARRAY['web', 'db', 'cache', 'none']) s ORDER BY s;
	SELECT 'bulk', b.* FROM maintenance.get_bulk_maintenances_for_systems(ARRAY['web', 'db', 'cache', 'none']) b;
	SELECT 'event', maintenance.get_event(max(id)) FROM maintenance.events;
};
# Every row of the extension's tables, for "changed nothing".
my $rows = q{
	SELECT 'm', m.* FROM maintenance.maintenances m ORDER BY id;
	SELECT 's', s.* FROM maintenance.maintenance_systems s ORDER BY 2, 3;
	SELECT 'u', u.* FROM maintenance.maintenance_updates u ORDER BY position;
	SELECT 'e', e.* FROM maintenance.events e ORDER BY id;
};

my $primary_reads = $primary->safe_psql('postgres', $reads);
ok(length($primary_reads) > 1000, 'the reads answer on the primary');
is($standby->safe_psql('postgres', $reads),
	$primary_reads, 'every read answers on the standby as on the primary');

# Replay needs the primary's view of running writers (src/outbox.c): a
# standby refuses it, with a hint, rather than hand out an id too early.
my $ret = $standby->psql(
	'postgres',
	q{\set VERBOSITY verbose
	  SELECT count(*) FROM maintenance.replay_events(0, 10)},
	stderr => \my $replay_err);
isnt($ret, 0, 'replay_events() on the standby is refused');
like($replay_err, qr/ERROR:  55000: cannot replay events during recovery.*HINT:  Replay events from the primary server/s,
	'with 55000 and a hint to replay from the primary');

my $rows_before = $standby->safe_psql('postgres', $rows);
my ($stdout, $stderr);
$standby->psql(
	'postgres',
	"SELECT started || '/' || completed || '/' || failed FROM maintenance.run_transitions(as_of => $T)",
	stdout => \$stdout,
	stderr => \$stderr,
	on_error_die => 1);
is($stdout, '0/0/0', 'run_transitions() on the standby moves nothing');
is($stderr, '', 'and says nothing (no WARNING, no ERROR)');
is($standby->safe_psql('postgres', $rows),
	$rows_before, 'and changes no row');
$standby->psql(
	'postgres',
	"SET client_min_messages = debug1;
	 SELECT started FROM maintenance.run_transitions(as_of => $T)",
	stderr => \$stderr,
	on_error_die => 1);
like($stderr, qr/DEBUG:  maintenance\.run_transitions\(\) does nothing during recovery/,
	'at DEBUG1 it says why it did nothing');

$ret = $standby->psql(
	'postgres',
	q{\set VERBOSITY verbose
	  SELECT maintenance.create_maintenance('x', now(), now() + interval '1 h', ARRAY['a'])},
	stderr => \$stderr);
isnt($ret, 0, 'a write fails on the standby');
like($stderr, qr/ERROR:  25006:/, 'with 25006 (read-only transaction)');

# ------------------------------------------------------------ promotion
$standby->promote;
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	'f', 'the standby is promoted');
$primary->stop;

my $events_before = $standby->safe_psql('postgres',
	'SELECT coalesce(max(id), 0) FROM maintenance.events');
is( $standby->safe_psql(
		'postgres',
		"SELECT started || '/' || completed || '/' || failed FROM maintenance.run_transitions(as_of => $T)"),
	'2/2/0',
	'after promotion the due transitions run: 2 started, 2 completed');
is( $standby->safe_psql(
		'postgres', q{
		SELECT string_agg(title || '=' || status, ', ' ORDER BY title)
		  FROM maintenance.maintenances}),
	'closed=completed, due to complete=completed, due to start=in_progress, '
	  . 'far future=scheduled, passed while scheduled=completed',
	'each maintenance has the status it should');
is( $standby->safe_psql(
		'postgres', q{
		SELECT string_agg(m.title || ':' || u.status_change, ', ' ORDER BY m.title, u.position)
		  FROM maintenance.maintenance_updates u
		  JOIN maintenance.maintenances m ON m.id = u.maintenance_id
		 WHERE u.created_by IS NULL}),
	'due to complete:completed, due to start:in_progress, '
	  . 'passed while scheduled:in_progress, passed while scheduled:completed',
	'one automatic timeline entry per transition, none twice');
# Per transition a signal, a hook and one notification per system.
is( $standby->safe_psql(
		'postgres', qq{
		SELECT string_agg(t || ' ' || c, ', ' ORDER BY t)
		  FROM (SELECT m.title || '/' || e.channel AS t, count(*) AS c
		          FROM maintenance.events e
		          JOIN maintenance.maintenances m ON m.id::text = e.payload->>'maintenanceId'
		         WHERE e.id > $events_before
		         GROUP BY 1) x}),
	'due to complete/maintenance_hook 1, due to complete/maintenance_notification 1, '
	  . 'due to complete/maintenance_signal 1, due to start/maintenance_hook 1, '
	  . 'due to start/maintenance_notification 2, due to start/maintenance_signal 1, '
	  . 'passed while scheduled/maintenance_hook 2, passed while scheduled/maintenance_notification 2, '
	  . 'passed while scheduled/maintenance_signal 2',
	'the events of each transition written once');
is( $standby->safe_psql(
		'postgres',
		"SELECT started || '/' || completed || '/' || failed FROM maintenance.run_transitions(as_of => $T)"),
	'0/0/0',
	'a second run at the same time moves nothing');
is( $standby->safe_psql(
		'postgres', q{
		SELECT (maintenance.create_maintenance('after promotion', '2042-01-01 00:00+00',
			'2042-01-01 01:00+00', ARRAY['web'])).status}),
	'scheduled',
	'writes work on the promoted node');

done_testing();
