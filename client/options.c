/*-------------------------------------------------------------------------
 *
 * options.c
 *	  maintenance-listen: the command line and --help.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen.h"

#define DEFAULT_POLL_MS		5000
#define DEFAULT_BATCH		100

/* The webhook defaults: close to the Standard Webhooks schedule (doc/events.md "Webhooks") */
#define DEFAULT_WEBHOOK_TIMEOUT_MS		15000
#define DEFAULT_WEBHOOK_ATTEMPTS		8
#define DEFAULT_WEBHOOK_BACKOFF_MS		5000
#define DEFAULT_WEBHOOK_BACKOFF_MAX_MS	(10 * 3600 * 1000)
#define DEFAULT_WEBHOOK_MAX_ELAPSED_MS	(30 * 3600 * 1000)
#define MAX_SECONDS_MS					(7 * 24 * 3600 * 1000)

const char *const all_channels[NCHANNELS] = {
	"maintenance_signal",
	"maintenance_hook",
	"maintenance_notification",
};

Options		opts;

static void
options_usage(void)
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
		   "                             maintenance.ack_events() as the cursor file)\n"
		   "  -f, --cursor-file=PATH     keep the cursor in the file PATH, replaced\n"
		   "                             atomically (see Cursor below); created if missing\n"
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
		   "Webhooks (Standard Webhooks: signed POSTs of the event's JSON):\n"
		   "      --webhook=URL          POST every event to URL (http or https)\n"
		   "      --webhook-secret-file=PATH  the signing secrets, one whsec_<base64>\n"
		   "                             per line (required with --webhook)\n"
		   "      --webhook-timeout=SECS an attempt that takes longer fails (default: 15)\n"
		   "      --webhook-attempts=N   attempts per event, the first included (default: 8)\n"
		   "      --webhook-backoff=SECS delay before the first retry; each next one is\n"
		   "                             6 times longer, with +-20%% jitter (default: 5)\n"
		   "      --webhook-backoff-max=SECS  the longest delay (default: 36000)\n"
		   "      --webhook-max-elapsed=SECS  give up on an event once its retries would\n"
		   "                             end later than this after its first attempt\n"
		   "                             (default: 108000, 30 hours)\n"
		   "      --retry-failed         deliver the events recorded in\n"
		   "                             maintenance.webhook_failures for this URL, then exit\n"
		   "\n"
		   "Output: without --exec or --webhook, every event is one line of JSON on\n"
		   "standard output, the whole envelope {\"id\", \"channel\", \"name\", \"occurredAt\",\n"
		   "\"payload\"}.  With --exec, COMMAND gets that line on its standard input and the\n"
		   "variables MAINTENANCE_EVENT_ID and MAINTENANCE_EVENT_CHANNEL in its environment.\n"
		   "With --webhook, it is the body of the POST.  An event that fails every webhook\n"
		   "attempt is recorded with maintenance.record_webhook_failure(), then the cursor\n"
		   "moves past it.\n"
		   "\n"
		   "Cursor: the id of the last event processed.  With both --consumer and\n"
		   "--cursor-file, the client starts after the higher of the two.  With neither,\n"
		   "it starts from the first retained event.  An event is processed before its\n"
		   "cursor is stored: on standard output when idle for 10 ms, after every full\n"
		   "batch and at least every second; with --exec and --webhook after every\n"
		   "event.  So after a crash the events of the last second at most (the last\n"
		   "event with --exec, --webhook) may be delivered again; within a run, and\n"
		   "across clean exits, every event is delivered once.\n"
		   "\n"
		   "The client LISTENs on the channels, replays the events after its cursor with\n"
		   "maintenance.replay_events() until it has caught up, then replays again on\n"
		   "every notification and every poll interval.  When the server goes away it\n"
		   "reconnects with backoff (0.5 s, doubling up to 30 s) and replays from its\n"
		   "cursor; every failure to connect is retried so, a wrong password too.\n"
		   "SIGINT or SIGTERM: it finishes the current event (a replay query waiting\n"
		   "for a lock, a webhook attempt or its backoff is cancelled), then exits 0.\n"
		   "The session always uses UTF-8 and READ COMMITTED, whatever the environment,\n"
		   "role or database sets.\n"
		   "The connection's application_name defaults to \"%s\".\n"
		   "\n"
		   "Exit status: 0 after SIGINT or SIGTERM (or --retry-failed done), 1 on a fatal\n"
		   "error (an unreadable cursor file, standard output closed), 2 on bad arguments\n"
		   "(a connection string that cannot be parsed too), 3 when the webhook endpoint\n"
		   "answered 410 Gone (the cursor stays before that event).\n",
		   PROGNAME, PROGNAME, PROGNAME);
}

static void
options_error(const char *fmt,...)
__attribute__((format(printf, 1, 2), noreturn));

static void
options_error(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "%s: ", PROGNAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"%s --help\" for more information.\n", PROGNAME);
	exit(EXIT_USAGE);
}

static bool
options_parse_int(const char *s, long min, long max, long *out)
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

/* Seconds, fractions allowed ("0.05"), as milliseconds from min_ms to max_ms. */
static int
options_seconds(const char *name, const char *s, int min_ms, int max_ms)
{
	char	   *end;
	double		v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
		v * 1000.0 < min_ms || v * 1000.0 > max_ms)
		options_error("invalid %s \"%s\" (seconds from %g to %g)",
					  name, s, min_ms / 1000.0, max_ms / 1000.0);
	return (int) lround(v * 1000.0);
}

bool
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
options_check_conninfo(const char *conninfo)
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
			options_error("could not parse the connection string: out of memory");
		/* libpq's message ends with a newline */
		if ((nl = strrchr(errmsg, '\n')) != NULL && nl[1] == '\0')
			*nl = '\0';
		options_error("invalid connection string: %s", errmsg);
	}
	PQconninfoFree(parsed);
}

static void
options_set_channel(const char *channel)
{
	int			i;

	for (i = 0; i < NCHANNELS; i++)
		if (strcmp(channel, all_channels[i]) == 0)
			break;
	if (i == NCHANNELS)
		options_error("unrecognized channel \"%s\" (the channels are maintenance_signal, maintenance_hook and maintenance_notification)",
					  channel);
	opts.channel_wanted[i] = true;
}

static void
options_check_webhook(void)
{
	const char *url = opts.webhook_url;

	if (url == NULL)
	{
		if (opts.webhook_secret_file != NULL || opts.retry_failed)
			options_error("--webhook-secret-file and --retry-failed need --webhook");
		return;
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		options_error("invalid webhook URL (it must start with http:// or https://)");
	if (opts.webhook_secret_file == NULL)
		options_error("--webhook needs --webhook-secret-file (no webhook without a secret)");
	if (opts.exec_command != NULL)
		options_error("--webhook and --exec cannot be used together");
	if (opts.retry_failed && (opts.consumer != NULL || opts.cursor_file != NULL))
		options_error("--retry-failed takes no cursor (it reads maintenance.webhook_failures)");
	if (opts.webhook_backoff_max_ms < opts.webhook_backoff_first_ms)
		options_error("--webhook-backoff-max must not be shorter than --webhook-backoff");
}

enum
{
	OPT_CHANNEL = 1,
	OPT_POLL_INTERVAL,
	OPT_BATCH_SIZE,
	OPT_WEBHOOK,
	OPT_WEBHOOK_SECRET_FILE,
	OPT_WEBHOOK_TIMEOUT,
	OPT_WEBHOOK_ATTEMPTS,
	OPT_WEBHOOK_BACKOFF,
	OPT_WEBHOOK_BACKOFF_MAX,
	OPT_WEBHOOK_MAX_ELAPSED,
	OPT_RETRY_FAILED
};

static void
options_defaults(void)
{
	opts.poll_ms = DEFAULT_POLL_MS;
	opts.batch = DEFAULT_BATCH;
	opts.webhook_timeout_ms = DEFAULT_WEBHOOK_TIMEOUT_MS;
	opts.webhook_attempts = DEFAULT_WEBHOOK_ATTEMPTS;
	opts.webhook_backoff_first_ms = DEFAULT_WEBHOOK_BACKOFF_MS;
	opts.webhook_backoff_max_ms = DEFAULT_WEBHOOK_BACKOFF_MAX_MS;
	opts.webhook_max_elapsed_ms = DEFAULT_WEBHOOK_MAX_ELAPSED_MS;
}

void
parse_args(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"dbname", required_argument, NULL, 'd'},
		{"consumer", required_argument, NULL, 'c'},
		{"cursor-file", required_argument, NULL, 'f'},
		{"exec", required_argument, NULL, 'e'},
		{"channel", required_argument, NULL, OPT_CHANNEL},
		{"poll-interval", required_argument, NULL, OPT_POLL_INTERVAL},
		{"batch-size", required_argument, NULL, OPT_BATCH_SIZE},
		{"webhook", required_argument, NULL, OPT_WEBHOOK},
		{"webhook-secret-file", required_argument, NULL, OPT_WEBHOOK_SECRET_FILE},
		{"webhook-timeout", required_argument, NULL, OPT_WEBHOOK_TIMEOUT},
		{"webhook-attempts", required_argument, NULL, OPT_WEBHOOK_ATTEMPTS},
		{"webhook-backoff", required_argument, NULL, OPT_WEBHOOK_BACKOFF},
		{"webhook-backoff-max", required_argument, NULL, OPT_WEBHOOK_BACKOFF_MAX},
		{"webhook-max-elapsed", required_argument, NULL, OPT_WEBHOOK_MAX_ELAPSED},
		{"retry-failed", no_argument, NULL, OPT_RETRY_FAILED},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	bool		any_channel = false;
	int			c;
	long		v;

	options_defaults();
	opterr = 0;					/* our own messages */

	while ((c = getopt_long(argc, argv, ":d:c:f:e:h", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				options_check_conninfo(optarg);
				opts.conninfo = optarg;
				break;
			case 'c':
				if (optarg[0] == '\0')
					options_error("the consumer name must not be empty");
				opts.consumer = optarg;
				break;
			case 'f':
				if (optarg[0] == '\0')
					options_error("the cursor file name must not be empty");
				opts.cursor_file = optarg;
				break;
			case 'e':
				if (optarg[0] == '\0')
					options_error("the command must not be empty");
				opts.exec_command = optarg;
				break;
			case OPT_CHANNEL:
				options_set_channel(optarg);
				any_channel = true;
				break;
			case OPT_POLL_INTERVAL:
				if (!options_parse_int(optarg, 1, 3600, &v))
					options_error("invalid poll interval \"%s\" (a whole number of seconds from 1 to 3600)", optarg);
				opts.poll_ms = (int) v * 1000;
				break;
			case OPT_BATCH_SIZE:
				if (!options_parse_int(optarg, 1, 100000, &v))
					options_error("invalid batch size \"%s\" (a number from 1 to 100000)", optarg);
				opts.batch = (int) v;
				break;
			case OPT_WEBHOOK:
				opts.webhook_url = optarg;
				break;
			case OPT_WEBHOOK_SECRET_FILE:
				if (optarg[0] == '\0')
					options_error("the secret file name must not be empty");
				opts.webhook_secret_file = optarg;
				break;
			case OPT_WEBHOOK_TIMEOUT:
				opts.webhook_timeout_ms = options_seconds("webhook timeout", optarg, 10, 3600 * 1000);
				break;
			case OPT_WEBHOOK_ATTEMPTS:
				if (!options_parse_int(optarg, 1, 100, &v))
					options_error("invalid number of webhook attempts \"%s\" (a number from 1 to 100)", optarg);
				opts.webhook_attempts = (int) v;
				break;
			case OPT_WEBHOOK_BACKOFF:
				opts.webhook_backoff_first_ms = options_seconds("webhook backoff", optarg, 1, MAX_SECONDS_MS);
				break;
			case OPT_WEBHOOK_BACKOFF_MAX:
				opts.webhook_backoff_max_ms = options_seconds("longest webhook backoff", optarg, 1, MAX_SECONDS_MS);
				break;
			case OPT_WEBHOOK_MAX_ELAPSED:
				opts.webhook_max_elapsed_ms = options_seconds("webhook retry time", optarg, 0, MAX_SECONDS_MS);
				break;
			case OPT_RETRY_FAILED:
				opts.retry_failed = true;
				break;
			case 'h':
				options_usage();
				exit(EXIT_OK);
			case ':':
				options_error("option \"%s\" needs an argument", argv[optind - 1]);
			case '?':
			default:
				if (strncmp(argv[optind - 1], "--help=", 7) == 0)
					options_error("option \"--help\" does not take an argument");
				if (strncmp(argv[optind - 1], "--", 2) == 0 || optopt == 0)
					options_error("unrecognized option \"%s\"", argv[optind - 1]);
				options_error("unrecognized option \"-%c\"", optopt);
		}
	}
	if (optind < argc)
		options_error("unexpected argument \"%s\"", argv[optind]);
	options_check_webhook();

	if (!any_channel)
		for (int i = 0; i < NCHANNELS; i++)
			opts.channel_wanted[i] = true;
}
