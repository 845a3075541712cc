
# The background worker (src/worker.c), on servers of its own with the
# library preloaded and without pg_cron: windows start and end within 1 s of
# their start_at and end_at; the worker shows in pg_stat_activity, restarts
# after pg_terminate_backend(), follows a reload of
# maintenance.worker_databases, runs nothing on a standby and starts at its
# promotion; a window moved closer wakes it; a database that gets the
# extension later gets a working worker.
#
# This test waits for real time to pass (the worker's whole point is the
# wall clock): about 40 s.

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# The lateness allowed between a due time and the commit of its transition.
my $LATENESS_LIMIT = 1.0;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'maintenance'
maintenance.worker_databases = 'postgres'
track_commit_timestamp = on
log_min_messages = info
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION maintenance');

# Poll QUERY on NODE every 0.1 s until it returns 't', for at most SECONDS,
# in database DBNAME (default postgres).
sub poll_until
{
	my ($node, $query, $seconds, $dbname) = @_;
	$dbname //= 'postgres';
	for (my $i = 0; $i < $seconds * 10; $i++)
	{
		return 1 if $node->safe_psql($dbname, $query) eq 't';
		usleep(100_000);
	}
	return 0;
}

# A query that returns 't' once the maintenance titled TITLE has its automatic
# start, committed at or after its start_at and less than the allowed
# lateness after it (no row before the start).
sub started_on_time
{
	my ($title) = @_;
	return qq{
		SELECT u.created_at >= m.start_at
			AND pg_catalog.pg_xact_commit_timestamp(u.xmin)
				< m.start_at + interval '$LATENESS_LIMIT s'
		FROM maintenance.maintenances m
		JOIN maintenance.maintenance_updates u ON u.maintenance_id = m.id
		WHERE m.title = '$title' AND u.status_change = 'in_progress'};
}

my $worker_running = q{
	SELECT count(*) = 1 FROM pg_catalog.pg_stat_activity
	WHERE backend_type = 'maintenance worker' AND datname = 'postgres'};

sub worker_pid
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		    "SELECT pid FROM pg_catalog.pg_stat_activity"
		  . " WHERE backend_type = 'maintenance worker'");
}

# ------------------------------------------------------------ started
ok(poll_until($primary, $worker_running, 10),
	'the worker of database postgres is in pg_stat_activity');
is( $primary->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_catalog.pg_stat_activity"
		  . " WHERE backend_type = 'maintenance launcher' AND datname IS NULL"),
	'1',
	'one launcher, connected to no database');
ok( $primary->log_contains(
		qr/LOG:  maintenance worker started for database "postgres"/),
	'the worker says at start which database it watches');

# ------------------------------------------------------------ on time
# The worker sleeps (nothing is scheduled: up to 60 s) when these are
# created: each must wake it at commit.  Six windows start 2 to 4 s ahead
# and end 2 s after their start; one created an hour ahead is moved to 3 s
# ahead by update_maintenance(); one is started by hand with an end 3 s
# ahead (in one transaction: the worker must not see the past start_at
# before the status change).
usleep(500_000);
$primary->safe_psql(
	'postgres', q{
	CREATE TABLE due (title text PRIMARY KEY, id uuid);
	INSERT INTO due
	SELECT 'w' || i, (maintenance.create_maintenance('w' || i,
		pg_catalog.now() + (2 + 0.4 * i) * interval '1 s',
		pg_catalog.now() + (4 + 0.4 * i) * interval '1 s',
		ARRAY['sys'])).id
	FROM generate_series(0, 5) AS i;
	INSERT INTO due
	SELECT 'moved', (maintenance.create_maintenance('moved',
		pg_catalog.now() + interval '1 hour',
		pg_catalog.now() + interval '1 hour 2 s', ARRAY['sys'])).id;
	INSERT INTO due
	SELECT 'by hand', (maintenance.create_maintenance('by hand',
		pg_catalog.now() + interval '1 hour',
		pg_catalog.now() + interval '1 hour 3 s', ARRAY['sys'])).id;
});
$primary->safe_psql(
	'postgres', q{
	SELECT maintenance.update_maintenance(id, start_at => pg_catalog.now() + interval '3 s',
		end_at => pg_catalog.now() + interval '5 s')
	FROM due WHERE title = 'moved'});
$primary->safe_psql(
	'postgres', q{
	BEGIN;
	SELECT maintenance.update_maintenance(id, start_at => pg_catalog.now() - interval '1 s',
		end_at => pg_catalog.now() + interval '3 s')
	FROM due WHERE title = 'by hand';
	SELECT maintenance.add_update(id, 'Started early', 'in_progress', 'ops')
	FROM due WHERE title = 'by hand';
	COMMIT});

# Watch every 0.1 s: when each status was first seen (the observer's clock).
my %seen;
for (my $i = 0; $i < 150; $i++)
{
	my $rows = $primary->safe_psql(
		'postgres', q{
		SELECT d.title, m.status,
			EXTRACT(epoch FROM pg_catalog.clock_timestamp() - m.start_at),
			EXTRACT(epoch FROM pg_catalog.clock_timestamp() - m.end_at)
		FROM due d JOIN maintenance.maintenances m USING (id)});
	my $open = 0;
	foreach my $row (split /\n/, $rows)
	{
		my ($title, $status, $since_start, $since_end) = split /\|/, $row;
		$seen{$title}{in_progress} //= $since_start
		  if $status eq 'in_progress' || $status eq 'completed';
		$seen{$title}{completed} //= $since_end if $status eq 'completed';
		$open++ if $status ne 'completed';
	}
	last if $open == 0;
	usleep(100_000);
}

foreach my $title ((map { "w$_" } 0 .. 5), 'moved')
{
	ok( defined $seen{$title}{in_progress}
		  && $seen{$title}{in_progress} < $LATENESS_LIMIT + 0.2,
		"$title seen in progress within 1.2 s of start_at (seen after "
		  . ($seen{$title}{in_progress} // 'never') . ' s)');
}
foreach my $title ((map { "w$_" } 0 .. 5), 'moved', 'by hand')
{
	ok( defined $seen{$title}{completed}
		  && $seen{$title}{completed} < $LATENESS_LIMIT + 0.2,
		"$title seen completed within 1.2 s of end_at (seen after "
		  . ($seen{$title}{completed} // 'never') . ' s)');
}

# The transitions themselves: commit time minus due time, in [0, 1 s).
my $late = $primary->safe_psql(
	'postgres', q{
	SELECT d.title, u.status_change,
		pg_catalog.round(EXTRACT(epoch FROM
			pg_catalog.pg_xact_commit_timestamp(u.xmin)
			- CASE u.status_change WHEN 'in_progress' THEN m.start_at ELSE m.end_at END), 3),
		u.created_at >= CASE u.status_change WHEN 'in_progress'
			THEN m.start_at ELSE m.end_at END
	FROM due d JOIN maintenance.maintenances m USING (id)
	JOIN maintenance.maintenance_updates u ON u.maintenance_id = m.id
	WHERE u.created_by IS NULL
	ORDER BY 1, 2});
my @late = split /\n/, $late;
is(scalar @late, 15, 'fifteen automatic transitions (7 starts, 8 completions)');
foreach my $line (@late)
{
	my ($title, $change, $seconds, $not_early) = split /\|/, $line;
	ok($not_early eq 't' && $seconds >= 0 && $seconds < $LATENESS_LIMIT,
		"$title: $change committed $seconds s after due, not before");
}
is( $primary->safe_psql(
		'postgres', q{
		SELECT pg_catalog.count(*) FROM maintenance.maintenance_updates u
		JOIN due d ON d.id = u.maintenance_id
		WHERE u.message IN ('Maintenance started automatically',
			'Maintenance completed automatically')}),
	'15',
	'each transition written once, with the automatic messages');

# ------------------------------------------------------------ moved alone
# Nothing else pending: after its round for the create of a window an hour
# ahead, the worker sleeps its longest sleep (60 s).  Moving that window to
# 1.5 s ahead with update_maintenance() must wake it; without the wake-up the
# start would come up to a minute late.  (A status change by hand only ever
# moves the next deadline later, so missing it costs nothing but a spare
# round; the create's wake-up is checked in "after restart" below.)
$primary->safe_psql(
	'postgres', q{
	INSERT INTO due
	SELECT 'moved alone', (maintenance.create_maintenance('moved alone',
		pg_catalog.now() + interval '1 hour', pg_catalog.now() + interval '2 hours',
		ARRAY['sys'])).id});
usleep(1_000_000);
$primary->safe_psql(
	'postgres', q{
	SELECT maintenance.update_maintenance(id, start_at => pg_catalog.now() + interval '1.5 s')
	FROM due WHERE title = 'moved alone'});
ok(poll_until($primary, started_on_time('moved alone'), 10),
	'a window moved closer by update_maintenance() wakes the sleeping worker: on time');
$primary->safe_psql('postgres',
	q{SELECT maintenance.close_maintenance(id) FROM due WHERE title = 'moved alone'});

# ------------------------------------------------------------ restart
my $pid = worker_pid($primary);
my $log_offset = -s $primary->logfile;
$primary->safe_psql('postgres', "SELECT pg_catalog.pg_terminate_backend($pid)");
ok( poll_until(
		$primary,
		"SELECT pg_catalog.count(*) = 1 FROM pg_catalog.pg_stat_activity"
		  . " WHERE backend_type = 'maintenance worker' AND pid <> $pid",
		30),
	'a terminated worker is started again');
ok( $primary->log_contains(
		qr/maintenance worker started for database "postgres"/, $log_offset),
	'the restarted worker logs its start');

# After the restart it is punctual again.
$primary->safe_psql(
	'postgres', q{
	INSERT INTO due
	SELECT 'after restart', (maintenance.create_maintenance('after restart',
		pg_catalog.now() + interval '1.5 s', pg_catalog.now() + interval '1 hour',
		ARRAY['sys'])).id});
ok(poll_until($primary, started_on_time('after restart'), 10),
	'the restarted worker starts a window on time');

# ------------------------------------------------------------ reload
$log_offset = -s $primary->logfile;
$primary->append_conf('postgresql.conf', "maintenance.worker_databases = ''");
$primary->reload;
ok( poll_until(
		$primary,
		"SELECT pg_catalog.count(*) = 0 FROM pg_catalog.pg_stat_activity"
		  . " WHERE backend_type = 'maintenance worker'",
		10),
	'the worker stops when its database is taken off the list and the server reloads');
ok( $primary->log_contains(
		qr/maintenance worker for database "postgres" stops: the database is no longer listed/,
		$log_offset),
	'and says why');

$primary->append_conf('postgresql.conf',
	"maintenance.worker_databases = 'postgres, nosuchdb'");
$primary->reload;
ok(poll_until($primary, $worker_running, 10),
	'a database added to the list gets its worker at reload, without restart');
ok( $primary->wait_for_log(
		qr/WARNING:  database "nosuchdb" listed in "maintenance.worker_databases" does not exist/,
		$log_offset),
	'a listed database that does not exist is reported');

$primary->append_conf('postgresql.conf',
	"maintenance.worker_databases = 'postgres,,'");
$primary->reload;
ok( $primary->wait_for_log(
		qr/invalid value for parameter "maintenance.worker_databases": "postgres,,"/,
		$log_offset),
	'an invalid list is refused at reload');
is($primary->safe_psql('postgres', 'SHOW maintenance.worker_databases'),
	'postgres, nosuchdb', 'and the previous value stays');
is(worker_pid($primary) ne '', 1, 'the worker keeps running');

# ------------------------------------------------------------ extension later
# A listed database without the extension: its worker waits and says so; a
# CREATE EXTENSION later (and the first write's wake-up) puts it to work, and
# so does a DROP and CREATE again (plans prepared before the DROP are not
# reused for the new tables).
$primary->safe_psql('postgres', 'CREATE DATABASE later');
$log_offset = -s $primary->logfile;
$primary->append_conf('postgresql.conf',
	"maintenance.worker_databases = 'postgres, later'");
$primary->reload;
ok( $primary->wait_for_log(
		qr/LOG:  extension "maintenance" is not installed in database "later"; the maintenance worker waits for it/,
		$log_offset),
	'the worker of a database without the extension waits and says so');

# Start a window 1.5 s ahead in database later; true when it started on time.
sub window_in_later_on_time
{
	my ($title) = @_;
	$primary->safe_psql(
		'later', qq{
		SELECT maintenance.create_maintenance('$title',
			pg_catalog.now() + interval '1.5 s', pg_catalog.now() + interval '1 hour',
			ARRAY['sys'])});
	return poll_until($primary, started_on_time($title), 10, 'later');
}

$primary->safe_psql('later', 'CREATE EXTENSION maintenance');
ok(window_in_later_on_time('first'),
	'after CREATE EXTENSION, a window in that database starts on time');
ok( $primary->log_contains(
		qr/LOG:  extension "maintenance" is now installed in database "later"/,
		$log_offset),
	'and the worker says it now runs the transitions there');
$primary->safe_psql('later',
	'DROP EXTENSION maintenance; CREATE EXTENSION maintenance');
ok(window_in_later_on_time('second'),
	'after DROP and CREATE EXTENSION, a window starts on time');
ok(!$primary->log_contains(qr/ERROR:/, $log_offset),
	'and the worker raised no error on the way');

# ------------------------------------------------------------ standby
$primary->append_conf('postgresql.conf',
	"maintenance.worker_databases = 'postgres'");
$primary->reload;
$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

# With the primary's worker stopped, a window falls due while the standby
# (configured to run a worker for postgres) follows.
$primary->append_conf('postgresql.conf', "maintenance.worker_databases = ''");
$primary->reload;
ok( poll_until(
		$primary,
		"SELECT pg_catalog.count(*) = 0 FROM pg_catalog.pg_stat_activity"
		  . " WHERE backend_type = 'maintenance worker'",
		10),
	'primary worker stopped for the standby test');
$primary->safe_psql(
	'postgres', q{
	INSERT INTO due
	SELECT 'standby', (maintenance.create_maintenance('standby',
		pg_catalog.now() + interval '1 s', pg_catalog.now() + interval '1 hour',
		ARRAY['sys'])).id});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
usleep(2_000_000);

is( $standby->safe_psql(
		'postgres',
		"SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity"
		  . " WHERE backend_type LIKE 'maintenance %'"),
	'0',
	'a standby runs neither launcher nor worker');
ok(!$standby->log_contains(qr/maintenance (worker|launcher) started/),
	'and its log says none started');
is( $standby->safe_psql(
		'postgres',
		"SELECT m.status FROM due d JOIN maintenance.maintenances m USING (id)"
		  . " WHERE d.title = 'standby'"),
	'scheduled',
	'the due window is still scheduled on the standby');

$standby->promote;
ok(poll_until($standby, $worker_running, 30),
	'the promoted standby starts its worker');
ok( poll_until(
		$standby, q{
		SELECT m.status = 'in_progress'
		FROM due d JOIN maintenance.maintenances m USING (id)
		WHERE d.title = 'standby'},
		10),
	'and it starts the window that fell due before the promotion');

$standby->stop;
$primary->stop;

done_testing();
