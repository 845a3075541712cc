/*-------------------------------------------------------------------------
 *
 * failures.c
 *	  maintenance-listen --webhook: events whose every attempt failed are
 *	  recorded in maintenance.webhook_failures (through
 *	  maintenance.record_webhook_failure()) before the cursor moves past
 *	  them; --retry-failed delivers them again.
 *
 *	  If the record cannot be written (the connection is lost), the failure
 *	  stays pending in memory: after the reconnection the same event comes
 *	  first again and is recorded without being sent again.
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

/* A failure whose record has not reached the server yet */
static WebhookFailure failures_pending;

bool
webhook_failure_pending(int64_t id)
{
	return failures_pending.event_id != 0 && failures_pending.event_id == id;
}

bool
webhook_record_failure(PGconn *conn, int64_t id)
{
	char		event_id[32];
	char		attempts[16];
	char		status[16];
	const char *values[5];
	PGresult   *res;
	bool		ok;

	if (!webhook_failure_pending(id))
		failures_pending = *webhook_last_failure();
	snprintf(event_id, sizeof(event_id), "%" PRId64, id);
	snprintf(attempts, sizeof(attempts), "%d", failures_pending.attempts);
	snprintf(status, sizeof(status), "%ld", failures_pending.last_status);
	values[0] = event_id;
	values[1] = webhook_recorded_url();
	values[2] = attempts;
	values[3] = failures_pending.last_status > 0 ? status : NULL;
	values[4] = failures_pending.last_error;
	res = PQexecParams(conn,
					   "SELECT maintenance.record_webhook_failure($1::pg_catalog.int8, $2,"
					   " $3::pg_catalog.int4, $4::pg_catalog.int4, $5)",
					   5, NULL, values, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (ok)
	{
		log_msg("event %" PRId64 " recorded in maintenance.webhook_failures", id);
		memset(&failures_pending, 0, sizeof(failures_pending));
	}
	else
		log_msg("could not record the failure of event %" PRId64 ": %s", id, pq_error(conn));
	PQclear(res);
	return ok;
}

/* Forget the record of an event now delivered; exits if that fails. */
static void
failures_resolve(PGconn *conn, const char *event_id)
{
	const char *values[2] = {event_id, webhook_recorded_url()};
	PGresult   *res = PQexecParams(conn,
								   "SELECT maintenance.resolve_webhook_failure($1::pg_catalog.int8, $2)",
								   2, NULL, values, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fatal("could not resolve the failure of event %s: %s", event_id, pq_error(conn));
	PQclear(res);
}

/*
 * Deliver one recorded event again: resolved when delivered, recorded again
 * (its attempts added, *failed set) when not.  OUTCOME_CAUGHT_UP to go on.
 */
static Outcome
failures_retry_one(PGconn *conn, const char *event_id, const char *json, bool *failed)
{
	int64_t		id;

	if (!parse_id(event_id, &id))
		fatal("server sent an invalid event id \"%s\"", event_id);
	if (json == NULL)
	{
		log_msg("event %s is no longer retained in maintenance.events; its record stays", event_id);
		*failed = true;
		return OUTCOME_CAUGHT_UP;
	}
	switch (webhook_deliver(id, json))
	{
		case DELIVERY_DONE:
			failures_resolve(conn, event_id);
			log_msg("event %s delivered", event_id);
			return OUTCOME_CAUGHT_UP;
		case DELIVERY_FAILED:
			if (!webhook_record_failure(conn, id))
				fatal("could not record the failure of event %s", event_id);
			*failed = true;
			return OUTCOME_CAUGHT_UP;
		case DELIVERY_GONE:
			return OUTCOME_GONE;
		case DELIVERY_STOPPED:
			break;
	}
	return OUTCOME_STOP;
}

/*
 * --retry-failed: deliver the recorded failures of this URL in event id
 * order, once each (with the usual retries), then exit: 0 when all were
 * delivered, 1 when some are still failed, 3 on 410 Gone.
 */
int
webhook_retry_failed(void)
{
	int64_t		acked = 0;
	PGconn	   *conn = open_session(&acked, false);
	const char *values[1] = {webhook_recorded_url()};
	PGresult   *res;
	Outcome		outcome = OUTCOME_CAUGHT_UP;
	bool		failed = false;
	int			n;

	if (conn == NULL)
		fatal("could not connect to retry the recorded failures");
	res = PQexecParams(conn,
					   "SELECT f.event_id, maintenance.get_event(f.event_id)::pg_catalog.text"
					   " FROM maintenance.list_webhook_failures($1) AS f ORDER BY f.event_id",
					   1, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fatal("could not read the recorded failures: %s", pq_error(conn));
	n = PQntuples(res);
	log_msg("%d recorded failure%s to retry", n, n == 1 ? "" : "s");
	for (int i = 0; i < n && outcome == OUTCOME_CAUGHT_UP; i++)
		outcome = failures_retry_one(conn, PQgetvalue(res, i, 0),
									 PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1),
									 &failed);
	PQclear(res);
	close_session(conn);
	if (outcome == OUTCOME_GONE)
		return EXIT_GONE;
	return failed || outcome == OUTCOME_STOP ? EXIT_FAILURE_ : EXIT_OK;
}
