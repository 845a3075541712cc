
# Reminders sent by the background worker (src/worker.c, src/reminders.c),
# on a server of its own with the library preloaded and without pg_cron: a
# reminder is sent within 1 s of its moment (start_at minus the lead), not
# before, and once.  Leads are whole minutes, so the window starts a minute
# and a few seconds ahead and its one-minute reminder is due about 2 s
# after it is created; the worker, asleep when it is created, is woken by
# the commit and sleeps until the reminder's moment.
#
# This test waits for real time to pass (the worker's whole point is the
# wall clock): about 5 s.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# The lateness allowed between a reminder's moment and the commit of its event.
my $LATENESS_LIMIT = 1.0;

my $node = PostgreSQL::Test::Cluster->new('reminders');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'maintenance'
maintenance.worker_databases = 'postgres'
track_commit_timestamp = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION maintenance');

sub poll_until
{
	my ($query, $seconds) = @_;
	for (my $i = 0; $i < $seconds * 10; $i++)
	{
		return 1 if $node->safe_psql('postgres', $query) eq 't';
		usleep(100_000);
	}
	return 0;
}

ok( poll_until(
		q{SELECT count(*) = 1 FROM pg_catalog.pg_stat_activity
		   WHERE backend_type = 'maintenance worker' AND datname = 'postgres'}, 10),
	'the worker of database postgres runs');
# let it go to sleep: nothing is scheduled, so up to 60 s
usleep(500_000);

$node->safe_psql(
	'postgres', q{
	SELECT maintenance.create_maintenance('soon',
		pg_catalog.now() + interval '62 s', pg_catalog.now() + interval '2 min',
		ARRAY['web', 'db'], reminders => ARRAY['1 minute']::interval[])});
my $remind_at = $node->safe_psql('postgres',
	"SELECT remind_at FROM maintenance.maintenance_reminders");

my $sent = q{
	SELECT count(*) FROM maintenance.events e
	 WHERE e.payload->>'event' = 'reminder'};
is($node->safe_psql('postgres', $sent), '0', 'nothing is sent before the moment');

ok(poll_until("SELECT ($sent) = 2", 5),
	'the worker sends the reminder, one notification per system');
is( $node->safe_psql(
		'postgres', qq{
		SELECT bool_and(e.occurred_at >= r.remind_at
		       AND pg_catalog.pg_xact_commit_timestamp(e.xmin) < r.remind_at + interval '$LATENESS_LIMIT s')
		  FROM maintenance.events e, maintenance.maintenance_reminders r
		 WHERE e.payload->>'event' = 'reminder'}),
	't',
	"the reminder commits at its moment, less than $LATENESS_LIMIT s after it");
note('lateness: '
	  . $node->safe_psql(
		'postgres', q{
		SELECT max(pg_catalog.pg_xact_commit_timestamp(e.xmin) - r.remind_at)
		  FROM maintenance.events e, maintenance.maintenance_reminders r
		 WHERE e.payload->>'event' = 'reminder'}));
is( $node->safe_psql(
		'postgres',
		"SELECT sent_at IS NOT NULL FROM maintenance.maintenance_reminders WHERE remind_at = '$remind_at'"),
	't',
	'it is recorded as sent');
is( $node->safe_psql(
		'postgres',
		"SELECT status || ' ' || (SELECT count(*) FROM maintenance.maintenance_updates) FROM maintenance.maintenances"),
	'scheduled 0',
	'the window is still scheduled, with no timeline entry');
usleep(1_000_000);
is($node->safe_psql('postgres', $sent), '2', 'and sent once');

$node->stop;
done_testing();
