-- 00_schema_guard.sql: refuse a schema "maintenance" that a role other than a superuser could take over

/*
 * Everything below is schema-qualified, operators included: CREATE EXTENSION
 * may run with a search_path that an untrusted role can write to.  Functions
 * that run with the owner's rights pin their own search_path.
 */

/*
 * Those functions belong to the installing superuser and look up objects in
 * the schema "maintenance" too.  CREATE EXTENSION creates the schema, or uses
 * one that exists already.  A role that is not a superuser and owns that
 * schema, may create objects in it, or has objects in it already could put
 * functions or operators there that those functions would run with
 * superuser rights (an owner could also drop the schema, and the extension
 * and its data with it).
 * Such a schema is refused, before anything is created.
 */
DO $guard$
DECLARE
    schema_oid pg_catalog.oid;
    owner_name pg_catalog.name;
    owner_is_super boolean;
    creators pg_catalog.text;
    foreign_object pg_catalog.text;
BEGIN
    SELECT n.oid, r.rolname, r.rolsuper
      INTO schema_oid, owner_name, owner_is_super
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.nspname OPERATOR(pg_catalog.=) 'maintenance';

    IF NOT owner_is_super THEN
        RAISE EXCEPTION 'schema "maintenance" is owned by role "%", which is not a superuser', owner_name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The extension''s functions run with superuser rights and look up objects in this schema; its owner could take them over.',
                  HINT = 'Drop the schema, or make a superuser its owner, then create the extension again.';
    END IF;

    SELECT pg_catalog.string_agg(DISTINCT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                                ELSE pg_catalog.quote_ident(r.rolname) END, ', ')
      INTO creators
      FROM pg_catalog.pg_namespace n
     CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.oid OPERATOR(pg_catalog.=) schema_oid
       AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
       AND NOT coalesce(r.rolsuper, false);
    IF creators IS NOT NULL THEN
        RAISE EXCEPTION 'schema "maintenance" lets roles that are not superusers create objects in it: %', creators
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The extension''s functions run with superuser rights and look up objects in this schema.',
                  HINT = 'REVOKE CREATE ON SCHEMA maintenance FROM those roles, then create the extension again.';
    END IF;

    SELECT pg_catalog.pg_describe_object(o.classid, o.objid, 0)
      INTO foreign_object
      FROM (SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, c.oid AS objid, c.relowner AS owner
              FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, p.proowner
              FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typowner
              FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprowner
              FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, c.oid, c.collowner
              FROM pg_catalog.pg_collation c WHERE c.collnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, c.oid, c.conowner
              FROM pg_catalog.pg_conversion c WHERE c.connamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, c.opcowner
              FROM pg_catalog.pg_opclass c WHERE c.opcnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, f.opfowner
              FROM pg_catalog.pg_opfamily f WHERE f.opfnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, c.oid, c.cfgowner
              FROM pg_catalog.pg_ts_config c WHERE c.cfgnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, d.oid, d.dictowner
              FROM pg_catalog.pg_ts_dict d WHERE d.dictnamespace OPERATOR(pg_catalog.=) schema_oid
            UNION ALL
            SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, s.oid, s.stxowner
              FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace OPERATOR(pg_catalog.=) schema_oid) o
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) o.owner
     WHERE NOT r.rolsuper
     LIMIT 1;
    IF foreign_object IS NOT NULL THEN
        RAISE EXCEPTION 'schema "maintenance" holds % of a role that is not a superuser', foreign_object
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The extension''s functions run with superuser rights and look up objects in this schema.',
                  HINT = 'Move or drop the objects of other roles in schema "maintenance", then create the extension again.';
    END IF;
END
$guard$;
