/*-------------------------------------------------------------------------
 *
 * read_json.h
 *	  read_json.c: the JSON of the reads as jsonb, for the SQL functions
 *	  (maintenance_json, update_json, maintenances_json) and rpc.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef READ_JSON_H
#define READ_JSON_H

#include "access/htup_details.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/* what the builders find once per call site: the columns of the row types */
typedef struct ReadJsonCache ReadJsonCache;

extern ReadJsonCache *read_json_cache(MemoryContext mcxt);
extern void read_json_key(JsonbParseState **state, const char *key);
extern bool read_json_begin_maintenance(ReadJsonCache *cache, JsonbParseState **state,
										HeapTupleHeader row);
extern JsonbValue *read_json_push_maintenance(ReadJsonCache *cache, JsonbParseState **state,
											 HeapTupleHeader row, bool in_array);
extern void read_json_push_list(ReadJsonCache *cache, JsonbParseState **state,
								ArrayType *array);
extern JsonbValue *read_json_push_update(ReadJsonCache *cache, JsonbParseState **state,
										 HeapTupleHeader row);

#endif							/* READ_JSON_H */
