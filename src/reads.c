/*-------------------------------------------------------------------------
 *
 * reads.c
 *	  The one-row reads in C: get_maintenance(id),
 *	  get_maintenance_updates(maintenance_id) and
 *	  has_active_maintenance_with_suppression(system_id).
 *
 *	  Their queries are one index probe each, so what a call costs beside
 *	  the probe decides their speed.  Through SPI, with a plan saved per
 *	  backend, the nested executor start, the plan cache's check of the
 *	  saved plan (search path included) and the copy out of SPI were a
 *	  fifth of a read, a third more than the probe (BENCHMARKS.md).  So
 *	  these scan their index directly: no parser, planner or executor, and
 *	  no name resolved through any search_path (relations are found by name
 *	  in the extension's schema).  They stay SECURITY DEFINER with the
 *	  pinned search_path (sql/src/06_reads.sql), like every function of the
 *	  extension; the owner they run as owns the tables, so no privilege
 *	  check is skipped that the executor would have made.  Tuples are read
 *	  with the query's snapshot, as a STABLE function's statement would.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/tidbitmap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(maintenance_get_maintenance);
PG_FUNCTION_INFO_V1(maintenance_get_maintenance_updates);
PG_FUNCTION_INFO_V1(maintenance_has_active_maintenance_with_suppression);

/*
 * The relation (table or index) maintenance.relname, opened with
 * AccessShareLock, held to the end of the transaction as the executor
 * holds it.
 */
static Relation
reads_open(const char *relname, bool is_index)
{
	Oid			relid = get_relname_relid(relname,
										  get_namespace_oid("maintenance", false));

	/* the library serves its own schema version only (version.c) */
	if (!OidIsValid(relid))
		elog(ERROR, "relation \"maintenance.%s\" does not exist", relname);
	return is_index ? index_open(relid, AccessShareLock)
		: table_open(relid, AccessShareLock);
}

/* The number of the column named attname in tupdesc; an error if none. */
static AttrNumber
reads_attnum(TupleDesc tupdesc, const char *attname)
{
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), attname) == 0)
			return att->attnum;
	}
	elog(ERROR, "column \"%s\" of maintenance.maintenances does not exist", attname);
	return InvalidAttrNumber;	/* keep the compiler quiet */
}

/*
 * Starts a scan of the btree index for rows whose first key column equals
 * value (a uuid), in the index's order.
 */
static IndexScanDesc
reads_begin_uuid_scan(Relation rel, Relation index, Datum value)
{
	ScanKeyData key;
	IndexScanDesc scan;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_UUID_EQ, value);
	scan = index_beginscan(rel, index, GetActiveSnapshot(), 1, 0);
	index_rescan(scan, &key, 1, NULL, 0);
	return scan;
}

/*
 * Which column of the table each column of the view
 * maintenance.maintenances_with_systems is.  The view is a projection of the
 * table's columns, so it is the column of the same name (by name: an upgrade
 * adds columns in its own order).  Kept for the next call while the type
 * cache says neither row type changed: matching the names was a few percent
 * of a call.
 */
static const AttrNumber *
reads_view_columns(TypeCacheEntry *view, TypeCacheEntry *table)
{
	static AttrNumber *columns = NULL;
	static uint64 columns_view = 0;
	static uint64 columns_table = 0;

	if (columns != NULL && columns_view == view->tupDesc_identifier &&
		columns_table == table->tupDesc_identifier)
		return columns;
	if (columns != NULL)
		pfree(columns);
	columns = NULL;
	columns = MemoryContextAlloc(TopMemoryContext,
								 sizeof(AttrNumber) * Max(view->tupDesc->natts, 1));
	for (int i = 0; i < view->tupDesc->natts; i++)
		columns[i] = reads_attnum(table->tupDesc,
								  NameStr(TupleDescAttr(view->tupDesc, i)->attname));
	columns_view = view->tupDesc_identifier;
	columns_table = table->tupDesc_identifier;
	return columns;
}

/* The view's row for the maintenances row in slot. */
static Datum
reads_maintenance_row(TupleTableSlot *slot, Relation rel, Oid view_type)
{
	TypeCacheEntry *view = lookup_type_cache(view_type, TYPECACHE_TUPDESC);
	TypeCacheEntry *table = lookup_type_cache(rel->rd_rel->reltype, TYPECACHE_TUPDESC);
	const AttrNumber *columns;
	Datum	   *values;
	bool	   *nulls;

	if (view->tupDesc == NULL || table->tupDesc == NULL)
		elog(ERROR, "get_maintenance must return a composite type");
	columns = reads_view_columns(view, table);
	values = palloc(sizeof(Datum) * view->tupDesc->natts);
	nulls = palloc(sizeof(bool) * view->tupDesc->natts);
	slot_getallattrs(slot);
	for (int i = 0; i < view->tupDesc->natts; i++)
	{
		values[i] = slot->tts_values[columns[i] - 1];
		nulls[i] = slot->tts_isnull[columns[i] - 1];
	}
	/* HeapTupleGetDatum flattens any value still in TOAST */
	return HeapTupleGetDatum(heap_form_tuple(view->tupDesc, values, nulls));
}

/*
 * The row of maintenance id as the view maintenance.maintenances_with_systems
 * (of type view_type) has it, in *row; false if there is none.  One probe of
 * maintenances_pkey.
 */
bool
reads_maintenance(Datum id, Oid view_type, Datum *row)
{
	Relation	rel = reads_open("maintenances", false);
	Relation	index = reads_open("maintenances_pkey", true);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan = reads_begin_uuid_scan(rel, index, id);
	bool		found;

	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
		*row = reads_maintenance_row(slot, rel, view_type);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	return found;
}

/*
 * Calls each(slot, arg) for every timeline entry of maintenance id, in the
 * order written: a forward scan of maintenance_updates_timeline
 * (maintenance_id, position).
 */
void
reads_timeline(Datum id, void (*each) (TupleTableSlot *slot, void *arg), void *arg)
{
	Relation	rel = reads_open("maintenance_updates", false);
	Relation	index = reads_open("maintenance_updates_timeline", true);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan = reads_begin_uuid_scan(rel, index, id);

	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		each(slot, arg);
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(rel, NoLock);
}

/*
 * maintenance.get_maintenance(id uuid) RETURNS
 * maintenance.maintenances_with_systems: the maintenance, NULL if unknown.
 */
Datum
maintenance_get_maintenance(PG_FUNCTION_ARGS)
{
	Oid			view_type;
	Datum		row;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	view_type = get_fn_expr_rettype(fcinfo->flinfo);
	if (!OidIsValid(view_type))
		view_type = get_func_rettype(fcinfo->flinfo->fn_oid);
	if (!reads_maintenance(PG_GETARG_DATUM(0), view_type, &row))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(row);
}

static void
reads_put_update(TupleTableSlot *slot, void *arg)
{
	tuplestore_puttupleslot((Tuplestorestate *) arg, slot);
}

/*
 * maintenance.get_maintenance_updates(maintenance_id uuid) RETURNS SETOF
 * maintenance.maintenance_updates: the timeline, in the order written.
 */
Datum
maintenance_get_maintenance_updates(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	if (!PG_ARGISNULL(0))
		reads_timeline(PG_GETARG_DATUM(0), reads_put_update, rsinfo->setResult);
	return (Datum) 0;
}

/*
 * What checking a row against the index's predicate and question needs,
 * looked up once per scan and only if a page needs the check: most probes
 * never do.  Each check runs in a context of its own, reset after it, so a
 * lossy bitmap of many pages costs no more memory than one row's check
 * (arraycontains copies the detoasted array).
 */
typedef struct ReadsRecheck
{
	AttrNumber	status;
	AttrNumber	suppress;
	AttrNumber	system_ids;
	Oid			in_progress;
	Oid			collation;
	/* arraycontains keeps its element type's data in flinfo: give it one */
	FmgrInfo	contains;
	MemoryContext cxt;			/* reset after each row's check */
} ReadsRecheck;

static void
reads_recheck_init(ReadsRecheck *check, TupleDesc desc)
{
	check->status = reads_attnum(desc, "status");
	check->suppress = reads_attnum(desc, "suppress_notifications");
	check->system_ids = reads_attnum(desc, "system_ids");
	check->in_progress =
		GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
						ObjectIdGetDatum(TupleDescAttr(desc, check->status - 1)->atttypid),
						CStringGetDatum("in_progress"));
	check->collation = TupleDescAttr(desc, check->system_ids - 1)->attcollation;
	fmgr_info(F_ARRAYCONTAINS, &check->contains);
	check->cxt = AllocSetContextCreate(CurrentMemoryContext, "maintenance recheck",
									   ALLOCSET_SMALL_SIZES);
}

/*
 * Whether the maintenances row in slot is in progress, suppresses
 * notifications and holds the system: the predicate of
 * maintenances_suppressing_systems and its question, for the tuples the
 * bitmap cannot vouch for (a lossy page gives every tuple of the page).
 */
static bool
reads_row_suppresses(ReadsRecheck *check, TupleTableSlot *slot, ArrayType *asked)
{
	MemoryContext caller;
	bool		suppresses;

	slot_getallattrs(slot);
	caller = MemoryContextSwitchTo(check->cxt);
	suppresses = !slot->tts_isnull[check->status - 1] &&
		!slot->tts_isnull[check->suppress - 1] &&
		!slot->tts_isnull[check->system_ids - 1] &&
		DatumGetBool(slot->tts_values[check->suppress - 1]) &&
		DatumGetObjectId(slot->tts_values[check->status - 1]) == check->in_progress &&
		DatumGetBool(FunctionCall2Coll(&check->contains, check->collation,
									   slot->tts_values[check->system_ids - 1],
									   PointerGetDatum(asked)));
	MemoryContextSwitchTo(caller);
	MemoryContextReset(check->cxt);
	return suppresses;
}

/*
 * The heap tuples the bitmap points at, visible to the snapshot: whether
 * one of them suppresses for the asked system.  Stops at the first.
 */
static bool
reads_bitmap_has_suppressing(Relation rel, TIDBitmap *bitmap, ArrayType *asked)
{
	TBMIterator *iterator = tbm_begin_iterate(bitmap);
	TableScanDesc scan = table_beginscan_bm(rel, GetActiveSnapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TBMIterateResult *page;
	ReadsRecheck check = {0};
	bool		found = false;

	while (!found && (page = tbm_iterate(iterator)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		if (!table_scan_bitmap_next_block(scan, page))
			continue;
		if (page->recheck && check.cxt == NULL)
			reads_recheck_init(&check, RelationGetDescr(rel));
		while (!found && table_scan_bitmap_next_tuple(scan, page, slot))
			found = !page->recheck || reads_row_suppresses(&check, slot, asked);
	}
	if (check.cxt != NULL)
		MemoryContextDelete(check.cxt);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	tbm_end_iterate(iterator);
	return found;
}

/*
 * Whether the system has a maintenance in progress that suppresses
 * notifications (also rpc's hasActiveMaintenanceWithSuppression).  The
 * partial GIN index maintenances_suppressing_systems holds exactly these
 * rows, so the answer is one probe of it, system_ids @> ARRAY[system_id],
 * whatever the system and the size of the table.  GIN gives bitmaps only.
 */
bool
reads_suppressed(Datum system_id)
{
	Relation	rel = reads_open("maintenances", false);
	Relation	index = reads_open("maintenances_suppressing_systems", true);
	ArrayType  *asked = construct_array(&system_id, 1, TEXTOID, -1, false,
										TYPALIGN_INT);
	TIDBitmap  *bitmap = tbm_create(work_mem * 1024L, NULL);
	IndexScanDesc scan;
	ScanKeyData key;
	bool		found;

	/* @>'s strategy in the index's operator family (array_ops: 2) */
	ScanKeyEntryInitialize(&key, 0, 1,
						   get_op_opfamily_strategy(OID_ARRAY_CONTAINS_OP,
													index->rd_opfamily[0]),
						   InvalidOid,
						   index->rd_indcollation[0], F_ARRAYCONTAINS,
						   PointerGetDatum(asked));
	scan = index_beginscan_bitmap(index, GetActiveSnapshot(), 1);
	index_rescan(scan, &key, 1, NULL, 0);
	(void) index_getbitmap(scan, bitmap);
	index_endscan(scan);

	found = reads_bitmap_has_suppressing(rel, bitmap, asked);
	tbm_free(bitmap);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	return found;
}

/*
 * maintenance.has_active_maintenance_with_suppression(system_id text)
 * RETURNS boolean.  NULL is false: ARRAY[NULL] is contained in no array.
 */
Datum
maintenance_has_active_maintenance_with_suppression(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(reads_suppressed(PG_GETARG_DATUM(0)));
}
