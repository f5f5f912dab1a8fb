"""The SQLite connector: dumps and restores with SQLite's online backup API.

A dump is a complete SQLite database file (``"format": "sqlite3"``) copied from
Django's live connection in one read transaction, so it is consistent and includes
tables, indexes, views and triggers. Inside an open transaction (where the backup API
cannot read), the dump is that transaction's view as SQL text (``"format": "sql"``).

A restore copies the file's pages into the live connection in one write transaction:
if it fails part-way, SQLite rolls it back and the database keeps its previous
contents. SQL text dumps (also those of django-snapshots 0.1.0b1) are restored by
running their statements inside one transaction. Both directions work page by page or
statement by statement, so memory stays bounded whatever the database size.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, cast
from urllib.parse import quote

from django.db.backends.base.base import BaseDatabaseWrapper

from django_snapshots.connectors._aliases import (
    connection_for,
    require_autocommit,
    thread_connection,
)
from django_snapshots.connectors._clients import has_marker_near_end
from django_snapshots.connectors._errors import one_line, reported
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["SQLITE_FORMAT", "SQL_FORMAT", "RestoreProgress", "SQLiteConnector"]

SQLITE_FORMAT: Final = "sqlite3"
"""The ``format`` metadata of a dump that is an SQLite database file."""

SQL_FORMAT: Final = "sql"
"""The ``format`` metadata of a dump that is SQL text (as 0.1.0b1 wrote)."""

_HEADER: Final = b"SQLite format 3\x00"
_HEADER_SIZE: Final = 100
_COMMIT: Final = "COMMIT;"
_SKIPPED_STATEMENTS: Final = frozenset({"BEGIN TRANSACTION;", "BEGIN;"})
_WAITING: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

RestoreProgress = Callable[[int, int], None]
"""Called after each restore step with ``(pages remaining, total pages)``."""

_Progress = Callable[[int, int, int], None]


def _raw(connection: BaseDatabaseWrapper) -> sqlite3.Connection:
    """Return the open ``sqlite3.Connection`` behind a Django connection."""
    connection.ensure_connection()
    return cast("sqlite3.Connection", connection.connection)


def _sql_statements(src: Path, db_alias: str) -> Iterator[str]:
    """Yield the statements of an SQL script one at a time, reading line by line."""
    lines: list[str] = []
    with src.open(encoding="utf-8", newline="") as script:
        for line in script:
            lines.append(line)
            if line.rstrip().endswith(";"):
                statement = "".join(lines)
                if sqlite3.complete_statement(statement):
                    lines.clear()
                    yield statement
    rest = "".join(lines)
    if rest.strip():
        raise SnapshotConnectorError(
            f"{src.name} ends inside an unfinished SQL statement; database alias {db_alias!r} "
            "was not changed"
        )


def _check_database_file(src: Path, db_alias: str) -> None:
    """Refuse an SQLite database file shorter than its header says (a truncated dump)."""
    with src.open("rb") as dump:
        header = dump.read(_HEADER_SIZE)
        size = os.fstat(dump.fileno()).st_size
    page_size = int.from_bytes(header[16:18], "big") if len(header) == _HEADER_SIZE else 0
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big") if page_size else 0
    # The page count is valid when the "version-valid-for" number matches the change counter.
    counted = page_size and header[92:96] == header[24:28]
    expected = page_size * pages if counted else page_size
    if not page_size or size < expected or size % page_size:
        raise SnapshotConnectorError(
            f"SQLite dump {src.name} is truncated ({size} bytes, its header needs "
            f"{max(expected, _HEADER_SIZE)}); database alias {db_alias!r} was not changed"
        )


class SQLiteConnector:
    """Dump and restore SQLite databases through Django's own connection.

    Because it uses ``connections[alias]``, it also works for in-memory databases such
    as the ones pytest-django creates. Restoring needs the connection in autocommit
    mode (not inside ``transaction.atomic()``).
    """

    pages_per_step: int
    """Pages copied per restore step; between steps ``progress`` is called."""
    progress: RestoreProgress | None
    """Optional restore progress callback; raising from it aborts the restore."""
    busy_timeout: float
    """Seconds to wait for another connection's lock before failing."""

    def __init__(
        self,
        pages_per_step: int = 4096,
        progress: RestoreProgress | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        """Make a connector restoring ``pages_per_step`` pages at a time."""
        self.pages_per_step = pages_per_step
        self.progress = progress
        self.busy_timeout = busy_timeout

    def _step_callback(self, what: str, report: RestoreProgress | None) -> _Progress:
        """Return a backup progress callback that gives up after :attr:`busy_timeout`."""
        deadline: list[float] = []
        timeout = self.busy_timeout

        def step(status: int, remaining: int, total: int) -> None:
            if status in _WAITING:
                if not deadline:
                    deadline.append(time.monotonic() + timeout)
                elif time.monotonic() > deadline[0]:
                    raise SnapshotConnectorError(
                        f"{what}: the database stayed locked for {timeout:g} seconds"
                    )
                return
            deadline.clear()
            if report is not None:
                report(remaining, total)

        return step

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Copy ``db_alias`` to ``dest`` consistently; return its ``format``.

        Outside a transaction the dump is an SQLite database file made by the backup
        API; inside one (whose uncommitted rows the backup API cannot read) it is the
        transaction's view as SQL text.
        """
        with reported(f"SQLite dump of database alias {db_alias!r}", sqlite3.Error):
            with thread_connection(db_alias, "sqlite") as connection:
                return self._dump(db_alias, _raw(connection), dest)

    def _dump(self, db_alias: str, source: sqlite3.Connection, dest: Path) -> dict[str, Any]:
        """Write the dump of the open ``source`` connection; remove ``dest`` on failure."""
        dest.unlink(missing_ok=True)
        try:
            if source.in_transaction:
                with dest.open("w", encoding="utf-8", newline="") as out:
                    for statement in source.iterdump():
                        out.write(f"{statement}\n")
                return {"format": SQL_FORMAT}
            target = sqlite3.connect(dest)
            try:
                what = f"SQLite dump of database alias {db_alias!r}"
                source.backup(target, progress=self._step_callback(what, None))
            finally:
                target.close()
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        return {"format": SQLITE_FORMAT}

    def restore(self, db_alias: str, src: Path) -> None:
        """Replace ``db_alias`` with the dump at ``src``, all or nothing."""
        what = f"SQLite restore of database alias {db_alias!r}"
        with reported(what, sqlite3.Error, UnicodeDecodeError):
            connection = connection_for(db_alias, "sqlite")
            with src.open("rb") as head:
                is_database = head.read(len(_HEADER)) == _HEADER
            if is_database:
                _check_database_file(src, db_alias)
            elif not has_marker_near_end(src, _COMMIT.encode()):
                raise SnapshotConnectorError(
                    f"{src.name} is neither an SQLite database file nor a complete SQL dump "
                    f"(no {_COMMIT} at its end); database alias {db_alias!r} was not changed"
                )
            require_autocommit(connection)
            if is_database:
                self._restore_database(_raw(connection), src, what)
            else:
                self._restore_script(_raw(connection), src, db_alias)

    def _restore_database(self, target: sqlite3.Connection, src: Path, what: str) -> None:
        """Check the dump file, then copy its pages into ``target`` in one transaction."""
        source = sqlite3.connect(f"file:{quote(str(src.resolve()))}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in source.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise SnapshotConnectorError(
                    f"{what} refused: the dump {src.name} is damaged "
                    f"({one_line('; '.join(map(str, problems[:3])))}); the database was not changed"
                )
            step = self._step_callback(what, self.progress)
            source.backup(target, pages=self.pages_per_step, progress=step)
        finally:
            source.close()

    @staticmethod
    def _restore_script(target: sqlite3.Connection, src: Path, db_alias: str) -> None:
        """Drop every object and run the 0.1.0b1 SQL script, all in one transaction."""
        foreign_keys = target.execute("PRAGMA foreign_keys").fetchone()[0]
        # Cannot change inside a transaction: switch off before BEGIN, restore after.
        target.execute("PRAGMA foreign_keys = OFF")
        try:
            target.execute("BEGIN IMMEDIATE")
            try:
                objects = target.execute(
                    "SELECT type, name FROM sqlite_master "
                    "WHERE type IN ('view', 'table') AND name NOT LIKE 'sqlite_%' "
                    "ORDER BY type = 'table', name"
                ).fetchall()
                for kind, name in objects:
                    quoted = '"' + str(name).replace('"', '""') + '"'
                    target.execute(f"DROP {str(kind).upper()} {quoted}")
                last = ""
                for statement in _sql_statements(src, db_alias):
                    last = statement.strip().upper()
                    if last not in _SKIPPED_STATEMENTS and last != _COMMIT:
                        target.execute(statement)
                if last != _COMMIT:
                    raise SnapshotConnectorError(
                        f"{src.name} ends before its {_COMMIT} (a truncated dump); database "
                        f"alias {db_alias!r} was not changed"
                    )
                target.execute("COMMIT")
            except BaseException:
                if target.in_transaction:
                    target.execute("ROLLBACK")
                raise
        finally:
            target.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
