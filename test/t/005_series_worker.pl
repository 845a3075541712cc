
# The background worker and series (src/series_materialize.c): the worker
# creates the next occurrence of a series when it is due, and starts that
# occurrence within 1 s of its start_at, as it starts any maintenance.
#
# The series has two occurrences an hour, 60 s apart (FREQ=HOURLY with two
# BYMINUTE values), and maintenance.series_horizon is 1 minute (its
# least): createSeries creates the first one (2 s ahead) but not the second
# (60 s after it, beyond the horizon).  At the first start, the series is
# due again (the next occurrence must exist once none is within the
# horizon): the worker's round creates the second one, then starts the
# first.  At the second start it starts the second one.
#
# This test waits for real time to pass (the worker runs on the wall
# clock): about 65 s.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# The lateness allowed between a due time and the commit of its work.
my $LATENESS_LIMIT = 1.0;

my $node = PostgreSQL::Test::Cluster->new('series');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'maintenance'
maintenance.worker_databases = 'postgres'
maintenance.series_horizon = 1
track_commit_timestamp = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION maintenance');

# Poll QUERY every 0.1 s until it returns 't', for at most SECONDS.
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
		  WHERE backend_type = 'maintenance worker'}, 10),
	'the worker runs');

# The first start: 2 s ahead, in whole seconds; the second 60 s later.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE t AS
	SELECT pg_catalog.date_trunc('second', pg_catalog.now() AT TIME ZONE 'UTC') + interval '2 s' AS first_start;
	SELECT (maintenance.create_series('Rolling restart', ARRAY['web'],
		pg_catalog.format('FREQ=HOURLY;BYMINUTE=%s,%s;BYSECOND=%s',
			EXTRACT(minute FROM t.first_start)::int, (EXTRACT(minute FROM t.first_start)::int + 1) % 60,
			EXTRACT(second FROM t.first_start)::int),
		'UTC', t.first_start, interval '10 minutes')).id
	FROM t});
is( $node->safe_psql(
		'postgres', q{
		SELECT pg_catalog.string_agg(
			(m.occurrence_start - t.first_start)::text, ',')
		FROM maintenance.maintenances m, t}),
	'00:00:00',
	'createSeries creates the first occurrence, not the second (beyond the horizon)');

# An occurrence, by its offset from the first start.
sub occurrence
{
	my ($offset) = @_;
	return qq{maintenance.maintenances m, t
		WHERE m.occurrence_start = t.first_start + interval '$offset'};
}

# 't' once the occurrence has its automatic start, committed at or after
# its start_at and less than the allowed lateness after it.
sub started_on_time
{
	my ($offset) = @_;
	return qq{
		SELECT u.created_at >= m.start_at
			AND pg_catalog.pg_xact_commit_timestamp(u.xmin)
				< m.start_at + interval '$LATENESS_LIMIT s'
		FROM maintenance.maintenance_updates u, } . occurrence($offset) . q{
		AND u.maintenance_id = m.id AND u.status_change = 'in_progress'};
}

ok(poll_until(started_on_time('0 s'), 10),
	'the first occurrence starts within 1 s of its start_at');
is( $node->safe_psql(
		'postgres', qq{
		SELECT b.created_at >= a.start_at
			AND pg_catalog.pg_xact_commit_timestamp(e.xmin)
				< a.start_at + interval '$LATENESS_LIMIT s'
		FROM t, maintenance.maintenances a, maintenance.maintenances b, maintenance.events e
		WHERE a.occurrence_start = t.first_start
		AND b.occurrence_start = t.first_start + interval '60 s'
		AND e.name = 'maintenance.created'
		AND (e.payload ->> 'maintenanceId')::uuid = b.id}),
	't',
	'the worker creates the second occurrence at the first start (within 1 s), with its created event');
is( $node->safe_psql(
		'postgres',
		'SELECT pg_catalog.count(*) FROM maintenance.maintenances'),
	'2',
	'nothing else is created');

ok(poll_until(started_on_time('60 s'), 70),
	'the second occurrence, created by the worker, starts within 1 s of its start_at');
is( $node->safe_psql(
		'postgres', q{
		SELECT pg_catalog.string_agg(m.status::text, ',' ORDER BY m.start_at)
		FROM maintenance.maintenances m}),
	'in_progress,in_progress,scheduled',
	'both run their 10 minutes, and the next one exists');

$node->stop;
done_testing();
