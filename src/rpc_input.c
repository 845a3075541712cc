/*-------------------------------------------------------------------------
 *
 * rpc_input.c
 *	  The input of rpc's reads, checked in C: the same checks and the same
 *	  errors as rpc_check_fields(), rpc_text(), rpc_uuid() and
 *	  rpc_text_array() of sql/src/10_rpc.sql (test/sql/rpc.sql checks both
 *	  through rpc), without a PL/pgSQL call per field.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"
#include "rpc_input.h"

#include "catalog/pg_collation_d.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/varlena.h"

/* The JSON type of a value, as jsonb_typeof() names it. */
static const char *
rpc_input_typeof(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "array" : "object";
		default:
			return "unknown";
	}
}

/*
 * Refuse an input that is not an object, and the first key (in the
 * database's collation, as ORDER BY sorts them) not among allowed.
 */
void
rpc_input_check_fields(const char *method, Jsonb *input,
					   const char *const *allowed, int nallowed)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *unknown = NULL;
	StringInfoData names;

	if (!JB_ROOT_IS_OBJECT(input))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("input of method \"%s\" must be a JSON object", method)));

	it = JsonbIteratorInit(&input->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		for (int i = 0; i < nallowed && !known; i++)
			known = strlen(allowed[i]) == (size_t) v.val.string.len &&
				memcmp(allowed[i], v.val.string.val, v.val.string.len) == 0;
		if (known)
			continue;
		if (unknown == NULL ||
			varstr_cmp(v.val.string.val, v.val.string.len,
					   unknown, strlen(unknown), DEFAULT_COLLATION_OID) < 0)
			unknown = pnstrdup(v.val.string.val, v.val.string.len);
	}
	if (unknown == NULL)
		return;

	initStringInfo(&names);
	for (int i = 0; i < nallowed; i++)
		appendStringInfo(&names, "%s%s", i > 0 ? ", " : "", allowed[i]);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unrecognized field \"%s\" for method \"%s\"", unknown, method),
			 errdetail("The fields of %s are %s.", method, names.data)));
}

/*
 * The value of field of the JSON type expected: false when absent or JSON
 * null (refused if required), true with *value set otherwise.
 */
static bool
rpc_input_field(Jsonb *input, const char *field, const char *expected,
				bool required, JsonbValue *value)
{
	JsonbValue	key;
	JsonbValue *found;

	key.type = jbvString;
	key.val.string.val = (char *) field;
	key.val.string.len = strlen(field);
	found = findJsonbValueFromContainer(&input->root, JB_FOBJECT, &key);
	if (found == NULL || found->type == jbvNull)
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" is required", field)));
		return false;
	}
	if (strcmp(rpc_input_typeof(found), expected) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("field \"%s\" must be a JSON %s", field, expected),
				 errdetail("The value given is a JSON %s.", rpc_input_typeof(found))));
	*value = *found;
	return true;
}

/* A string field as text; NULL when absent. */
text *
rpc_input_text(Jsonb *input, const char *field, bool required)
{
	JsonbValue	v;

	if (!rpc_input_field(input, field, "string", required, &v))
		return NULL;
	return cstring_to_text_with_len(v.val.string.val, v.val.string.len);
}

/* Whether s is a UUID in the 8-4-4-4-12 hex form rpc_uuid() accepts. */
static bool
rpc_input_is_uuid(const char *s, int len)
{
	if (len != 36)
		return false;
	for (int i = 0; i < len; i++)
	{
		bool		dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/* A UUID field (required, as rpc_uuid()'s default) as a uuid Datum. */
Datum
rpc_input_uuid(Jsonb *input, const char *field)
{
	JsonbValue	v;
	char	   *s;

	(void) rpc_input_field(input, field, "string", true, &v);
	s = pnstrdup(v.val.string.val, v.val.string.len);
	if (!rpc_input_is_uuid(s, v.val.string.len))
	{
		StringInfoData given;

		initStringInfo(&given);
		escape_json(&given, s);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("field \"%s\" must be a UUID", field),
				 errdetail("The value given is %s.", given.data)));
	}
	return DirectFunctionCall1(uuid_in, CStringGetDatum(s));
}

/* A required array of strings as a text[] Datum. */
Datum
rpc_input_text_array(Jsonb *input, const char *field)
{
	JsonbValue	v;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	ArrayBuildState *astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);

	(void) rpc_input_field(input, field, "array", true, &v);
	it = JsonbIteratorInit(v.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (elem.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("field \"%s\" must be an array of strings", field)));
		astate = accumArrayResult(astate,
								  PointerGetDatum(cstring_to_text_with_len(elem.val.string.val,
																		   elem.val.string.len)),
								  false, TEXTOID, CurrentMemoryContext);
	}
	return makeArrayResult(astate, CurrentMemoryContext);
}
