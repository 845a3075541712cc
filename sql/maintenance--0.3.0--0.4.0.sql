/* maintenance--0.3.0--0.4.0.sql: from 0.3.0 to 0.4.0 */

\echo Use "ALTER EXTENSION maintenance UPDATE TO '0.4.0'" to load this file. \quit

/*
 * 0.4.0:
 * - the install script is built from per-object sources (sql/src); the
 *   objects of 0.3.0 are unchanged by that.
 */
