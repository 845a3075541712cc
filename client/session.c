/*-------------------------------------------------------------------------
 *
 * session.c
 *	  maintenance-listen: the PostgreSQL session (connect, LISTEN, the named
 *	  consumer), the replay loop and the reconnection loop.
 *
 *	  A notification is only a wake-up: the events themselves are always
 *	  read through maintenance.replay_events(), which hands out ids in order
 *	  and only ids below which no event can still appear.  So the order and
 *	  "once" come from the cursor, and a truncated NOTIFY envelope never
 *	  matters, since replay returns whole payloads.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "listen.h"
#include "webhook.h"

/* libpq's messages end with a newline; ours do not. */
const char *
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
session_notice_processor(void *arg, const char *message)
{
	(void) arg;
	fprintf(stderr, "%s: server: %s", PROGNAME, message);
}

static PGresult *
session_exec(PGconn *conn, const char *sql, int nparams, const char *const *values)
{
	return PQexecParams(conn, sql, nparams, NULL, values, NULL, NULL, 0);
}

/* Run a statement that returns no rows; false (logged) if it failed. */
static bool
session_command(PGconn *conn, const char *sql, const char *what)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		log_msg("could not %s: %s", what, pq_error(conn));
	PQclear(res);
	return ok;
}

/* Acknowledge the cursor to the server; false if the connection failed. */
static bool
session_ack_cursor(PGconn *conn, int64_t *acked)
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
	res = session_exec(conn, "SELECT maintenance.ack_events($1, $2::pg_catalog.int8)", 2, values);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (ok)
		*acked = cursor_id;
	else
		log_msg("could not acknowledge event %" PRId64 ": %s", cursor_id, pq_error(conn));
	PQclear(res);
	return ok;
}

/* Register the named consumer; start after the higher of its cursor and ours. */
static bool
session_register_consumer(PGconn *conn, int64_t *acked)
{
	const char *params[1] = {opts.consumer};
	int64_t		server_id;
	PGresult   *res;

	res = session_exec(conn,
					   "SELECT last_event_id FROM maintenance.register_consumer($1)",
					   1, params);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		!parse_id(PQgetvalue(res, 0, 0), &server_id))
	{
		log_msg("could not register consumer \"%s\": %s", opts.consumer, pq_error(conn));
		PQclear(res);
		return false;
	}
	PQclear(res);
	*acked = server_id;
	if (server_id > cursor_id)
		cursor_id = server_id;
	store_cursor_file();
	return true;
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
session_rewind_cursor_ahead(PGconn *conn)
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

/* Everything a new connection needs before replay; false (logged) on failure. */
static bool
session_prepare(PGconn *conn, int64_t *acked, bool listen)
{
	char		sql[256];

	/*
	 * What a role's or database's settings could change under us: the JSON
	 * lines are UTF-8 whatever PGCLIENTENCODING says, and replay_events()
	 * needs READ COMMITTED.
	 */
	if (PQsetClientEncoding(conn, "UTF8") != 0)
	{
		log_msg("could not set the client encoding to UTF8: %s", pq_error(conn));
		return false;
	}
	if (!session_command(conn, "SET default_transaction_isolation = 'read committed'",
						 "set the isolation level"))
		return false;

	/* LISTEN first: whatever commits after the replay below wakes us. */
	for (int i = 0; listen && i < NCHANNELS; i++)
	{
		if (!opts.channel_wanted[i])
			continue;
		snprintf(sql, sizeof(sql), "LISTEN %s", all_channels[i]);
		if (!session_command(conn, sql, "listen"))
			return false;
	}
	if (opts.consumer != NULL && !session_register_consumer(conn, acked))
		return false;
	if (!session_rewind_cursor_ahead(conn))
		return false;
	return opts.webhook_url == NULL || webhook_session_start(conn);
}

/* Connect and prepare the session.  NULL on failure (logged). */
PGconn *
open_session(int64_t *acked, bool listen)
{
	const char *keywords[] = {"dbname", "fallback_application_name", NULL};
	const char *values[] = {opts.conninfo, PROGNAME, NULL};
	PGconn	   *conn;

	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		log_msg("could not connect: %s", conn ? pq_error(conn) : "out of memory");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, session_notice_processor, NULL);
	if (!session_prepare(conn, acked, listen))
	{
		PQfinish(conn);
		return NULL;
	}
	set_replay_cancel(conn);
	return conn;
}

void
close_session(PGconn *conn)
{
	set_replay_cancel(NULL);
	PQfinish(conn);
}

static bool
session_channel_wanted(const char *channel)
{
	for (int i = 0; i < NCHANNELS; i++)
		if (strcmp(channel, all_channels[i]) == 0)
			return opts.channel_wanted[i];
	return false;
}

/*
 * When the cursor is stored.  A line on standard output costs a write;
 * storing the cursor (an fsync'd file, a round trip to the server) costs
 * far more, and done for every event or every notification it put its
 * time in front of the next event's line (BENCHMARKS.md).  So for standard
 * output it is stored once the client is idle (SESSION_IDLE_STORE_MS
 * without a notification), after every full batch, and at least every
 * SESSION_BUSY_STORE_MS under a steady stream; always after the lines it
 * covers were flushed, so a crash can deliver events again but never skip
 * one.  A command or a webhook costs more than the store: there every event
 * is stored, and at most the last one is redelivered.
 */
#define SESSION_IDLE_STORE_MS	10
#define SESSION_BUSY_STORE_MS	1000

static int64_t session_stored_at = 0;	/* monotonic_ms() of the last store */

static bool
session_stores_per_event(void)
{
	return opts.webhook_url != NULL || opts.exec_command != NULL;
}

/* Store the cursor (file and server); false if the connection failed. */
static bool
session_store_cursor(PGconn *conn, int64_t *acked)
{
	session_stored_at = monotonic_ms();
	store_cursor_file();
	return session_ack_cursor(conn, acked);
}

/* Whether the cursor moved since it was last stored. */
static bool
session_cursor_unstored(const int64_t *acked)
{
	return cursor_stored() != cursor_id ||
		(opts.consumer != NULL && *acked < cursor_id);
}

/*
 * Process one event of the wanted channels: deliver it (or record the
 * failure of its last attempt), then move and store the cursor.
 */
static Outcome
session_process(PGconn *conn, int64_t id, const char *json, const char *channel,
				int64_t *acked)
{
	Delivery	d;

	/* Its attempts already failed, but the record did not reach the server. */
	d = webhook_failure_pending(id) ? DELIVERY_FAILED : deliver(id, json, channel);
	if (d == DELIVERY_STOPPED)
		return OUTCOME_STOP;
	if (d == DELIVERY_GONE)
		return OUTCOME_GONE;
	if (d == DELIVERY_FAILED && !webhook_record_failure(conn, id))
		return OUTCOME_LOST;
	cursor_id = id;
	if (!session_stores_per_event())
		return OUTCOME_CAUGHT_UP;	/* stored later: see above */
	return session_store_cursor(conn, acked) ? OUTCOME_CAUGHT_UP : OUTCOME_LOST;
}

/* Read one batch of events after the cursor; NULL (logged or stopping) if not. */
static PGresult *
session_read_batch(PGconn *conn)
{
	char		after[32];
	char		limit[16];
	const char *values[2];
	PGresult   *res;

	snprintf(after, sizeof(after), "%" PRId64, cursor_id);
	snprintf(limit, sizeof(limit), "%d", opts.batch);
	values[0] = after;
	values[1] = limit;
	replay_running = 1;
	if (stop_requested)
	{
		replay_running = 0;
		return NULL;
	}
	res = session_exec(conn,
					   "SELECT e.id, e.channel, maintenance.event_envelope(e)::pg_catalog.text"
					   " FROM maintenance.replay_events($1::pg_catalog.int8, $2::pg_catalog.int4) AS e"
					   " ORDER BY e.id",
					   2, values);
	replay_running = 0;
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	if (!stop_requested)
		log_msg("could not replay events: %s", pq_error(conn));
	PQclear(res);
	return NULL;
}

/* Process the rows of one batch; OUTCOME_CAUGHT_UP when all were. */
static Outcome
session_process_batch(PGconn *conn, PGresult *res, int64_t *acked)
{
	int			n = PQntuples(res);

	for (int i = 0; i < n; i++)
	{
		const char *id_text = PQgetvalue(res, i, 0);
		const char *channel = PQgetvalue(res, i, 1);
		int64_t		id;

		if (!parse_id(id_text, &id))
		{
			log_msg("server sent an invalid event id \"%s\"", id_text);
			return OUTCOME_LOST;
		}
		if (id <= cursor_id)
			continue;			/* cannot happen: replay starts after it */

		if (session_channel_wanted(channel))
		{
			Outcome		outcome = session_process(conn, id, PQgetvalue(res, i, 2),
												  channel, acked);

			if (outcome != OUTCOME_CAUGHT_UP)
				return outcome;
		}
		else
			cursor_id = id;		/* stored by session_replay() */

		if (stop_requested)
			break;				/* the current event is finished */
	}
	return OUTCOME_CAUGHT_UP;
}

/*
 * Replay the events after the cursor until caught up (a batch shorter than
 * --batch-size), processing each.
 */
static Outcome
session_replay(PGconn *conn, int64_t *acked)
{
	for (;;)
	{
		PGresult   *res;
		Outcome		outcome;
		int			n;

		if (stop_requested)
			return OUTCOME_STOP;
		res = session_read_batch(conn);
		if (res == NULL)
			return stop_requested ? OUTCOME_STOP : OUTCOME_LOST;
		n = PQntuples(res);
		outcome = session_process_batch(conn, res, acked);
		PQclear(res);

		if (outcome != OUTCOME_CAUGHT_UP)
			return outcome;		/* run_listener() stores the cursor */

		/* A full batch, or busy for a while: store it now (see above). */
		if ((n >= opts.batch ||
			 monotonic_ms() - session_stored_at >= SESSION_BUSY_STORE_MS) &&
			!session_store_cursor(conn, acked))
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
session_drain_notifications(PGconn *conn)
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

static bool
session_consume_input(PGconn *conn)
{
	if (PQconsumeInput(conn))
		return true;
	log_msg("lost the connection: %s", pq_error(conn));
	return false;
}

/*
 * Work on one connection: replay, then wait for a wake-up, repeatedly.
 * *healthy is set once a replay has caught up.
 */
static Outcome
session_run(PGconn *conn, int64_t *acked, bool *healthy)
{
	for (;;)
	{
		Outcome		outcome = session_replay(conn, acked);
		struct pollfd pfd;
		bool		unstored;
		int			rc;

		if (outcome != OUTCOME_CAUGHT_UP)
			return outcome;
		*healthy = true;

		/*
		 * A notification read while a query ran waits in libpq, not on the
		 * socket: replay again now rather than after the poll interval.
		 */
		if (!session_consume_input(conn))
			return OUTCOME_LOST;
		if (session_drain_notifications(conn))
			continue;

		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return OUTCOME_LOST;
		unstored = session_cursor_unstored(acked);
		rc = poll(&pfd, 1, unstored ? SESSION_IDLE_STORE_MS : opts.poll_ms);
		if (stop_requested)
			return OUTCOME_STOP;
		if (rc < 0 && errno != EINTR)
		{
			log_msg("could not wait for the server: %s", strerror(errno));
			return OUTCOME_LOST;
		}
		if (rc == 0 && unstored)
		{
			/* idle: store it, then wait the whole poll interval */
			if (!session_store_cursor(conn, acked))
				return OUTCOME_LOST;
			continue;
		}
		if (rc > 0)
		{
			if (!session_consume_input(conn))
				return OUTCOME_LOST;
			(void) session_drain_notifications(conn);
		}
		if (PQstatus(conn) == CONNECTION_BAD)
		{
			log_msg("lost the connection: %s", pq_error(conn));
			return OUTCOME_LOST;
		}
	}
}

/* Connect, work, reconnect with backoff, until a stop; the exit status. */
int
run_listener(void)
{
	int			delay = BACKOFF_FIRST_MS;

	while (!stop_requested)
	{
		int64_t		acked = 0;
		bool		healthy = false;
		PGconn	   *conn = open_session(&acked, true);
		Outcome		outcome;

		if (conn == NULL)
		{
			log_msg("retrying in %.1f s", delay / 1000.0);
			sleep_ms(delay);
			delay = next_backoff(delay);
			continue;
		}

		outcome = session_run(conn, &acked, &healthy);
		/* every line delivered is flushed: store what the session left */
		if (outcome == OUTCOME_STOP || outcome == OUTCOME_GONE)
			(void) session_store_cursor(conn, &acked);
		else
			store_cursor_file();
		close_session(conn);
		if (outcome == OUTCOME_GONE)
			return EXIT_GONE;
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
