/*-------------------------------------------------------------------------
 *
 * listen.h
 *	  What the modules of maintenance-listen share: the options, the cursor,
 *	  the stop flag, logging and the outcomes of a stretch of work.
 *
 *	  Modules: options.c (arguments, --help), runtime.c (logging, signals,
 *	  interruptible sleeps), cursor.c (the cursor file), session.c (the
 *	  PostgreSQL session and the replay loop), deliver.c (standard output
 *	  and --exec), webhook.c (signed webhooks: attempts and retries),
 *	  sign.c (secrets and signatures, OpenSSL), failures.c (the record of
 *	  failed events, --retry-failed), http.c (libcurl).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#define PROGNAME "maintenance-listen"

/* Exit statuses */
#define EXIT_OK			0
#define EXIT_FAILURE_	1
#define EXIT_USAGE		2
#define EXIT_GONE		3		/* the webhook endpoint answered 410 Gone */

/* Reconnection and --exec retries */
#define BACKOFF_FIRST_MS	500
#define BACKOFF_MAX_MS		30000

#define NCHANNELS 3
extern const char *const all_channels[NCHANNELS];

typedef struct Options
{
	const char *conninfo;		/* NULL: libpq's defaults (PG* variables) */
	const char *consumer;
	const char *cursor_file;
	const char *exec_command;
	bool		channel_wanted[NCHANNELS];	/* all true unless --channel */
	int			poll_ms;
	int			batch;

	/* --webhook */
	const char *webhook_url;
	const char *webhook_secret_file;
	int			webhook_timeout_ms;
	int			webhook_attempts;	/* attempts per event, first included */
	int			webhook_backoff_first_ms;
	int			webhook_backoff_max_ms;
	int			webhook_max_elapsed_ms; /* bound on the retries of one event */
	bool		retry_failed;	/* deliver recorded failures, then exit */
} Options;

/* How a stretch of work ended. */
typedef enum Outcome
{
	OUTCOME_CAUGHT_UP,			/* replay: no more events for now */
	OUTCOME_STOP,				/* SIGINT or SIGTERM: exit */
	OUTCOME_LOST,				/* connection or query failed: reconnect */
	OUTCOME_GONE				/* the webhook endpoint answered 410: exit */
} Outcome;

/* The result of handing one event to its destination. */
typedef enum Delivery
{
	DELIVERY_DONE,				/* delivered: move the cursor */
	DELIVERY_FAILED,			/* webhook: every attempt failed; record it */
	DELIVERY_STOPPED,			/* a stop was requested: not processed */
	DELIVERY_GONE				/* webhook: 410, not processed */
} Delivery;

extern Options opts;
extern int64_t cursor_id;		/* id of the last event processed */
extern volatile sig_atomic_t stop_requested;
extern volatile sig_atomic_t replay_running;	/* a replay query runs */

/* runtime.c */
extern void log_msg(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void fatal(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));
extern void install_signals(void);
extern void set_replay_cancel(PGconn *conn);
extern bool sleep_ms(int ms);
extern int	next_backoff(int ms);
extern int64_t monotonic_ms(void);

/* options.c */
extern void parse_args(int argc, char **argv);
extern bool parse_id(const char *s, int64_t *out);

/* cursor.c */
extern void load_cursor_file(void);
extern void store_cursor_file(void);
extern int64_t cursor_stored(void);
extern void check_cursor_file(void);

/* deliver.c */
extern void deliver_start(void);
extern void deliver_finish(void);
extern Delivery deliver(int64_t id, const char *json, const char *channel);

/* session.c */
extern int	run_listener(void);

#endif							/* LISTEN_H */
