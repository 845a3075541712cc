/*-------------------------------------------------------------------------
 *
 * http.c
 *	  maintenance-listen: the HTTP client, libcurl wrapped in one place.
 *
 *	  One easy handle for the whole run, so that its connection is reused
 *	  (keep-alive).  TLS certificates and host names are verified; HTTP/2 is
 *	  used when a TLS server offers it, HTTP/1.1 otherwise.  Only http and
 *	  https, no redirects.  A stop request aborts an attempt through the
 *	  transfer-progress callback.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "webhook.h"

static CURL *http_handle = NULL;

/* The answer's body is not used: read and dropped. */
static size_t
http_discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void) data;
	(void) arg;
	return size * nmemb;
}

/* Called while a transfer runs: a non-zero return aborts it. */
static int
http_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
			  curl_off_t ultotal, curl_off_t ulnow)
{
	(void) arg;
	(void) dltotal;
	(void) dlnow;
	(void) ultotal;
	(void) ulnow;
	return stop_requested ? 1 : 0;
}

static void
http_setopt_failed(const char *what)
{
	fatal("could not configure the HTTP client (%s)", what);
}

#define HTTP_SETOPT(option, value) \
	do { \
		if (curl_easy_setopt(http_handle, option, value) != CURLE_OK) \
			http_setopt_failed(#option); \
	} while (0)

void
http_start(int timeout_ms)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("could not initialize libcurl");
	http_handle = curl_easy_init();
	if (http_handle == NULL)
		fatal("could not create an HTTP handle: out of memory");

	HTTP_SETOPT(CURLOPT_NOSIGNAL, 1L);
	HTTP_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	HTTP_SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	HTTP_SETOPT(CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
	HTTP_SETOPT(CURLOPT_TIMEOUT_MS, (long) timeout_ms);
	HTTP_SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	HTTP_SETOPT(CURLOPT_USERAGENT, PROGNAME);
	HTTP_SETOPT(CURLOPT_WRITEFUNCTION, http_discard);
	HTTP_SETOPT(CURLOPT_NOPROGRESS, 0L);
	HTTP_SETOPT(CURLOPT_XFERINFOFUNCTION, http_progress);
}

void
http_finish(void)
{
	if (http_handle != NULL)
		curl_easy_cleanup(http_handle);
	http_handle = NULL;
	curl_global_cleanup();
}

/* The header list of one attempt; NULL if out of memory. */
static struct curl_slist *
http_header_list(const char *const *headers, int nheaders)
{
	struct curl_slist *list = NULL;

	for (int i = 0; i < nheaders; i++)
	{
		struct curl_slist *next = curl_slist_append(list, headers[i]);

		if (next == NULL)
		{
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

static void
http_answer(HttpResult *result)
{
	curl_off_t	retry_after = 0;

	result->outcome = HTTP_ANSWERED;
	(void) curl_easy_getinfo(http_handle, CURLINFO_RESPONSE_CODE, &result->status);
	if (curl_easy_getinfo(http_handle, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
		retry_after > 0)
		result->retry_after_s = (long) retry_after;
}

/*
 * POST body to url with the given headers ("Name: value").  The outcome,
 * the status and Retry-After go to *result.
 */
void
http_post(const char *url, const char *const *headers, int nheaders,
		  const char *body, size_t body_len, HttpResult *result)
{
	char		errbuf[CURL_ERROR_SIZE];
	struct curl_slist *list = http_header_list(headers, nheaders);
	CURLcode	rc;

	memset(result, 0, sizeof(*result));
	result->retry_after_s = -1;
	if (list == NULL)
	{
		result->outcome = HTTP_FAILED;
		snprintf(result->error, sizeof(result->error), "out of memory");
		return;
	}
	errbuf[0] = '\0';
	HTTP_SETOPT(CURLOPT_URL, url);
	HTTP_SETOPT(CURLOPT_HTTPHEADER, list);
	HTTP_SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_len);
	HTTP_SETOPT(CURLOPT_POSTFIELDS, body);
	HTTP_SETOPT(CURLOPT_ERRORBUFFER, errbuf);

	rc = curl_easy_perform(http_handle);

	HTTP_SETOPT(CURLOPT_HTTPHEADER, NULL);
	HTTP_SETOPT(CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(list);

	if (rc == CURLE_OK)
		http_answer(result);
	else if (rc == CURLE_ABORTED_BY_CALLBACK && stop_requested)
		result->outcome = HTTP_STOPPED;
	else
	{
		result->outcome = HTTP_FAILED;
		snprintf(result->error, sizeof(result->error), "%s",
				 errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	}
}

/*
 * The URL as it may be recorded and shown: scheme, host, port and path,
 * without user name, password, query or fragment (which may hold
 * credentials).  malloc'd; exits if the URL cannot be parsed.
 */
char *
http_redacted_url(const char *url)
{
	CURLU	   *u = curl_url();
	char	   *text = NULL;
	char	   *copy;

	if (u == NULL)
		fatal("out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		fatal("invalid webhook URL (libcurl cannot parse it)");
	(void) curl_url_set(u, CURLUPART_USER, NULL, 0);
	(void) curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	(void) curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
	(void) curl_url_set(u, CURLUPART_QUERY, NULL, 0);
	(void) curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &text, 0) != CURLUE_OK)
		fatal("invalid webhook URL (libcurl cannot parse it)");
	copy = strdup(text);
	curl_free(text);
	curl_url_cleanup(u);
	if (copy == NULL)
		fatal("out of memory");
	return copy;
}
