/*-------------------------------------------------------------------------
 *
 * version.c
 *	  One library, one schema: the library serves only the version of the
 *	  extension it was built for (MAINTENANCE_VERSION, from the control file).
 *
 *	  After `make install` of a new version and before ALTER EXTENSION
 *	  maintenance UPDATE, the installed objects are older than the library.
 *	  Every C function that writes the extension's tables then refuses with
 *	  55000 and a hint to run the update, instead of running statements
 *	  written for another schema; the reads, which are SQL, keep working.
 *	  The check reads pg_extension once per transaction (an index probe).
 *	  It does not apply while CREATE or ALTER EXTENSION runs scripts: an
 *	  install or upgrade script of an older version may call C functions.
 *
 *-------------------------------------------------------------------------
 */
#include "maintenance.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#ifndef MAINTENANCE_VERSION
#error "MAINTENANCE_VERSION must be defined (the Makefile reads it from maintenance.control)"
#endif

/* The transaction whose check passed already. */
static LocalTransactionId version_checked_lxid = InvalidLocalTransactionId;

/*
 * The extversion of the installed extension "maintenance", palloc'd, or
 * NULL when it is not installed in this database.  In a transaction.
 */
char *
extension_installed_version(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *version = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("maintenance"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, Anum_pg_extension_extversion,
										 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(value);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * Refuse, with 55000, to write when the installed extension is at another
 * version than the library.  Called first by every C function that writes
 * the extension's tables.
 */
void
check_extension_version(void)
{
	char	   *version;

	if (creating_extension || version_checked_lxid == MyProc->lxid)
		return;
	version = extension_installed_version();
	if (version != NULL && strcmp(version, MAINTENANCE_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"maintenance\" is at version %s, but its library is at version %s",
						version, MAINTENANCE_VERSION),
				 errdetail("The library writes only the tables of its own version."),
				 errhint("Run ALTER EXTENSION maintenance UPDATE.")));
	version_checked_lxid = MyProc->lxid;
}
