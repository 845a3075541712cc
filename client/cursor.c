/*-------------------------------------------------------------------------
 *
 * cursor.c
 *	  maintenance-listen: the cursor file (--cursor-file), one line holding
 *	  the id of the last event processed, replaced atomically.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"

int64_t		cursor_id = 0;

static int64_t cursor_stored_id = -1;	/* what the cursor file holds */

/* Read the cursor file: one line, the id.  Missing means 0. */
void
load_cursor_file(void)
{
	FILE	   *f;
	char		line[64];
	int64_t		id;

	f = fopen(opts.cursor_file, "r");
	if (f == NULL)
	{
		if (errno == ENOENT)
			return;
		fatal("could not open cursor file \"%s\": %s", opts.cursor_file, strerror(errno));
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	if (!parse_id(line, &id))
		fatal("cursor file \"%s\" does not hold an event id", opts.cursor_file);
	cursor_id = id;
	cursor_stored_id = id;
}

/* Make a rename in the directory of path durable. */
static void
cursor_fsync_parent_directory(const char *path)
{
	char		dir[PATH_MAX];
	char	   *slash;
	int			fd;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int) sizeof(dir))
		fatal("cursor file name \"%s\" is too long", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		fatal("could not open directory \"%s\": %s", dir, strerror(errno));
	if (fsync(fd) != 0)
		fatal("could not fsync directory \"%s\": %s", dir, strerror(errno));
	close(fd);
}

/* Replace the cursor file atomically: write a temporary file, then rename. */
void
store_cursor_file(void)
{
	char		tmp[PATH_MAX];
	char		text[32];
	int			fd;
	int			len;

	if (opts.cursor_file == NULL || cursor_stored_id == cursor_id)
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", opts.cursor_file) >= (int) sizeof(tmp))
		fatal("cursor file name \"%s\" is too long", opts.cursor_file);
	len = snprintf(text, sizeof(text), "%" PRId64 "\n", cursor_id);

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fatal("could not create \"%s\": %s", tmp, strerror(errno));
	if (write(fd, text, (size_t) len) != len)
		fatal("could not write \"%s\": %s", tmp, strerror(errno));
	if (fsync(fd) != 0)
		fatal("could not fsync \"%s\": %s", tmp, strerror(errno));
	if (close(fd) != 0)
		fatal("could not close \"%s\": %s", tmp, strerror(errno));
	if (rename(tmp, opts.cursor_file) != 0)
		fatal("could not rename \"%s\" to \"%s\": %s", tmp, opts.cursor_file, strerror(errno));
	cursor_fsync_parent_directory(opts.cursor_file);
	cursor_stored_id = cursor_id;
}

/* The id the cursor file holds (cursor_id when there is no file). */
int64_t
cursor_stored(void)
{
	return opts.cursor_file == NULL ? cursor_id : cursor_stored_id;
}

/* Fail now, not at the first event, if the cursor file cannot be written. */
void
check_cursor_file(void)
{
	if (opts.cursor_file == NULL)
		return;
	load_cursor_file();
	cursor_stored_id = -1;
	store_cursor_file();
}
