
# The launcher and the workers (src/launcher.c, src/worker.c) absorb
# ProcSignalBarriers and interrupts in every state they wait in.  DROP
# DATABASE and ALTER DATABASE ... SET TABLESPACE wait until every process
# of the server has absorbed a barrier: a loop that does not absorb them
# makes these commands hang forever.  Each state is checked with both
# commands, under a timeout: with the launcher alone (empty list), with a
# listed database that does not exist, with a worker waiting for its
# extension, with a worker sleeping between rounds.
#
# Also: CREATE EXTENSION in a database that is listed but was created after
# the launcher last looked wakes the launcher, so a window 3 s ahead starts
# on time instead of after the launcher's next look (10 s).

use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# A barrier is absorbed within a wait of the loop: well under this.
my $BARRIER_TIMEOUT = 8;
my $LATENESS_LIMIT = 1.0;

my $node = PostgreSQL::Test::Cluster->new('barriers');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'maintenance'
track_commit_timestamp = on
log_min_messages = info
});
$node->start;

my $tablespace_dir = PostgreSQL::Test::Utils::tempdir();
$node->safe_psql('postgres', "CREATE TABLESPACE elsewhere LOCATION '$tablespace_dir'");

sub poll_until
{
	my ($query, $seconds, $dbname) = @_;
	$dbname //= 'postgres';
	for (my $i = 0; $i < $seconds * 10; $i++)
	{
		return 1 if $node->safe_psql($dbname, $query) eq 't';
		usleep(100_000);
	}
	return 0;
}

# Run SQL under the timeout; true when it completed and succeeded.
sub completes
{
	my ($sql) = @_;
	my ($stdout, $stderr, $timed_out);
	my $ret = $node->psql(
		'postgres', $sql,
		stdout => \$stdout,
		stderr => \$stderr,
		timeout => $BARRIER_TIMEOUT,
		timed_out => \$timed_out);
	diag("$sql: $stderr") if !$timed_out && $ret != 0;
	return !$timed_out && $ret == 0;
}

# DROP DATABASE and ALTER DATABASE SET TABLESPACE complete in STATE.
sub barriers_absorbed
{
	my ($state) = @_;
	$node->safe_psql('postgres', 'CREATE DATABASE scratch');
	ok(completes('ALTER DATABASE scratch SET TABLESPACE elsewhere'),
		"$state: ALTER DATABASE SET TABLESPACE completes");
	ok(completes('DROP DATABASE scratch'), "$state: DROP DATABASE completes");
}

sub set_list
{
	my ($list) = @_;
	$node->safe_psql('postgres',
		"ALTER SYSTEM SET maintenance.worker_databases = '$list'");
	$node->reload;
}

# Create a window SECONDS ahead in DBNAME; true once it has started on time:
# its automatic start committed at or after start_at, less than the allowed
# lateness after it.
sub window_on_time
{
	my ($dbname, $title, $seconds) = @_;
	$node->safe_psql(
		$dbname, qq{
		SELECT maintenance.create_maintenance('$title',
			pg_catalog.now() + interval '$seconds s',
			pg_catalog.now() + interval '1 hour', ARRAY['sys'])});
	return poll_until(
		qq{
		SELECT u.created_at >= m.start_at
			AND pg_catalog.pg_xact_commit_timestamp(u.xmin)
				< m.start_at + interval '$LATENESS_LIMIT s'
		FROM maintenance.maintenances m
		JOIN maintenance.maintenance_updates u ON u.maintenance_id = m.id
		WHERE m.title = '$title' AND u.status_change = 'in_progress'},
		10, $dbname);
}

my $worker_count = q{
	SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity
	WHERE backend_type = 'maintenance worker'};

# ------------------------------------------------------------ empty list
ok( poll_until(
		"SELECT pg_catalog.count(*) = 1 FROM pg_catalog.pg_stat_activity"
		  . " WHERE backend_type = 'maintenance launcher'",
		10),
	'the launcher runs');
barriers_absorbed('empty list');

# ------------------------------------------------------------ missing database
my $log_offset = -s $node->logfile;
set_list('fresh');
ok( $node->wait_for_log(
		qr/WARNING:  database "fresh" listed in "maintenance.worker_databases" does not exist/,
		$log_offset),
	'the launcher has looked for the missing database');
barriers_absorbed('listed database missing');

# ------------------------------------------------------------ woken by CREATE EXTENSION
# The launcher has just looked (the warning above, or the rounds after the
# commands): its next look is up to 10 s away.  CREATE EXTENSION must wake
# it, so that the worker starts at once and starts the window on time.
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION maintenance');
ok(window_on_time('fresh', 'soon', 3),
	'CREATE EXTENSION in a listed database created later wakes the launcher: the window starts on time'
);

# ------------------------------------------------------------ worker sleeping
is($node->safe_psql('postgres', $worker_count), '1', 'the worker of fresh runs');
barriers_absorbed('worker sleeping between rounds');

# ------------------------------------------------------------ worker waiting for its extension
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', 'CREATE DATABASE bare');
set_list('fresh, bare');
ok( $node->wait_for_log(
		qr/LOG:  extension "maintenance" is not installed in database "bare"/,
		$log_offset),
	'the worker of bare waits for the extension');
barriers_absorbed('worker waiting for its extension');

# ------------------------------------------------------------ worker on an older version
# A database at a released version before ALTER EXTENSION UPDATE: its worker
# says so once and waits (no error loop); the update puts it to work.
$log_offset = -s $node->logfile;
$node->safe_psql('postgres', 'CREATE DATABASE old');
$node->safe_psql('old', "CREATE EXTENSION maintenance VERSION '0.3.0'");
set_list('fresh, bare, old');
ok( $node->wait_for_log(
		qr/LOG:  extension "maintenance" in database "old" is at version 0\.3\.0, but its library is at version [0-9.]+; the maintenance worker waits for the update/,
		$log_offset),
	'the worker of a database at an older version says so');
barriers_absorbed('worker waiting for the update');
$node->safe_psql('old', 'ALTER EXTENSION maintenance UPDATE');
ok(window_on_time('old', 'after update', 1.5),
	'after ALTER EXTENSION UPDATE the worker starts a window on time');
my $said = () = slurp_file($node->logfile, $log_offset) =~ /is at version 0\.3\.0, but its library/g;
is($said, 1, 'the older version was said once, not at every round');
ok(!$node->log_contains(qr/ERROR:/, $log_offset), 'and the worker raised no error');

# ------------------------------------------------------------ terminate
# SIGTERM still ends the worker and the launcher promptly in those states.
ok( $node->safe_psql(
		'postgres', q{
		SELECT pg_catalog.bool_and(pg_catalog.pg_terminate_backend(pid, 10000))
		FROM pg_catalog.pg_stat_activity
		WHERE backend_type IN ('maintenance worker', 'maintenance launcher')}) eq 't',
	'the launcher and the workers end on pg_terminate_backend()');

$node->stop;
done_testing();
