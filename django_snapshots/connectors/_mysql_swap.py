"""The MySQL restore's swap: load into a scratch database, then one atomic ``RENAME TABLE``.

Private to :mod:`django_snapshots.connectors`. :func:`create_scratch` takes a
server-side lock on the target database (one restore at a time), drops scratch
databases that killed restores of it left behind and creates a fresh one;
:func:`swap` moves the restored tables in with ONE ``RENAME TABLE`` (all or nothing),
then recreates routines, views, triggers and events and drops the old objects.
Every statement runs on a DB-API cursor of a separate autocommit connection.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django_snapshots.connectors._errors import one_line
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["SCRATCH_PREFIX", "create_scratch", "drop_database", "quote_identifier", "swap"]

SCRATCH_PREFIX = "snaprst_"
"""The name prefix of scratch databases (``snaprst_<hash>_<token>``)."""

_OLD_PREFIX = "_snapold_"


def quote_identifier(name: str) -> str:
    """Quote a MySQL identifier."""
    return "`" + name.replace("`", "``") + "`"


@dataclass
class _Definitions:
    """The objects of one database that are not plain tables, as SQL to recreate them."""

    tables: list[str] = field(default_factory=lambda: [])
    views: dict[str, str] = field(default_factory=lambda: {})
    triggers: list[tuple[str, str, str]] = field(default_factory=lambda: [])
    """(name, sql_mode, CREATE TRIGGER ...)"""
    routines: list[tuple[str, str, str, str]] = field(default_factory=lambda: [])
    """(PROCEDURE|FUNCTION, name, sql_mode, CREATE ...)"""
    events: list[tuple[str, str, str, str]] = field(default_factory=lambda: [])
    """(name, sql_mode, time_zone, CREATE EVENT ...)"""


def _execute(cursor: Any, sql: str, parameters: Sequence[object] | None = None) -> None:
    """Execute one statement on a DB-API cursor."""
    if parameters is None:
        cursor.execute(sql)
    else:
        cursor.execute(sql, list(parameters))


def _fetch(
    cursor: Any, sql: str, parameters: Sequence[object] | None = None
) -> list[tuple[Any, ...]]:
    """Execute one statement and return all of its rows."""
    _execute(cursor, sql, parameters)
    return [tuple(row) for row in cursor.fetchall()]


def create_scratch(cursor: Any, db_alias: str, target: str) -> tuple[str, str]:
    """Lock out other restores of ``target`` and create its scratch database.

    Scratch databases that earlier, killed restores of ``target`` left behind are
    dropped first. Return the scratch database's name and its random token.
    """
    digest = hashlib.sha1(target.encode(), usedforsecurity=False).hexdigest()
    ((locked,),) = _fetch(
        cursor, "SELECT GET_LOCK(%s, 0)", [f"django_snapshots_restore_{digest[:32]}"]
    )
    if locked != 1:
        raise SnapshotConnectorError(
            f"another restore of database alias {db_alias!r} is running; "
            "the database was not changed"
        )
    prefix = f"{SCRATCH_PREFIX}{digest[:12]}_"
    found = _fetch(
        cursor,
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
        "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        [target],
    )
    if not found:
        raise SnapshotConnectorError(
            f"database {target!r} of database alias {db_alias!r} does not exist on the server "
            "(or the user cannot see it); create it first"
        )
    ((charset, collation),) = found
    for (stale,) in _fetch(
        cursor,
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s",
        ["snaprst\\_%"],
    ):
        if str(stale).startswith(prefix):
            _execute(cursor, f"DROP DATABASE IF EXISTS {quote_identifier(str(stale))}")
    token = uuid.uuid4().hex[:8]
    scratch = f"{prefix}{token}"
    _execute(
        cursor,
        f"CREATE DATABASE {quote_identifier(scratch)} CHARACTER SET {charset} COLLATE {collation}",
    )
    return scratch, token


def drop_database(cursor: Any, name: str) -> None:
    """Drop database ``name`` if it exists."""
    _execute(cursor, f"DROP DATABASE IF EXISTS {quote_identifier(name)}")


def _definitions(cursor: Any, database: str, *, with_sql: bool = True) -> _Definitions:
    """Read the tables and the SQL that recreates the other objects of ``database``.

    Without ``with_sql`` only the names are read (the SQL fields are left empty).
    """
    found = _Definitions()
    _execute(cursor, f"USE {quote_identifier(database)}")
    for name, kind in _fetch(
        cursor,
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
        "ORDER BY TABLE_NAME",
        [database],
    ):
        if kind == "VIEW" and with_sql:
            found.views[str(name)] = str(
                _fetch(cursor, f"SHOW CREATE VIEW {quote_identifier(str(name))}")[0][1]
            )
        elif kind == "VIEW":
            found.views[str(name)] = ""
        else:
            found.tables.append(str(name))
    for (name,) in _fetch(
        cursor,
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s "
        "ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER",
        [database],
    ):
        row = (
            _fetch(cursor, f"SHOW CREATE TRIGGER {quote_identifier(str(name))}")[0]
            if with_sql
            else ("", "", "")
        )
        found.triggers.append((str(name), str(row[1]), str(row[2])))
    for name, kind in _fetch(
        cursor,
        "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
        "WHERE ROUTINE_SCHEMA = %s AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') "
        "ORDER BY ROUTINE_NAME",
        [database],
    ):
        row = (
            _fetch(cursor, f"SHOW CREATE {kind} {quote_identifier(str(name))}")[0]
            if with_sql
            else ("", "", "")
        )
        found.routines.append((str(kind), str(name), str(row[1]), str(row[2])))
    for (name,) in _fetch(
        cursor,
        "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s "
        "ORDER BY EVENT_NAME",
        [database],
    ):
        row = (
            _fetch(cursor, f"SHOW CREATE EVENT {quote_identifier(str(name))}")[0]
            if with_sql
            else ("", "", "", "")
        )
        found.events.append((str(name), str(row[1]), str(row[2]), str(row[3])))
    return found


def swap(cursor: Any, db_alias: str, target: str, scratch: str, token: str) -> None:
    """Move the tables of ``scratch`` into ``target`` atomically, then rebuild the rest."""
    quote = quote_identifier
    new = _definitions(cursor, scratch)
    old = _definitions(cursor, target, with_sql=False)
    for name, _mode, _sql in new.triggers:  # tables with triggers cannot change database
        _execute(cursor, f"DROP TRIGGER {quote(scratch)}.{quote(name)}")
    aside = {
        name: f"{_OLD_PREFIX}{token}_{index}"
        for index, name in enumerate([*old.tables, *old.views])
    }
    renames = [
        f"{quote(target)}.{quote(name)} TO {quote(target)}.{quote(moved)}"
        for name, moved in aside.items()
    ]
    renames += [
        f"{quote(scratch)}.{quote(name)} TO {quote(target)}.{quote(name)}" for name in new.tables
    ]
    if renames:
        try:
            _execute(cursor, "RENAME TABLE " + ", ".join(renames))
        except Exception as error:
            raise SnapshotConnectorError(
                f"restore of database alias {db_alias!r} failed; the database was not changed "
                f"(swapping the tables in): {one_line(error)}"
            ) from error
    try:
        _rebuild(cursor, target, old, new, aside)
    except Exception as error:
        raise SnapshotConnectorError(
            f"restore of database alias {db_alias!r}: the tables were swapped in but recreating "
            f"routines, views, triggers or events failed ({one_line(error)}); "
            f"run the restore again"
        ) from error


def _rebuild(
    cursor: Any, target: str, old: _Definitions, new: _Definitions, aside: dict[str, str]
) -> None:
    """Replace the old routines, views, triggers and events of ``target`` with the new ones."""
    quote = quote_identifier
    _execute(cursor, f"USE {quote(target)}")
    ((saved_mode, saved_zone),) = _fetch(cursor, "SELECT @@SESSION.sql_mode, @@SESSION.time_zone")
    _execute(cursor, "SET SESSION foreign_key_checks = 0")
    for name, _mode, _sql in old.triggers:
        _execute(cursor, f"DROP TRIGGER IF EXISTS {quote(name)}")
    for kind, name, _mode, _sql in old.routines:
        _execute(cursor, f"DROP {kind} IF EXISTS {quote(name)}")
    for name, _mode, _zone, _sql in old.events:
        _execute(cursor, f"DROP EVENT IF EXISTS {quote(name)}")
    for _kind, _name, mode, sql in new.routines:
        _execute(cursor, "SET SESSION sql_mode = %s", [mode])
        _execute(cursor, sql)
    _execute(cursor, "SET SESSION sql_mode = %s", [saved_mode])
    pending = dict(new.views)
    while pending:  # views may use views: create in passes until no progress
        failures: dict[str, Exception] = {}
        for name, sql in pending.items():
            try:
                _execute(cursor, sql)
            except Exception as error:  # noqa: BLE001 - retried in the next pass
                failures[name] = error
        if len(failures) == len(pending):
            raise next(iter(failures.values()))
        pending = {name: pending[name] for name in failures}
    for _name, mode, sql in new.triggers:
        _execute(cursor, "SET SESSION sql_mode = %s", [mode])
        _execute(cursor, sql)
    for _name, mode, zone, sql in new.events:
        _execute(cursor, "SET SESSION sql_mode = %s, time_zone = %s", [mode, zone])
        _execute(cursor, sql)
    _execute(cursor, "SET SESSION sql_mode = %s, time_zone = %s", [saved_mode, saved_zone])
    old_views = [quote(aside[name]) for name in old.views]
    old_tables = [quote(aside[name]) for name in old.tables]
    if old_views:
        _execute(cursor, "DROP VIEW IF EXISTS " + ", ".join(old_views))
    if old_tables:
        _execute(cursor, "DROP TABLE IF EXISTS " + ", ".join(old_tables))
    _execute(cursor, "SET SESSION foreign_key_checks = 1")
