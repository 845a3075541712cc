/*-------------------------------------------------------------------------
 *
 * webhook.c
 *	  maintenance-listen --webhook: deliver one event as a Standard Webhooks
 *	  POST, retried with exponential backoff and jitter.
 *
 *	  webhook-id is "evt_<system identifier>_<database oid>_<event id>":
 *	  the same for every attempt at an event (also after a restart of the
 *	  listener), different for every event of the database, and different
 *	  between databases and clusters; a promoted standby has the system
 *	  identifier and the events of its primary, so it gives an event the
 *	  id the primary gave it.
 *
 *	  An attempt succeeds on a 2xx answer within --webhook-timeout.  410
 *	  Gone stops delivery (the event is not processed).  Anything else is
 *	  retried: after Retry-After on 429 and 503 when the server sends it,
 *	  else after the backoff delay (x6 each time, +-20% jitter, at most
 *	  --webhook-backoff-max), as long as attempts are left and the retry
 *	  starts within --webhook-max-elapsed of the first attempt.
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "webhook.h"

#define WEBHOOK_BACKOFF_FACTOR	6
#define WEBHOOK_JITTER			0.2 /* a delay is multiplied by 1 +- this */
#define WEBHOOK_SOURCE_MAX		64

/* "<system identifier>_<database oid>" of the current session */
static char webhook_source[WEBHOOK_SOURCE_MAX] = "";
static char *webhook_url_recorded = NULL;	/* without credentials */
static WebhookFailure webhook_failure;

/* The outcome of one attempt. */
typedef enum AttemptOutcome
{
	ATTEMPT_DELIVERED,
	ATTEMPT_RETRY,
	ATTEMPT_GONE,
	ATTEMPT_STOPPED
} AttemptOutcome;

void
webhook_start(void)
{
	sign_load_secrets(opts.webhook_secret_file);
	webhook_url_recorded = http_redacted_url(opts.webhook_url);
	http_start(opts.webhook_timeout_ms);
	srandom((unsigned int) (time(NULL) ^ getpid()));
}

void
webhook_finish(void)
{
	http_finish();
	sign_forget_secrets();
	free(webhook_url_recorded);
	webhook_url_recorded = NULL;
}

const char *
webhook_recorded_url(void)
{
	return webhook_url_recorded;
}

const WebhookFailure *
webhook_last_failure(void)
{
	return &webhook_failure;
}

/* Read the identity of the database that names the events. */
bool
webhook_session_start(PGconn *conn)
{
	PGresult   *res = PQexec(conn,
							 "SELECT s.system_identifier, d.oid"
							 " FROM pg_catalog.pg_control_system() AS s,"
							 " pg_catalog.pg_database AS d"
							 " WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()");
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

	if (ok)
		snprintf(webhook_source, sizeof(webhook_source), "%s_%s",
				 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	else
		log_msg("could not read the identity of the database: %s", pq_error(conn));
	PQclear(res);
	return ok;
}

/* The delay after a failed attempt: the backoff with jitter. */
static int
webhook_jittered(int delay_ms)
{
	double		factor = 1.0 - WEBHOOK_JITTER +
		2.0 * WEBHOOK_JITTER * ((double) random() / ((double) RAND_MAX + 1.0));

	return (int) (delay_ms * factor);
}

static int
webhook_next_backoff(int delay_ms)
{
	if (delay_ms >= opts.webhook_backoff_max_ms / WEBHOOK_BACKOFF_FACTOR)
		return opts.webhook_backoff_max_ms;
	return delay_ms * WEBHOOK_BACKOFF_FACTOR;
}

/* Note why an attempt failed, for the log and the failure record. */
static void
webhook_note_failure(const HttpResult *r, int attempt)
{
	webhook_failure.attempts = attempt;
	webhook_failure.last_status = r->outcome == HTTP_ANSWERED ? r->status : 0;
	if (r->outcome == HTTP_ANSWERED)
		snprintf(webhook_failure.last_error, sizeof(webhook_failure.last_error),
				 "HTTP status %ld", r->status);
	else
		snprintf(webhook_failure.last_error, sizeof(webhook_failure.last_error),
				 "%s", r->error);
}

/* One POST of the event, signed for this attempt's timestamp. */
static AttemptOutcome
webhook_attempt(const char *msg_id, const char *json, HttpResult *r)
{
	char		timestamp[32];
	char		signature[SIGN_MAX_HEADER];
	char		h_id[128];
	char		h_timestamp[64];
	char		h_signature[SIGN_MAX_HEADER + 32];
	const char *headers[6];
	size_t		body_len = strlen(json);

	snprintf(timestamp, sizeof(timestamp), "%lld", (long long) time(NULL));
	sign_header(msg_id, timestamp, json, body_len, signature, sizeof(signature));
	snprintf(h_id, sizeof(h_id), "webhook-id: %s", msg_id);
	snprintf(h_timestamp, sizeof(h_timestamp), "webhook-timestamp: %s", timestamp);
	snprintf(h_signature, sizeof(h_signature), "webhook-signature: %s", signature);
	headers[0] = "Content-Type: application/json";
	headers[1] = h_id;
	headers[2] = h_timestamp;
	headers[3] = h_signature;
	headers[4] = "Expect:";		/* no 100-continue round trip */

	http_post(opts.webhook_url, headers, 5, json, body_len, r);
	if (r->outcome == HTTP_STOPPED)
		return ATTEMPT_STOPPED;
	if (r->outcome == HTTP_ANSWERED && r->status >= 200 && r->status <= 299)
		return ATTEMPT_DELIVERED;
	if (r->outcome == HTTP_ANSWERED && r->status == 410)
		return ATTEMPT_GONE;
	return ATTEMPT_RETRY;
}

/* How long to wait before the next attempt, from the answer and the backoff. */
static int64_t
webhook_wait_ms(const HttpResult *r, int delay_ms)
{
	if (r->outcome == HTTP_ANSWERED && (r->status == 429 || r->status == 503) &&
		r->retry_after_s >= 0)
		return (int64_t) r->retry_after_s * 1000;
	return webhook_jittered(delay_ms);
}

/*
 * Deliver one event: DELIVERY_DONE, DELIVERY_FAILED once no retry is left
 * (webhook_last_failure() says why), DELIVERY_GONE on 410, DELIVERY_STOPPED
 * on a stop request during an attempt or a wait.
 */
Delivery
webhook_deliver(int64_t id, const char *json)
{
	char		msg_id[WEBHOOK_SOURCE_MAX + 32];
	int64_t		deadline = monotonic_ms() + opts.webhook_max_elapsed_ms;
	int			delay = opts.webhook_backoff_first_ms;

	snprintf(msg_id, sizeof(msg_id), "evt_%s_%" PRId64, webhook_source, id);
	memset(&webhook_failure, 0, sizeof(webhook_failure));
	for (int attempt = 1;; attempt++)
	{
		HttpResult	r;
		int64_t		wait;

		switch (webhook_attempt(msg_id, json, &r))
		{
			case ATTEMPT_DELIVERED:
				return DELIVERY_DONE;
			case ATTEMPT_STOPPED:
				return DELIVERY_STOPPED;
			case ATTEMPT_GONE:
				log_msg("webhook endpoint answered 410 Gone for event %" PRId64 "; stopping delivery", id);
				return DELIVERY_GONE;
			case ATTEMPT_RETRY:
				break;
		}
		webhook_note_failure(&r, attempt);
		wait = webhook_wait_ms(&r, delay);
		if (attempt >= opts.webhook_attempts || monotonic_ms() + wait > deadline)
		{
			log_msg("webhook attempt %d for event %" PRId64 " failed (%s); giving up",
					attempt, id, webhook_failure.last_error);
			webhook_failure.event_id = id;
			return DELIVERY_FAILED;
		}
		log_msg("webhook attempt %d for event %" PRId64 " failed (%s); retrying in %.3f s",
				attempt, id, webhook_failure.last_error, wait / 1000.0);
		if (!sleep_ms((int) wait))
			return DELIVERY_STOPPED;
		delay = webhook_next_backoff(delay);
	}
}
