/*-------------------------------------------------------------------------
 *
 * webhook.h
 *	  maintenance-listen --webhook: Standard Webhooks delivery (webhook.c),
 *	  its secrets and signatures (sign.c), the record of failed
 *	  events (failures.c), and the HTTP client (http.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>

#include "listen.h"

#define WEBHOOK_ERROR_MAX	256
#define SIGN_MAX_HEADER		1024	/* the webhook-signature value */

/* Why the last attempt at an event failed: what is recorded. */
typedef struct WebhookFailure
{
	int64_t		event_id;		/* 0: none */
	int			attempts;
	long		last_status;	/* HTTP status, 0 if there was no answer */
	char		last_error[WEBHOOK_ERROR_MAX];
} WebhookFailure;

/* webhook.c */
extern void webhook_start(void);
extern void webhook_finish(void);
extern bool webhook_session_start(PGconn *conn);
extern Delivery webhook_deliver(int64_t id, const char *json);
extern const WebhookFailure *webhook_last_failure(void);
extern const char *webhook_recorded_url(void);

/* failures.c */
extern bool webhook_failure_pending(int64_t id);
extern bool webhook_record_failure(PGconn *conn, int64_t id);
extern int	webhook_retry_failed(void);

/* sign.c */
extern void sign_load_secrets(const char *path);
extern void sign_forget_secrets(void);
extern void sign_header(const char *msg_id, const char *timestamp,
						const char *body, size_t body_len,
						char *out, size_t out_size);

/* http.c: one easy handle, reused (keep-alive) */
typedef enum HttpOutcome
{
	HTTP_ANSWERED,				/* status holds the HTTP status */
	HTTP_FAILED,				/* no answer: error says why */
	HTTP_STOPPED				/* a stop was requested during the attempt */
} HttpOutcome;

typedef struct HttpResult
{
	HttpOutcome outcome;
	long		status;
	long		retry_after_s;	/* Retry-After in seconds, -1 if none */
	char		error[WEBHOOK_ERROR_MAX];
} HttpResult;

extern void http_start(int timeout_ms);
extern void http_finish(void);
extern void http_post(const char *url, const char *const *headers, int nheaders,
					  const char *body, size_t body_len, HttpResult *result);
extern char *http_redacted_url(const char *url);

/* session.c */
extern const char *pq_error(PGconn *conn);
extern PGconn *open_session(int64_t *acked, bool listen);
extern void close_session(PGconn *conn);

#endif							/* WEBHOOK_H */
