/*-------------------------------------------------------------------------
 *
 * maintenance-listen.c
 *	  Deliver the events of the maintenance extension to a program: every
 *	  event once, in id order, also across disconnections and restarts.
 *
 *	  On start and after every reconnection the client first LISTENs on the
 *	  event channels, then replays the events after its cursor with
 *	  maintenance.replay_events() until it has caught up, then waits.  A
 *	  notification is only a wake-up: the events themselves are always read
 *	  through replay_events(), which hands out ids in order and only ids
 *	  below which no event can still appear (see src/events.c).  So the
 *	  order and "once" come from the cursor, and a truncated NOTIFY envelope
 *	  never matters, since replay returns whole payloads.  The client also
 *	  replays every --poll-interval seconds in case a wake-up was missed
 *	  (a writer that rolls back sends no notification, but may have held
 *	  back the events of others).
 *
 *	  The cursor (the id of the last event processed) is kept in a file
 *	  (--cursor-file, replaced atomically after every event), on the server
 *	  (--consumer, maintenance.ack_events()), or both; without either it
 *	  lives in memory and a restart replays every retained event.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PROGNAME "maintenance-listen"

/* Exit statuses */
#define EXIT_OK			0
#define EXIT_FAILURE_	1
#define EXIT_USAGE		2

#define BACKOFF_FIRST_MS	500
#define BACKOFF_MAX_MS		30000
#define DEFAULT_POLL_MS		5000
#define DEFAULT_BATCH		100

static const char *const all_channels[] = {
	"maintenance_signal",
	"maintenance_hook",
	"maintenance_notification",
};
#define NCHANNELS ((int) (sizeof(all_channels) / sizeof(all_channels[0])))

typedef struct Options
{
	const char *conninfo;		/* NULL: libpq's defaults (PG* variables) */
	const char *consumer;
	const char *cursor_file;
	const char *exec_command;
	bool		channel_wanted[NCHANNELS];	/* all true unless --channel */
	int			poll_ms;
	int			batch;
} Options;

/* How a stretch of work on a connection ended. */
typedef enum Outcome
{
	OUTCOME_CAUGHT_UP,			/* replay: no more events for now */
	OUTCOME_STOP,				/* SIGINT or SIGTERM: exit */
	OUTCOME_LOST				/* connection or query failed: reconnect */
} Outcome;

static volatile sig_atomic_t stop_requested = 0;

/*
 * While a replay query runs, a stop cancels it (PQcancel is safe in a signal
 * handler), so that a query blocked by a lock does not delay the exit.  Only
 * replay queries: they read, and a cancelled one is simply not processed.
 */
static PGcancel *volatile replay_cancel = NULL;
static volatile sig_atomic_t replay_running = 0;

static Options opts;
static int64_t cursor_id = 0;	/* id of the last event processed */
static int64_t stored_file_id = -1; /* what the cursor file holds */

/* ---------------------------------------------------------------- output */

static void
log_msg(const char *fmt,...)
__attribute__((format(printf, 1, 2)));

static void
log_msg(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
fatal(const char *fmt,...)
__attribute__((format(printf, 1, 2), noreturn));

static void
fatal(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE_);
}

/* libpq's messages end with a newline; ours do not. */
static const char *
pq_error(PGconn *conn)
{
	static char buf[1024];
	size_t		len;

	snprintf(buf, sizeof(buf), "%s", PQerrorMessage(conn));
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return buf;
}

static void
notice_processor(void *arg, const char *message)
{
	(void) arg;
	fprintf(stderr, "%s: server: %s", PROGNAME, message);
}

static void
usage(void)
{
	printf("%s delivers the events of the PostgreSQL extension \"maintenance\":\n"
		   "every event once, in id order, also across disconnections and restarts.\n"
		   "\n"
		   "Usage:\n"
		   "  %s [OPTION]...\n"
		   "\n"
		   "Options:\n"
		   "  -d, --dbname=CONNINFO      database to connect to: a libpq connection string\n"
		   "                             or URI; default: the PG* environment variables\n"
		   "  -c, --consumer=NAME        keep the cursor on the server as the named consumer\n"
		   "                             NAME (registered if new; acknowledged with\n"
		   "                             maintenance.ack_events() after every event)\n"
		   "  -f, --cursor-file=PATH     keep the cursor in the file PATH, replaced\n"
		   "                             atomically after every event; created if missing\n"
		   "  -e, --exec=COMMAND         run COMMAND with /bin/sh -c for every event, the\n"
		   "                             event's JSON on its standard input; a non-zero\n"
		   "                             exit is retried with backoff, and the cursor does\n"
		   "                             not move past the event until COMMAND succeeds\n"
		   "      --channel=CHANNEL      deliver only the events of CHANNEL (repeatable):\n"
		   "                             maintenance_signal, maintenance_hook,\n"
		   "                             maintenance_notification; default: all three\n"
		   "      --poll-interval=SECS   replay at least this often, even without a\n"
		   "                             notification (default: 5)\n"
		   "      --batch-size=N         events read per replay query (default: 100)\n"
		   "  -h, --help                 show this help, then exit\n"
		   "\n"
		   "Output: without --exec, every event is one line of JSON on standard output,\n"
		   "the whole envelope {\"id\", \"channel\", \"name\", \"occurredAt\", \"payload\"}.\n"
		   "With --exec, COMMAND gets that line on its standard input and the variables\n"
		   "MAINTENANCE_EVENT_ID and MAINTENANCE_EVENT_CHANNEL in its environment.\n"
		   "\n"
		   "Cursor: the id of the last event processed.  With both --consumer and\n"
		   "--cursor-file, the client starts after the higher of the two.  With neither,\n"
		   "it starts from the first retained event.  An event is processed before its\n"
		   "cursor is stored, so after a crash the last event may be delivered again;\n"
		   "within a run, and across clean exits, every event is delivered once.\n"
		   "\n"
		   "The client LISTENs on the channels, replays the events after its cursor with\n"
		   "maintenance.replay_events() until it has caught up, then replays again on\n"
		   "every notification and every poll interval.  When the server goes away it\n"
		   "reconnects with backoff (0.5 s, doubling up to 30 s) and replays from its\n"
		   "cursor; every failure to connect is retried so, a wrong password too.\n"
		   "SIGINT or SIGTERM: it finishes the current event (a replay query waiting\n"
		   "for a lock is cancelled), then exits 0.  The session always uses UTF-8 and\n"
		   "READ COMMITTED, whatever the environment, role or database sets.\n"
		   "The connection's application_name defaults to \"%s\".\n"
		   "\n"
		   "Exit status: 0 after SIGINT or SIGTERM, 1 on a fatal error (an unreadable\n"
		   "cursor file, standard output closed), 2 on bad arguments (a connection\n"
		   "string that cannot be parsed too).\n",
		   PROGNAME, PROGNAME, PROGNAME);
}

static void
usage_error(const char *fmt,...)
__attribute__((format(printf, 1, 2), noreturn));

static void
usage_error(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"%s --help\" for more information.\n", PROGNAME);
	exit(EXIT_USAGE);
}

/* ------------------------------------------------------------ arguments */

static bool
parse_int(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool
parse_id(const char *s, int64_t *out)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return false;
	while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
		end++;
	if (*end != '\0')
		return false;
	*out = (int64_t) v;
	return true;
}

/*
 * A connection string or URI that libpq cannot parse is a bad argument
 * (exit 2), not a connection failure to retry forever.  A plain database
 * name is not parsed: libpq takes it as it is.
 */
static void
check_conninfo(const char *conninfo)
{
	PQconninfoOption *parsed;
	char	   *errmsg = NULL;

	if (strchr(conninfo, '=') == NULL &&
		strncmp(conninfo, "postgresql://", 13) != 0 &&
		strncmp(conninfo, "postgres://", 11) != 0)
		return;
	parsed = PQconninfoParse(conninfo, &errmsg);
	if (parsed == NULL)
	{
		char	   *nl;

		if (errmsg == NULL)
			usage_error("could not parse the connection string: out of memory");
		/* libpq's message ends with a newline */
		if ((nl = strrchr(errmsg, '\n')) != NULL && nl[1] == '\0')
			*nl = '\0';
		usage_error("invalid connection string: %s", errmsg);
	}
	PQconninfoFree(parsed);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"consumer", required_argument, NULL, 'c'},
		{"cursor-file", required_argument, NULL, 'f'},
		{"exec", required_argument, NULL, 'e'},
		{"channel", required_argument, NULL, 1},
		{"poll-interval", required_argument, NULL, 2},
		{"batch-size", required_argument, NULL, 3},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	bool		any_channel = false;
	int			c;
	long		v;

	opts.poll_ms = DEFAULT_POLL_MS;
	opts.batch = DEFAULT_BATCH;
	opterr = 0;					/* our own messages */

	while ((c = getopt_long(argc, argv, ":d:c:f:e:h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				check_conninfo(optarg);
				opts.conninfo = optarg;
				break;
			case 'c':
				if (optarg[0] == '\0')
					usage_error("the consumer name must not be empty");
				opts.consumer = optarg;
				break;
			case 'f':
				if (optarg[0] == '\0')
					usage_error("the cursor file name must not be empty");
				opts.cursor_file = optarg;
				break;
			case 'e':
				if (optarg[0] == '\0')
					usage_error("the command must not be empty");
				opts.exec_command = optarg;
				break;
			case 1:
				{
					int			i;

					for (i = 0; i < NCHANNELS; i++)
						if (strcmp(optarg, all_channels[i]) == 0)
							break;
					if (i == NCHANNELS)
						usage_error("unrecognized channel \"%s\" (the channels are maintenance_signal, maintenance_hook and maintenance_notification)",
									optarg);
					opts.channel_wanted[i] = true;
					any_channel = true;
				}
				break;
			case 2:
				if (!parse_int(optarg, 1, 3600, &v))
					usage_error("invalid poll interval \"%s\" (a whole number of seconds from 1 to 3600)", optarg);
				opts.poll_ms = (int) v * 1000;
				break;
			case 3:
				if (!parse_int(optarg, 1, 100000, &v))
					usage_error("invalid batch size \"%s\" (a number from 1 to 100000)", optarg);
				opts.batch = (int) v;
				break;
			case 'h':
				usage();
				exit(EXIT_OK);
			case ':':
				usage_error("option \"%s\" needs an argument", argv[optind - 1]);
			case '?':
			default:
				if (strncmp(argv[optind - 1], "--help=", 7) == 0)
					usage_error("option \"--help\" does not take an argument");
				if (strncmp(argv[optind - 1], "--", 2) == 0 || optopt == 0)
					usage_error("unrecognized option \"%s\"", argv[optind - 1]);
				usage_error("unrecognized option \"-%c\"", optopt);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);

	if (!any_channel)
		for (int i = 0; i < NCHANNELS; i++)
			opts.channel_wanted[i] = true;
}

/* -------------------------------------------------------------- signals */

static void
handle_stop(int signo)
{
	int			save_errno = errno;

	(void) signo;
	stop_requested = 1;
	if (replay_running && replay_cancel != NULL)
	{
		char		errbuf[256];

		(void) PQcancel(replay_cancel, errbuf, sizeof(errbuf));
	}
	errno = save_errno;
}

/* Set or clear replay_cancel with the stop signals blocked. */
static void
set_replay_cancel(PGconn *conn)
{
	sigset_t	block;
	sigset_t	old;
	PGcancel   *previous;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	previous = replay_cancel;
	replay_cancel = conn != NULL ? PQgetCancel(conn) : NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (previous != NULL)
		PQfreeCancel(previous);
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handle_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;			/* no SA_RESTART: interrupt waits */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* A command that does not read its input must not kill us. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Sleep ms milliseconds, or less if a stop is requested.  Returns false if
 * a stop was requested.
 */
static bool
sleep_ms(int ms)
{
	struct timespec deadline;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L)
	{
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	while (!stop_requested)
	{
		long		left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long) (deadline.tv_sec - now.tv_sec) * 1000L +
			(deadline.tv_nsec - now.tv_nsec) / 1000000L;
		if (left <= 0)
			return true;
		(void) poll(NULL, 0, (int) left);	/* EINTR on a signal */
	}
	return false;
}

static int
next_backoff(int ms)
{
	return ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : ms * 2;
}

/* --------------------------------------------------------------- cursor */

/* The cursor file: one line, the id.  Missing means 0. */
static void
load_cursor_file(void)
{
	FILE	   *f;
	char		line[64];
	int64_t		id;

	f = fopen(opts.cursor_file, "r");
	if (f == NULL)
	{
		if (errno == ENOENT)
			return;
		fatal("could not open cursor file \"%s\": %s", opts.cursor_file, strerror(errno));
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	if (!parse_id(line, &id))
		fatal("cursor file \"%s\" does not hold an event id", opts.cursor_file);
	cursor_id = id;
	stored_file_id = id;
}

/* Make a rename in the directory of path durable. */
static void
fsync_parent_directory(const char *path)
{
	char		dir[PATH_MAX];
	char	   *slash;
	int			fd;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int) sizeof(dir))
		fatal("cursor file name \"%s\" is too long", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		fatal("could not open directory \"%s\": %s", dir, strerror(errno));
	if (fsync(fd) != 0)
		fatal("could not fsync directory \"%s\": %s", dir, strerror(errno));
	close(fd);
}

/* Replace the cursor file atomically: write a temporary file, then rename. */
static void
store_cursor_file(void)
{
	char		tmp[PATH_MAX];
	char		text[32];
	int			fd;
	int			len;

	if (opts.cursor_file == NULL || stored_file_id == cursor_id)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", opts.cursor_file) >= (int) sizeof(tmp))
		fatal("cursor file name \"%s\" is too long", opts.cursor_file);
	len = snprintf(text, sizeof(text), "%" PRId64 "\n", cursor_id);

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fatal("could not create \"%s\": %s", tmp, strerror(errno));
	if (write(fd, text, (size_t) len) != len)
		fatal("could not write \"%s\": %s", tmp, strerror(errno));
	if (fsync(fd) != 0)
		fatal("could not fsync \"%s\": %s", tmp, strerror(errno));
	if (close(fd) != 0)
		fatal("could not close \"%s\": %s", tmp, strerror(errno));
	if (rename(tmp, opts.cursor_file) != 0)
		fatal("could not rename \"%s\" to \"%s\": %s", tmp, opts.cursor_file, strerror(errno));
	fsync_parent_directory(opts.cursor_file);
	stored_file_id = cursor_id;
}

/* ------------------------------------------------------------- database */

static PGresult *
exec_params(PGconn *conn, const char *sql, int nparams, const char *const *values)
{
	return PQexecParams(conn, sql, nparams, NULL, values, NULL, NULL, 0);
}

/* Acknowledge the cursor to the server; false if the connection failed. */
static bool
ack_cursor(PGconn *conn, int64_t *acked)
{
	char		id[32];
	const char *values[2];
	PGresult   *res;
	bool		ok;

	if (opts.consumer == NULL || *acked >= cursor_id)
		return true;
	snprintf(id, sizeof(id), "%" PRId64, cursor_id);
	values[0] = opts.consumer;
	values[1] = id;
	res = exec_params(conn, "SELECT maintenance.ack_events($1, $2::pg_catalog.int8)", 2, values);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (ok)
		*acked = cursor_id;
	else
		log_msg("could not acknowledge event %" PRId64 ": %s", cursor_id, pq_error(conn));
	PQclear(res);
	return ok;
}

/*
 * A cursor above the last id this server has handed out comes from another
 * history: the events after that id were lost (a standby promoted before it
 * had received them, with asynchronous replication; a restore).  The server
 * hands those ids out again, to new events, which a replay after the cursor
 * would skip without a word: go back to the server's last id, and say so.
 * Needs SELECT or USAGE on the id sequence; without it nothing is checked.
 * False if the query failed (the connection is then given up).
 */
static bool
rewind_cursor_ahead_of_server(PGconn *conn)
{
	PGresult   *res;
	int64_t		last_id = 0;

	res = PQexec(conn,
				 "SELECT COALESCE(pg_catalog.pg_sequence_last_value("
				 "'maintenance.events_id_seq'::pg_catalog.regclass), 0)"
				 " WHERE pg_catalog.has_sequence_privilege("
				 "'maintenance.events_id_seq', 'SELECT, USAGE')");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		log_msg("could not read the last event id: %s", pq_error(conn));
		PQclear(res);
		return false;
	}
	if (PQntuples(res) == 1 && parse_id(PQgetvalue(res, 0, 0), &last_id) &&
		cursor_id > last_id)
	{
		log_msg("cursor %" PRId64 " is ahead of the server's last event id %" PRId64
				": the events after %" PRId64 " were lost (a standby promoted without them, or a restore)"
				" and their ids will be used again; continuing after %" PRId64,
				cursor_id, last_id, last_id, last_id);
		cursor_id = last_id;
		store_cursor_file();
	}
	PQclear(res);
	return true;
}

/* Connect, LISTEN, register the consumer.  NULL on failure (logged). */
static PGconn *
open_session(int64_t *acked)
{
	const char *keywords[] = {"dbname", "fallback_application_name", NULL};
	const char *values[] = {opts.conninfo, PROGNAME, NULL};
	PGconn	   *conn;
	PGresult   *res;
	char		sql[256];

	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		log_msg("could not connect: %s", conn ? pq_error(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_processor, NULL);

	/*
	 * What a role's or database's settings could change under us: the JSON
	 * lines are UTF-8 whatever PGCLIENTENCODING says, and replay_events()
	 * needs READ COMMITTED.
	 */
	if (PQsetClientEncoding(conn, "UTF8") != 0)
	{
		log_msg("could not set the client encoding to UTF8: %s", pq_error(conn));
		PQfinish(conn);
		return NULL;
	}
	res = PQexec(conn, "SET default_transaction_isolation = 'read committed'");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		log_msg("could not set the isolation level: %s", pq_error(conn));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);

	/* LISTEN first: whatever commits after the replay below wakes us. */
	for (int i = 0; i < NCHANNELS; i++)
	{
		if (!opts.channel_wanted[i])
			continue;
		snprintf(sql, sizeof(sql), "LISTEN %s", all_channels[i]);
		res = PQexec(conn, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			log_msg("could not listen on %s: %s", all_channels[i], pq_error(conn));
			PQclear(res);
			PQfinish(conn);
			return NULL;
		}
		PQclear(res);
	}

	if (opts.consumer != NULL)
	{
		const char *params[1] = {opts.consumer};
		int64_t		server_id;

		res = exec_params(conn,
						  "SELECT last_event_id FROM maintenance.register_consumer($1)",
						  1, params);
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
			!parse_id(PQgetvalue(res, 0, 0), &server_id))
		{
			log_msg("could not register consumer \"%s\": %s", opts.consumer, pq_error(conn));
			PQclear(res);
			PQfinish(conn);
			return NULL;
		}
		PQclear(res);
		*acked = server_id;
		if (server_id > cursor_id)
			cursor_id = server_id;
		store_cursor_file();
	}
	if (!rewind_cursor_ahead_of_server(conn))
	{
		PQfinish(conn);
		return NULL;
	}
	set_replay_cancel(conn);
	return conn;
}

static void
close_session(PGconn *conn)
{
	set_replay_cancel(NULL);
	PQfinish(conn);
}

/* ------------------------------------------------------------- delivery */

/*
 * Run the --exec command with json on its standard input.  Returns its
 * exit status (0 = success), or -1 if it could not be run.
 */
static int
run_command(const char *json, const char *id, const char *channel)
{
	int			pipefd[2];
	pid_t		pid;
	int			status;
	size_t		len = strlen(json);
	size_t		off = 0;

	if (pipe(pipefd) != 0)
	{
		log_msg("could not create a pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
	{
		log_msg("could not fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0)
	{
		struct sigaction sa;

		/* The command gets default signal handling back. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGPIPE, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);

		close(pipefd[1]);
		if (dup2(pipefd[0], STDIN_FILENO) < 0)
			_exit(126);
		close(pipefd[0]);
		setenv("MAINTENANCE_EVENT_ID", id, 1);
		setenv("MAINTENANCE_EVENT_CHANNEL", channel, 1);
		execl("/bin/sh", "sh", "-c", opts.exec_command, (char *) NULL);
		_exit(127);
	}

	close(pipefd[0]);
	while (off < len + 1)
	{
		/* the JSON, then a newline */
		ssize_t		n = off < len ? write(pipefd[1], json + off, len - off)
			: write(pipefd[1], "\n", 1);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			break;				/* EPIPE: the command does not read it all */
		}
		off += (size_t) n;
	}
	close(pipefd[1]);

	while (waitpid(pid, &status, 0) < 0)
	{
		if (errno != EINTR)
		{
			log_msg("could not wait for the command: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/*
 * Deliver one event.  Returns false only if a stop was requested while a
 * failing command was waiting for its retry: the event is then not
 * processed.
 */
static bool
deliver(const char *json, const char *id, const char *channel)
{
	int			delay = BACKOFF_FIRST_MS;

	if (opts.exec_command == NULL)
	{
		if (fputs(json, stdout) == EOF || fputc('\n', stdout) == EOF ||
			fflush(stdout) == EOF)
			fatal("could not write to standard output: %s", strerror(errno));
		return true;
	}

	for (;;)
	{
		int			rc = run_command(json, id, channel);

		if (rc == 0)
			return true;
		log_msg("command failed for event %s (status %d); retrying in %.1f s",
				id, rc, delay / 1000.0);
		if (!sleep_ms(delay))
			return false;
		delay = next_backoff(delay);
	}
}

static bool
channel_wanted(const char *channel)
{
	for (int i = 0; i < NCHANNELS; i++)
		if (strcmp(channel, all_channels[i]) == 0)
			return opts.channel_wanted[i];
	return false;
}

/*
 * Replay the events after the cursor until caught up (a batch shorter than
 * --batch-size), processing each.
 */
static Outcome
replay(PGconn *conn, int64_t *acked)
{
	for (;;)
	{
		char		after[32];
		char		limit[16];
		const char *values[2];
		PGresult   *res;
		int			n;

		if (stop_requested)
			return OUTCOME_STOP;

		snprintf(after, sizeof(after), "%" PRId64, cursor_id);
		snprintf(limit, sizeof(limit), "%d", opts.batch);
		values[0] = after;
		values[1] = limit;
		replay_running = 1;
		if (stop_requested)
		{
			replay_running = 0;
			return OUTCOME_STOP;
		}
		res = exec_params(conn,
						  "SELECT e.id, e.channel, maintenance.event_envelope(e)::pg_catalog.text"
						  " FROM maintenance.replay_events($1::pg_catalog.int8, $2::pg_catalog.int4) AS e"
						  " ORDER BY e.id",
						  2, values);
		replay_running = 0;
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			if (stop_requested)
			{
				PQclear(res);
				return OUTCOME_STOP;
			}
			log_msg("could not replay events: %s", pq_error(conn));
			PQclear(res);
			return OUTCOME_LOST;
		}

		n = PQntuples(res);
		for (int i = 0; i < n; i++)
		{
			const char *id_text = PQgetvalue(res, i, 0);
			const char *channel = PQgetvalue(res, i, 1);
			int64_t		id;

			if (!parse_id(id_text, &id))
			{
				log_msg("server sent an invalid event id \"%s\"", id_text);
				PQclear(res);
				return OUTCOME_LOST;
			}
			if (id <= cursor_id)
				continue;		/* cannot happen: replay starts after it */

			if (channel_wanted(channel))
			{
				if (!deliver(PQgetvalue(res, i, 2), id_text, channel))
				{
					PQclear(res);
					return OUTCOME_STOP;
				}
				cursor_id = id;
				store_cursor_file();
				if (!ack_cursor(conn, acked))
				{
					PQclear(res);
					return OUTCOME_LOST;
				}
			}
			else
				cursor_id = id; /* stored with the next event or below */

			if (stop_requested)
				break;			/* the current event is finished */
		}
		PQclear(res);

		/* Events skipped by --channel: store the cursor once per batch. */
		store_cursor_file();
		if (!ack_cursor(conn, acked))
			return OUTCOME_LOST;

		if (stop_requested)
			return OUTCOME_STOP;
		if (n < opts.batch)
			return OUTCOME_CAUGHT_UP;
	}
}

/*
 * Discard the notifications libpq holds; whether there were any.  They are
 * only wake-ups: replay reads the events.
 */
static bool
drain_notifications(PGconn *conn)
{
	PGnotify   *notify;
	bool		any = false;

	while ((notify = PQnotifies(conn)) != NULL)
	{
		PQfreemem(notify);
		any = true;
	}
	return any;
}

/*
 * Work on one connection: replay, then wait for a wake-up, repeatedly.
 * *healthy is set once a replay has caught up.
 */
static Outcome
run_session(PGconn *conn, int64_t *acked, bool *healthy)
{
	for (;;)
	{
		Outcome		outcome = replay(conn, acked);
		struct pollfd pfd;
		int			rc;

		if (outcome != OUTCOME_CAUGHT_UP)
			return outcome;
		*healthy = true;

		/*
		 * A notification read while a query ran waits in libpq, not on the
		 * socket: replay again now rather than after the poll interval.
		 */
		if (!PQconsumeInput(conn))
		{
			log_msg("lost the connection: %s", pq_error(conn));
			return OUTCOME_LOST;
		}
		if (drain_notifications(conn))
			continue;

		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return OUTCOME_LOST;
		rc = poll(&pfd, 1, opts.poll_ms);
		if (stop_requested)
			return OUTCOME_STOP;
		if (rc < 0 && errno != EINTR)
		{
			log_msg("could not wait for the server: %s", strerror(errno));
			return OUTCOME_LOST;
		}
		if (rc > 0)
		{
			if (!PQconsumeInput(conn))
			{
				log_msg("lost the connection: %s", pq_error(conn));
				return OUTCOME_LOST;
			}
			(void) drain_notifications(conn);
		}
		if (PQstatus(conn) == CONNECTION_BAD)
		{
			log_msg("lost the connection: %s", pq_error(conn));
			return OUTCOME_LOST;
		}
	}
}

int
main(int argc, char **argv)
{
	int			delay = BACKOFF_FIRST_MS;

	parse_args(argc, argv);
	install_signals();

	if (opts.cursor_file != NULL)
	{
		load_cursor_file();
		/* Fail now, not at the first event, if it cannot be written. */
		stored_file_id = -1;
		store_cursor_file();
	}

	while (!stop_requested)
	{
		int64_t		acked = 0;
		bool		healthy = false;
		PGconn	   *conn = open_session(&acked);
		Outcome		outcome;

		if (conn == NULL)
		{
			log_msg("retrying in %.1f s", delay / 1000.0);
			sleep_ms(delay);
			delay = next_backoff(delay);
			continue;
		}

		outcome = run_session(conn, &acked, &healthy);
		close_session(conn);
		if (outcome == OUTCOME_STOP || stop_requested)
			break;
		/* Back off from the start only after a session that worked. */
		if (healthy)
			delay = BACKOFF_FIRST_MS;

		log_msg("reconnecting in %.1f s", delay / 1000.0);
		sleep_ms(delay);
		delay = next_backoff(delay);
	}
	return EXIT_OK;
}
