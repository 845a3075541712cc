/*-------------------------------------------------------------------------
 *
 * rpc_input.h
 *	  rpc_input.c: the fields of rpc's input, checked as sql/src/10_rpc.sql
 *	  checks them; every error is 22023 and names the field.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RPC_INPUT_H
#define RPC_INPUT_H

#include "utils/jsonb.h"

extern void rpc_input_check_fields(const char *method, Jsonb *input,
								   const char *const *allowed, int nallowed);
extern text *rpc_input_text(Jsonb *input, const char *field, bool required);
extern Datum rpc_input_uuid(Jsonb *input, const char *field);
extern Datum rpc_input_text_array(Jsonb *input, const char *field);

#endif							/* RPC_INPUT_H */
