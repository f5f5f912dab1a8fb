"""MySQLConnector: MySQL and MariaDB with ``mariadb-dump``/``mysqldump`` and a swap-in restore.

Dump
    ``mariadb-dump`` (or ``mysqldump``) with ``--single-transaction`` (one consistent
    InnoDB snapshot, no table locks), routines, triggers and events, binary columns as
    hex and ``utf8mb4``, written straight to the destination file.

Restore (all or nothing as far as MySQL allows)
    MySQL cannot roll back DDL, so the dump is never loaded into the live database.
    Instead the connector

    1. loads it into a fresh scratch database (``snaprst_<hash>_<token>``) with the
       ``mariadb``/``mysql`` client. Any failure here (a corrupt or truncated dump, a
       killed client, a failing statement) drops the scratch database and leaves the
       live database untouched;
    2. swaps the tables in with ONE ``RENAME TABLE`` statement, which the server applies
       atomically: every live table and view is renamed aside and every restored table
       moves in, or nothing happens;
    3. recreates routines, views, triggers and events from the scratch copy, then drops
       the renamed-aside old objects and the scratch database.

    Step 3 is not transactional: a crash during it can leave the new tables in place
    with some routines, views, triggers or events missing (the old tables are still in
    the live database under ``_snapold_*`` names until the end). Running the restore
    again repairs it. A server-side ``GET_LOCK`` keeps two restores of one database from
    overlapping, and scratch databases left by a killed restore are dropped by the next
    restore of the same database.

Credentials
    User, password, host, port and TLS settings go into a temporary 0600 option file
    passed as ``--defaults-extra-file`` (always the first option) inside a private
    temporary directory that is removed afterwards.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_snapshots.connectors._aliases import connection_for
from django_snapshots.connectors._clients import (
    close_django_connection,
    describe_exit,
    has_marker_near_end,
    private_directory,
    read_stderr,
    resolve_executable,
    run_tool,
    settings_for,
    summarise,
    write_private_file,
)
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["MySQLConnector"]

_CLIENT_HINT = "the MariaDB or MySQL client tools (e.g. apt install mariadb-client)"
_SCRATCH_PREFIX = "snaprst_"
_OLD_PREFIX = "_snapold_"

_SSL_KEYS = {
    "ca": "ssl-ca",
    "cert": "ssl-cert",
    "key": "ssl-key",
    "capath": "ssl-capath",
    "cipher": "ssl-cipher",
}


def _quote_identifier(name: str) -> str:
    """Quote a MySQL identifier."""
    return "`" + name.replace("`", "``") + "`"


def _option_value(value: object) -> str:
    """Quote a value for a MySQL option file."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _first_tool(candidates: Sequence[str], explicit: str | None) -> str:
    """Return the first client tool of ``candidates`` found on PATH (or ``explicit``)."""
    if explicit is not None:
        return resolve_executable(explicit, hint=_CLIENT_HINT)
    for candidate in candidates:
        try:
            return resolve_executable(candidate, hint=_CLIENT_HINT)
        except SnapshotConnectorError:
            continue
    raise SnapshotConnectorError(
        f"neither {' nor '.join(candidates)} found on PATH: install {_CLIENT_HINT}"
    )


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


class MySQLConnector:
    """Dump and restore a MySQL or MariaDB database with the server's client tools.

    ``dump_command`` and ``client_command`` override the tools (default: ``mariadb-dump``
    or ``mysqldump``, and ``mariadb`` or ``mysql``, whichever is found first on PATH).
    ``events=False`` leaves scheduled events out of dumps (they need the EVENT privilege).
    """

    dump_command: str | None
    client_command: str | None
    events: bool

    def __init__(
        self,
        *,
        dump_command: str | None = None,
        client_command: str | None = None,
        events: bool = True,
    ) -> None:
        """Configure which client tools to run and whether to dump events."""
        self.dump_command = dump_command
        self.client_command = client_command
        self.events = events

    def options_file(self, db_alias: str, private_dir: Path) -> Path:
        """Write the 0600 option file with the credentials of ``db_alias``; return its path."""
        settings = settings_for(db_alias, "mysql")
        options: Mapping[str, Any] = settings.get("OPTIONS") or {}
        lines: list[str] = []
        if options.get("read_default_file"):
            lines.append(f"!include {options['read_default_file']}")
        lines.append("[client]")
        user = options.get("user") or settings.get("USER")
        password = options.get("password") or options.get("passwd") or settings.get("PASSWORD")
        host = options.get("host") or settings.get("HOST")
        port = options.get("port") or settings.get("PORT")
        socket = options.get("unix_socket")
        if user:
            lines.append(f"user={_option_value(user)}")
        if password:
            lines.append(f"password={_option_value(password)}")
        if host and str(host).startswith("/"):
            socket = host
        elif host:
            lines.append(f"host={_option_value(host)}")
        if socket:
            lines.append(f"socket={_option_value(socket)}")
        if port:
            lines.append(f"port={int(port)}")
        ssl: Mapping[str, Any] = options.get("ssl") or {}
        for key, option in _SSL_KEYS.items():
            if ssl.get(key):
                lines.append(f"{option}={_option_value(ssl[key])}")
        if options.get("connect_timeout"):
            lines.append(f"connect-timeout={int(options['connect_timeout'])}")
        path = private_dir / "client.cnf"
        write_private_file(path, "\n".join(lines) + "\n")
        return path

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Write a consistent SQL dump of ``db_alias`` (routines, triggers, events) to ``dest``."""
        tool = _first_tool(("mariadb-dump", "mysqldump"), self.dump_command)
        version = _tool_version(tool)
        name = str(settings_for(db_alias, "mysql")["NAME"])
        with private_directory() as private_dir:
            argv = [
                tool,
                f"--defaults-extra-file={self.options_file(db_alias, private_dir)}",
                "--single-transaction",
                "--routines",
                "--triggers",
                "--hex-blob",
                "--default-character-set=utf8mb4",
                "--no-tablespaces",
                f"--result-file={dest}",
            ]
            if self.events:
                argv.append("--events")
            if "mariadb" not in version.lower():
                argv += ["--set-gtid-purged=OFF", "--column-statistics=0"]
            argv.append(name)
            stderr_path = private_dir / "dump.stderr"
            status = run_tool(argv, env=_environment(db_alias), stderr_path=stderr_path)
            if status != 0:
                stderr = read_stderr(stderr_path)
                hint = ""
                if "COLUMN_STATISTICS" in stderr or "unknown variable" in stderr.lower():
                    hint = (
                        " (the dump tool does not match the server: use the client tools"
                        " of the server's flavour and version)"
                    )
                raise SnapshotConnectorError(
                    f"dump of database alias {db_alias!r} failed "
                    f"({describe_exit(Path(tool).name, status)}): {summarise(stderr)}{hint}"
                )
        return {"format": "sql", "dump_tool": version}

    def restore(self, db_alias: str, src: Path) -> None:
        """Replace the contents of ``db_alias`` with the dump at ``src``, swapping it in."""
        client = _first_tool(("mariadb", "mysql"), self.client_command)
        if not has_marker_near_end(src, b"-- Dump completed"):
            raise SnapshotConnectorError(
                f"{src.name} is not a complete mysqldump/mariadb-dump file (no '-- Dump completed' "
                f"line at its end); database alias {db_alias!r} was not changed"
            )
        target = str(settings_for(db_alias, "mysql")["NAME"])
        close_django_connection(db_alias)
        raw = _admin_connection(db_alias)
        try:
            cursor: Any = raw.cursor()
            scratch, token = _create_scratch(cursor, db_alias, target)
            try:
                self._load(db_alias, client, scratch, src)
                _swap(cursor, db_alias, target, scratch, token)
            finally:
                _execute(cursor, f"DROP DATABASE IF EXISTS {_quote_identifier(scratch)}")
        finally:
            raw.close()
            close_django_connection(db_alias)

    def _load(self, db_alias: str, client: str, scratch: str, src: Path) -> None:
        """Load the dump at ``src`` into database ``scratch`` with the command-line client."""
        with private_directory() as private_dir:
            argv = [
                client,
                f"--defaults-extra-file={self.options_file(db_alias, private_dir)}",
                "--binary-mode",
                "--default-character-set=utf8mb4",
                f"--database={scratch}",
            ]
            stderr_path = private_dir / "client.stderr"
            with src.open("rb") as dump:
                status = run_tool(
                    argv, env=_environment(db_alias), stderr_path=stderr_path, stdin=dump
                )
            if status != 0:
                raise SnapshotConnectorError(
                    f"restore of database alias {db_alias!r} failed; the database was not changed "
                    f"({describe_exit(Path(client).name, status)}): "
                    f"{summarise(read_stderr(stderr_path))}"
                )


def _admin_connection(db_alias: str) -> Any:
    """Open a separate DB-API connection with the alias's settings, in autocommit mode."""
    wrapper = connection_for(db_alias, "mysql")
    try:
        raw: Any = wrapper.get_new_connection(wrapper.get_connection_params())
        raw.cursor().execute("SET SESSION autocommit = 1")
    except Exception as error:
        raise SnapshotConnectorError(
            f"cannot connect to database alias {db_alias!r}: {' '.join(str(error).split())}"
        ) from error
    return raw


def _create_scratch(cursor: Any, db_alias: str, target: str) -> tuple[str, str]:
    """Lock out other restores of ``target`` and create its scratch database.

    Scratch databases that earlier, killed restores of ``target`` left behind are
    dropped first. Return the scratch database's name and its random token.
    """
    digest = hashlib.sha1(target.encode(), usedforsecurity=False).hexdigest()
    if (
        _fetch(cursor, "SELECT GET_LOCK(%s, 0)", [f"django_snapshots_restore_{digest[:32]}"])[0][0]
        != 1
    ):
        raise SnapshotConnectorError(
            f"another restore of database alias {db_alias!r} is running; "
            "the database was not changed"
        )
    prefix = f"{_SCRATCH_PREFIX}{digest[:12]}_"
    charset, collation = _fetch(
        cursor,
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
        "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        [target],
    )[0]
    for (stale,) in _fetch(
        cursor,
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s",
        ["snaprst\\_%"],
    ):
        if str(stale).startswith(prefix):
            _execute(cursor, f"DROP DATABASE IF EXISTS {_quote_identifier(str(stale))}")
    token = uuid.uuid4().hex[:8]
    scratch = f"{prefix}{token}"
    _execute(
        cursor,
        f"CREATE DATABASE {_quote_identifier(scratch)} CHARACTER SET {charset} COLLATE {collation}",
    )
    return scratch, token


def _environment(db_alias: str) -> dict[str, str]:
    """Return the tools' environment: without MYSQL_PWD when the option file has a password."""
    env = dict(os.environ)
    settings = settings_for(db_alias, "mysql")
    options: Mapping[str, Any] = settings.get("OPTIONS") or {}
    if settings.get("PASSWORD") or options.get("password") or options.get("passwd"):
        env.pop("MYSQL_PWD", None)
    return env


def _tool_version(executable: str) -> str:
    """Return the first line a client tool prints for ``--version``."""
    result = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    return (result.stdout.strip().splitlines() or [""])[0]


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


def _definitions(cursor: Any, database: str, *, with_sql: bool = True) -> _Definitions:
    """Read the tables and the SQL that recreates the other objects of ``database``.

    Without ``with_sql`` only the names are read (the SQL fields are left empty).
    """
    found = _Definitions()
    _execute(cursor, f"USE {_quote_identifier(database)}")
    for name, kind in _fetch(
        cursor,
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
        "ORDER BY TABLE_NAME",
        [database],
    ):
        if kind == "VIEW" and with_sql:
            found.views[str(name)] = str(
                _fetch(cursor, f"SHOW CREATE VIEW {_quote_identifier(str(name))}")[0][1]
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
            _fetch(cursor, f"SHOW CREATE TRIGGER {_quote_identifier(str(name))}")[0]
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
            _fetch(cursor, f"SHOW CREATE {kind} {_quote_identifier(str(name))}")[0]
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
            _fetch(cursor, f"SHOW CREATE EVENT {_quote_identifier(str(name))}")[0]
            if with_sql
            else ("", "", "", "")
        )
        found.events.append((str(name), str(row[1]), str(row[2]), str(row[3])))
    return found


def _swap(cursor: Any, db_alias: str, target: str, scratch: str, token: str) -> None:
    """Move the tables of ``scratch`` into ``target`` atomically, then rebuild the rest."""
    quote = _quote_identifier
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
                f"(swapping the tables in): {' '.join(str(error).split())}"
            ) from error
    try:
        _rebuild(cursor, target, old, new, aside)
    except Exception as error:
        raise SnapshotConnectorError(
            f"restore of database alias {db_alias!r}: the tables were swapped in but recreating "
            f"routines, views, triggers or events failed ({' '.join(str(error).split())}); "
            f"run the restore again"
        ) from error


def _rebuild(
    cursor: Any, target: str, old: _Definitions, new: _Definitions, aside: dict[str, str]
) -> None:
    """Replace the old routines, views, triggers and events of ``target`` with the new ones."""
    quote = _quote_identifier
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
