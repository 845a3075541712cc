/*-------------------------------------------------------------------------
 *
 * series.h
 *	  Recurring windows (series): the recurrence rule (ical_recur.c), its
 *	  expansion into UTC windows (series_rule.c) and the SQL functions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SERIES_H
#define SERIES_H

#include "maintenance.h"

#include "pgtime.h"
#include "utils/array.h"

/* Bounds on every input (doc/scheduling.md, "Recurring windows") */
#define RECUR_MAX_RULE_LENGTH	1000
#define SERIES_MAX_EXDATES		1000
#define SERIES_MAX_DURATION_DAYS 366
#define SERIES_MAX_PREVIEW		1000
/* iteration steps of one expansion, whatever the rule */
#define SERIES_MAX_STEPS		100000
/* local times between these years (libical stops at 2582) */
#define SERIES_MIN_YEAR			1900
#define SERIES_MAX_YEAR			2500

/* ical_recur.c: the libical wrapper */
typedef struct RecurRule RecurRule;
typedef struct RecurIter RecurIter;

typedef enum RecurUntilKind
{
	RECUR_UNTIL_NONE,
	RECUR_UNTIL_UTC,			/* value is a TimestampTz */
	RECUR_UNTIL_LOCAL			/* value is a local Timestamp */
} RecurUntilKind;

typedef struct RecurUntil
{
	RecurUntilKind kind;
	int64		value;
} RecurUntil;

extern RecurRule *recur_parse(const char *rrule, const char *field);
extern bool recur_has_count(const RecurRule *rule);
extern const RecurUntil *recur_until(const RecurRule *rule);
extern RecurIter *recur_begin(const RecurRule *rule, Timestamp dtstart,
							  Timestamp skip_to);
extern bool recur_next(RecurIter *ri, Timestamp *local);
extern void recur_end(RecurIter *ri);

/* series_rule.c: a validated series rule and its expansion */
typedef struct SeriesRule
{
	RecurRule  *rule;
	pg_tz	   *tz;
	Timestamp	first_start;	/* local */
	Interval	duration;
	int			nexdates;
	Timestamp  *exdates;		/* local, sorted */
} SeriesRule;

typedef struct Occurrence
{
	Timestamp	local_start;
	TimestampTz start_at;
	TimestampTz end_at;
} Occurrence;

/* which occurrences series_expand() returns */
typedef enum ExpandFrom
{
	EXPAND_STARTING_AT_OR_AFTER,	/* start_at >= from */
	EXPAND_ENDING_AFTER			/* end_at > from */
} ExpandFrom;

extern void series_require(bool isnull, const char *name);
extern void series_rule_init(SeriesRule *s, const char *rrule, const char *time_zone,
							 Timestamp first_start, const Interval *duration,
							 ArrayType *exdates);
extern TimestampTz series_local_to_utc(Timestamp local, pg_tz *tz);
extern int	series_timestamp_cmp(const void *a, const void *b);
extern int	series_expand(const SeriesRule *s, TimestampTz from, ExpandFrom mode,
						  TimestampTz before, int max, Occurrence *out);

/* series.c: the series' writes */
extern int	series_horizon_minutes;
extern bool series_writing;		/* the series writes its occurrences */
extern void series_init(void);

/* series_materialize.c: the occurrences of series as maintenances */
/* What an occurrence copies from its series, and where the series stands. */
typedef struct SeriesState
{
	SeriesRule	rule;
	Datum		values[5];		/* title, description, suppress, system_ids,
								 * reminders */
	bool		nulls[5];
	TimestampTz rule_changed_at;
	bool		has_through;
	TimestampTz materialized_through;
	bool		ended;
} SeriesState;

extern bool series_lock(Datum series_id);
extern bool series_read(Datum series_id, SeriesState *st);
extern int	series_materialize_locked(Datum series_id, TimestampTz now);
extern int	series_materialize(Datum series_id, TimestampTz now);
extern void series_reconcile(Datum series_id, const SeriesState *st, TimestampTz now);
extern int	series_materialize_due(TimestampTz as_of, int *failed);
extern TimestampTz series_next_materialization(TimestampTz as_of);

#endif							/* SERIES_H */
