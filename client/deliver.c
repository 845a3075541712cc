/*-------------------------------------------------------------------------
 *
 * deliver.c
 *	  maintenance-listen: hand one event to its destination: a line on
 *	  standard output, the --exec command, or the --webhook endpoint
 *	  (webhook.c).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listen.h"
#include "webhook.h"

void
deliver_start(void)
{
	if (opts.webhook_url != NULL)
		webhook_start();
}

void
deliver_finish(void)
{
	if (opts.webhook_url != NULL)
		webhook_finish();
}

/* In the child: the command's stdin, environment and signals, then exec. */
static void
deliver_exec_child(int input_fd, const char *id, const char *channel)
{
	struct sigaction sa;

	/* The command gets default signal handling back. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (dup2(input_fd, STDIN_FILENO) < 0)
		_exit(126);
	close(input_fd);
	setenv("MAINTENANCE_EVENT_ID", id, 1);
	setenv("MAINTENANCE_EVENT_CHANNEL", channel, 1);
	execl("/bin/sh", "sh", "-c", opts.exec_command, (char *) NULL);
	_exit(127);
}

/* Write the JSON, then a newline; stop quietly if the command closes it. */
static void
deliver_write_input(int fd, const char *json)
{
	size_t		len = strlen(json);
	size_t		off = 0;

	while (off < len + 1)
	{
		ssize_t		n = off < len ? write(fd, json + off, len - off)
			: write(fd, "\n", 1);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			break;				/* EPIPE: the command does not read it all */
		}
		off += (size_t) n;
	}
}

/*
 * Run the --exec command with json on its standard input.  Returns its
 * exit status (0 = success), or -1 if it could not be run.
 */
static int
deliver_run_command(const char *json, const char *id, const char *channel)
{
	int			pipefd[2];
	pid_t		pid;
	int			status;

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
		close(pipefd[1]);
		deliver_exec_child(pipefd[0], id, channel);
	}

	close(pipefd[0]);
	deliver_write_input(pipefd[1], json);
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

/* Retry the command with backoff until it succeeds or a stop is requested. */
static Delivery
deliver_exec(const char *json, const char *id, const char *channel)
{
	int			delay = BACKOFF_FIRST_MS;

	for (;;)
	{
		int			rc = deliver_run_command(json, id, channel);

		if (rc == 0)
			return DELIVERY_DONE;
		log_msg("command failed for event %s (status %d); retrying in %.1f s",
				id, rc, delay / 1000.0);
		if (!sleep_ms(delay))
			return DELIVERY_STOPPED;
		delay = next_backoff(delay);
	}
}

/*
 * Deliver one event.  DELIVERY_STOPPED: a stop was requested while the
 * event was being retried; it is then not processed.
 */
Delivery
deliver(int64_t id, const char *json, const char *channel)
{
	if (opts.webhook_url != NULL)
		return webhook_deliver(id, json);
	if (opts.exec_command != NULL)
	{
		char		id_text[32];

		snprintf(id_text, sizeof(id_text), "%" PRId64, id);
		return deliver_exec(json, id_text, channel);
	}
	if (fputs(json, stdout) == EOF || fputc('\n', stdout) == EOF ||
		fflush(stdout) == EOF)
		fatal("could not write to standard output: %s", strerror(errno));
	return DELIVERY_DONE;
}
