/*-------------------------------------------------------------------------
 *
 * maintenance-listen.c
 *	  Deliver the events of the maintenance extension to a program or a
 *	  webhook: every event once, in id order, also across disconnections
 *	  and restarts.
 *
 *	  On start and after every reconnection the client first LISTENs on the
 *	  event channels, then replays the events after its cursor with
 *	  maintenance.replay_events() until it has caught up, then waits
 *	  (session.c).  The client also replays every --poll-interval seconds in
 *	  case a wake-up was missed (a writer that rolls back sends no
 *	  notification, but may have held back the events of others).
 *
 *	  The cursor (the id of the last event processed) is kept in a file
 *	  (--cursor-file, replaced atomically, cursor.c), on the server
 *	  (--consumer, maintenance.ack_events()), or both, once idle or once a
 *	  second (every event with --exec or --webhook, session.c); without
 *	  either it lives in memory and a restart replays every retained event.
 *
 *-------------------------------------------------------------------------
 */
#include "listen.h"
#include "webhook.h"

int
main(int argc, char **argv)
{
	int			status;

	parse_args(argc, argv);
	install_signals();
	check_cursor_file();
	deliver_start();
	status = opts.retry_failed ? webhook_retry_failed() : run_listener();
	deliver_finish();
	return status;
}
