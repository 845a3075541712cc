/*-------------------------------------------------------------------------
 *
 * runtime.c
 *	  maintenance-listen: logging, the stop signals, interruptible sleeps.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listen.h"

volatile sig_atomic_t stop_requested = 0;
volatile sig_atomic_t replay_running = 0;

/*
 * While a replay query runs, a stop cancels it (PQcancel is safe in a signal
 * handler), so that a query blocked by a lock does not delay the exit.  Only
 * replay queries: they read, and a cancelled one is simply not processed.
 */
static PGcancel *volatile runtime_replay_cancel = NULL;

static void
runtime_vlog(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", PROGNAME);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_msg(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	runtime_vlog(fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	runtime_vlog(fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE_);
}

static void
runtime_handle_stop(int signo)
{
	int			save_errno = errno;

	(void) signo;
	stop_requested = 1;
	if (replay_running && runtime_replay_cancel != NULL)
	{
		char		errbuf[256];

		(void) PQcancel(runtime_replay_cancel, errbuf, sizeof(errbuf));
	}
	errno = save_errno;
}

/* Set or clear the replay query's cancel handle with the stop signals blocked. */
void
set_replay_cancel(PGconn *conn)
{
	sigset_t	block;
	sigset_t	old;
	PGcancel   *previous;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	previous = runtime_replay_cancel;
	runtime_replay_cancel = conn != NULL ? PQgetCancel(conn) : NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (previous != NULL)
		PQfreeCancel(previous);
}

void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = runtime_handle_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;			/* no SA_RESTART: interrupt waits */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* A command that does not read its input must not kill us. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int64_t
monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * Sleep ms milliseconds, or less if a stop is requested.  Returns false if
 * a stop was requested.
 */
bool
sleep_ms(int ms)
{
	int64_t		deadline = monotonic_ms() + ms;

	while (!stop_requested)
	{
		int64_t		left = deadline - monotonic_ms();

		if (left <= 0)
			return true;
		(void) poll(NULL, 0, (int) left);	/* EINTR on a signal */
	}
	return false;
}

int
next_backoff(int ms)
{
	return ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : ms * 2;
}
