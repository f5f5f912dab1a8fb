"""The SQL that wraps a PostgreSQL restore in one all-or-nothing ``psql`` session.

Private to :mod:`django_snapshots.connectors`. ``psql --single-transaction`` runs
:func:`prologue` (wipe what the restoring role owns), then the dump's SQL as it streams
in, then :data:`EPILOGUE_SQL`, which rolls everything back unless the connector sent
:data:`COMPLETE_MARKER` after the whole dump arrived.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "COMPLETE_MARKER",
    "COMPLETE_VARIABLE",
    "EPILOGUE_SQL",
    "WIPE_SQL",
    "prologue",
    "quote_identifier",
]

COMPLETE_VARIABLE: Final = "django_snapshots_complete"
"""The psql variable the connector sets once the whole dump has been streamed."""

COMPLETE_MARKER: Final = f"\n\\set {COMPLETE_VARIABLE} 1\n".encode()
"""The psql command the connector sends after the last byte of a complete dump."""

# Drop everything in the database's own schemas that the current role may drop, so
# objects absent from the dump vanish; runs inside the restore's transaction.
WIPE_SQL = r"""
SET client_min_messages = warning;
DO $django_snapshots$
DECLARE
    statements text[];
    statement text;
BEGIN
    WITH user_schemas AS (
        SELECT n.oid, n.nspname, n.nspowner
          FROM pg_catalog.pg_namespace n
         WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
    ), dropped_schemas AS (
        SELECT s.oid, s.nspname FROM user_schemas s
         WHERE s.nspname <> 'public'
           AND pg_catalog.pg_has_role(s.nspowner, 'USAGE')
           AND NOT EXISTS (
               SELECT 1 FROM pg_catalog.pg_depend d
                WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
                  AND d.objid = s.oid AND d.deptype = 'e')
    ), kept_schemas AS (
        SELECT s.oid, s.nspname FROM user_schemas s
         WHERE s.oid NOT IN (SELECT oid FROM dropped_schemas)
    ), extension_members AS (
        SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
    )
    SELECT coalesce(pg_catalog.array_agg(drop_sql ORDER BY kind, drop_sql), '{}')
      INTO statements
      FROM (
        SELECT 1 AS kind, pg_catalog.format('DROP SCHEMA IF EXISTS %I CASCADE', nspname)
               AS drop_sql
          FROM dropped_schemas
        UNION ALL
        SELECT 2, pg_catalog.format(
                   'DROP %s IF EXISTS %I.%I CASCADE',
                   CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                        WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE'
                        ELSE 'TABLE' END,
                   k.nspname, c.relname)
          FROM pg_catalog.pg_class c JOIN kept_schemas k ON k.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
           AND (c.tableoid, c.oid) NOT IN (SELECT classid, objid FROM extension_members)
        UNION ALL
        SELECT 3, pg_catalog.format(
                   'DROP %s IF EXISTS %I.%I(%s) CASCADE',
                   CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE'
                        ELSE 'FUNCTION' END,
                   k.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
          FROM pg_catalog.pg_proc p JOIN kept_schemas k ON k.oid = p.pronamespace
         WHERE pg_catalog.pg_has_role(p.proowner, 'USAGE')
           AND (p.tableoid, p.oid) NOT IN (SELECT classid, objid FROM extension_members)
        UNION ALL
        SELECT 4, pg_catalog.format(
                   'DROP %s IF EXISTS %I.%I CASCADE',
                   CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                   k.nspname, t.typname)
          FROM pg_catalog.pg_type t JOIN kept_schemas k ON k.oid = t.typnamespace
         WHERE (t.typtype IN ('d', 'e', 'r')
                OR (t.typtype = 'c' AND EXISTS (
                    SELECT 1 FROM pg_catalog.pg_class c
                     WHERE c.oid = t.typrelid AND c.relkind = 'c')))
           AND pg_catalog.pg_has_role(t.typowner, 'USAGE')
           AND (t.tableoid, t.oid) NOT IN (SELECT classid, objid FROM extension_members)
        UNION ALL
        SELECT 5, pg_catalog.format('DROP COLLATION IF EXISTS %I.%I CASCADE',
                                    k.nspname, co.collname)
          FROM pg_catalog.pg_collation co JOIN kept_schemas k ON k.oid = co.collnamespace
         WHERE pg_catalog.pg_has_role(co.collowner, 'USAGE')
           AND (co.tableoid, co.oid) NOT IN (SELECT classid, objid FROM extension_members)
      ) AS drops;
    FOREACH statement IN ARRAY statements LOOP
        EXECUTE statement;
    END LOOP;
END
$django_snapshots$;
"""

# Runs after the streamed SQL: commit only if the connector sent its end marker.
EPILOGUE_SQL = f"""\\if :{{?{COMPLETE_VARIABLE}}}
\\else
DO $django_snapshots$ BEGIN
    RAISE EXCEPTION 'django-snapshots: the restore stream ended early, rolling back';
END $django_snapshots$;
\\endif
"""


def quote_identifier(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def prologue(role: str | None) -> str:
    """Return the SQL run before the dump: ``SET ROLE`` (if ``role``), then the wipe."""
    return WIPE_SQL if role is None else f"SET ROLE {quote_identifier(role)};{WIPE_SQL}"
