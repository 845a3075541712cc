/*-------------------------------------------------------------------------
 *
 * json.c
 *	  JSON text for event payloads, and the ISO-8601 time format of the API.
 *
 *	  Strings go through escape_json(), the server's own JSON escaping, so
 *	  quotes, backslashes, control characters and non-ASCII text come out as
 *	  valid JSON that decodes to exactly the stored text.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"

PG_FUNCTION_INFO_V1(maintenance_iso_time);

/* Start an object at the end of buf. */
void
json_begin_object(JsonBuilder *jb, StringInfo buf)
{
	jb->buf = buf;
	jb->first = true;
	appendStringInfoChar(buf, '{');
}

void
json_end_object(JsonBuilder *jb)
{
	appendStringInfoChar(jb->buf, '}');
}

static void
json_add_key(JsonBuilder *jb, const char *key)
{
	if (!jb->first)
		appendStringInfoChar(jb->buf, ',');
	jb->first = false;
	escape_json(jb->buf, key);
	appendStringInfoChar(jb->buf, ':');
}

/* A string member; a NULL value leaves the member out (an optional field). */
void
json_add_string(JsonBuilder *jb, const char *key, const char *value)
{
	if (value == NULL)
		return;
	json_add_key(jb, key);
	escape_json(jb->buf, value);
}

void
json_add_bool(JsonBuilder *jb, const char *key, bool value)
{
	json_add_key(jb, key);
	appendStringInfoString(jb->buf, value ? "true" : "false");
}

void
json_add_int64(JsonBuilder *jb, const char *key, int64 value)
{
	json_add_key(jb, key);
	appendStringInfo(jb->buf, INT64_FORMAT, value);
}

void
json_add_time(JsonBuilder *jb, const char *key, TimestampTz value)
{
	json_add_key(jb, key);
	appendStringInfoChar(jb->buf, '"');
	append_iso_time(jb->buf, value);
	appendStringInfoChar(jb->buf, '"');
}

void
json_add_string_array(JsonBuilder *jb, const char *key, int n,
					  char *const *values)
{
	json_add_key(jb, key);
	appendStringInfoChar(jb->buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(jb->buf, ',');
		escape_json(jb->buf, values[i]);
	}
	appendStringInfoChar(jb->buf, ']');
}

/* A member whose value is already JSON text. */
void
json_add_raw(JsonBuilder *jb, const char *key, const char *json)
{
	json_add_key(jb, key);
	appendStringInfoString(jb->buf, json);
}

/* Append value (0 <= value < 10^width) as width decimal digits. */
static void
json_append_digits(StringInfo buf, int value, int width)
{
	char		digits[8];

	Assert(width <= (int) sizeof(digits));
	for (int i = width - 1; i >= 0; i--)
	{
		digits[i] = (char) ('0' + value % 10);
		value /= 10;
	}
	appendBinaryStringInfo(buf, digits, width);
}

/*
 * Append ts as JavaScript's Date.prototype.toISOString() prints it: UTC,
 * milliseconds, "Z".  Years outside 0000..9999 take JavaScript's expanded
 * form (+YYYYYY / -YYYYYY, astronomical numbering).
 */
void
append_iso_time(StringInfo buf, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for ISO-8601 output"),
				 errdetail("Only finite timestamps have an ISO-8601 form.")));

	/* timestamp2tm numbers years astronomically: 0 is 1 BC */
	if (tm.tm_year >= 0 && tm.tm_year <= 9999)
		json_append_digits(buf, tm.tm_year, 4);
	else
		appendStringInfo(buf, "%c%06d", tm.tm_year < 0 ? '-' : '+',
						 abs(tm.tm_year));

	/*
	 * The rest digit by digit: every read of rpc prints four times per
	 * maintenance, and appendStringInfo's formatting was a tenth of a large
	 * read.
	 */
	appendStringInfoChar(buf, '-');
	json_append_digits(buf, tm.tm_mon, 2);
	appendStringInfoChar(buf, '-');
	json_append_digits(buf, tm.tm_mday, 2);
	appendStringInfoChar(buf, 'T');
	json_append_digits(buf, tm.tm_hour, 2);
	appendStringInfoChar(buf, ':');
	json_append_digits(buf, tm.tm_min, 2);
	appendStringInfoChar(buf, ':');
	json_append_digits(buf, tm.tm_sec, 2);
	appendStringInfoChar(buf, '.');
	json_append_digits(buf, (int) (fsec / 1000), 3);
	appendStringInfoChar(buf, 'Z');
}

/* maintenance.iso_time(timestamptz) RETURNS text */
Datum
maintenance_iso_time(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_iso_time(&buf, PG_GETARG_TIMESTAMPTZ(0));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}
