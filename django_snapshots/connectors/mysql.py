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

import os
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, cast

from django_snapshots.connectors._aliases import (
    close_django_connection,
    connection_for,
    settings_for,
)
from django_snapshots.connectors._clients import (
    describe_exit,
    has_marker_near_end,
    needed_by,
    private_directory,
    read_stderr,
    resolve_executable,
    run_tool,
    summarise,
    tool_version,
    write_private_file,
)
from django_snapshots.connectors._errors import one_line, reported
from django_snapshots.connectors._mysql_swap import create_scratch, drop_database, swap
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["MySQLConnector"]

_CLIENT_HINT = "the MariaDB or MySQL client tools (e.g. apt install mariadb-client)"
_DUMP_TOOLS = ("mariadb-dump", "mysqldump")
_CLIENT_TOOLS = ("mariadb", "mysql")
_DUMP_END = b"-- Dump completed"

_SSL_KEYS = {
    "ca": "ssl-ca",
    "cert": "ssl-cert",
    "key": "ssl-key",
    "capath": "ssl-capath",
    "cipher": "ssl-cipher",
}


def _option_value(value: object) -> str:
    """Quote a value for a MySQL option file."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _whole_number(db_alias: str, setting: str, value: object) -> int:
    """Return ``value`` as an int; raise naming the alias's setting if it is not one."""
    try:
        return int(str(value))
    except ValueError:
        raise SnapshotConnectorError(
            f"database alias {db_alias!r}: {setting} must be a whole number, not {value!r}"
        ) from None


def _first_tool(candidates: Sequence[str], explicit: str | None, db_alias: str) -> str:
    """Return the first client tool of ``candidates`` found on PATH (or ``explicit``)."""
    if explicit is not None:
        return resolve_executable(explicit, hint=_CLIENT_HINT, db_alias=db_alias)
    for candidate in candidates:
        try:
            return resolve_executable(candidate, hint=_CLIENT_HINT)
        except SnapshotConnectorError:
            continue
    raise SnapshotConnectorError(
        f"neither {' nor '.join(candidates)} found on PATH: install {_CLIENT_HINT}"
        f"{needed_by(db_alias)}"
    )


def _database_name(db_alias: str) -> str:
    """Return the ``NAME`` of ``db_alias`` (a MySQL alias); raise if it has none."""
    name = str(settings_for(db_alias, "mysql").get("NAME") or "")
    if not name:
        raise SnapshotConnectorError(f"database alias {db_alias!r} has no NAME")
    return name


def _driver_error(db_alias: str) -> type[Exception]:
    """Return the base class of the errors the alias's DB-API driver raises."""
    database: Any = getattr(connection_for(db_alias, "mysql"), "Database")  # noqa: B009
    return cast("type[Exception]", database.Error)


def _admin_connection(db_alias: str) -> Any:
    """Open a separate DB-API connection with the alias's settings, in autocommit mode."""
    wrapper = connection_for(db_alias, "mysql")
    try:
        raw: Any = wrapper.get_new_connection(wrapper.get_connection_params())
        raw.cursor().execute("SET SESSION autocommit = 1")
    except Exception as error:
        raise SnapshotConnectorError(
            f"cannot connect to database alias {db_alias!r}: {one_line(error)}"
        ) from error
    return raw


def _environment(db_alias: str) -> dict[str, str]:
    """Return the tools' environment: without MYSQL_PWD when the option file has a password."""
    env = dict(os.environ)
    settings = settings_for(db_alias, "mysql")
    options: Mapping[str, Any] = settings.get("OPTIONS") or {}
    if settings.get("PASSWORD") or options.get("password") or options.get("passwd"):
        env.pop("MYSQL_PWD", None)
    return env


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
            lines.append(f"port={_whole_number(db_alias, 'PORT', port)}")
        ssl: Mapping[str, Any] = options.get("ssl") or {}
        for key, option in _SSL_KEYS.items():
            if ssl.get(key):
                lines.append(f"{option}={_option_value(ssl[key])}")
        if options.get("connect_timeout"):
            timeout = _whole_number(
                db_alias, "OPTIONS['connect_timeout']", options["connect_timeout"]
            )
            lines.append(f"connect-timeout={timeout}")
        path = private_dir / "client.cnf"
        write_private_file(path, "\n".join(lines) + "\n")
        return path

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Write a consistent SQL dump of ``db_alias`` (routines, triggers, events) to ``dest``."""
        with reported(f"dump of database alias {db_alias!r}"):
            name = _database_name(db_alias)
            tool = _first_tool(_DUMP_TOOLS, self.dump_command, db_alias)
            version = tool_version(tool, db_alias=db_alias)
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
                    raise _dump_error(db_alias, Path(tool).name, status, read_stderr(stderr_path))
        return {"format": "sql", "dump_tool": version}

    def check_restore(self, db_alias: str, metadata: dict[str, Any]) -> None:
        """Refuse, before anything is touched, a restore that cannot start.

        The client tool must be installed and the alias's database must exist and be
        reachable; ``metadata`` (the dump's, from the manifest) needs nothing more.
        """
        with reported(f"restore pre-flight of database alias {db_alias!r}"):
            _database_name(db_alias)
            _first_tool(_CLIENT_TOOLS, self.client_command, db_alias)
            _admin_connection(db_alias).close()

    def restore(self, db_alias: str, src: Path) -> None:
        """Replace the contents of ``db_alias`` with the dump at ``src``, swapping it in."""
        what = f"restore of database alias {db_alias!r}"
        with reported(what, unchanged=True):
            target = _database_name(db_alias)
            client = _first_tool(_CLIENT_TOOLS, self.client_command, db_alias)
            if not has_marker_near_end(src, _DUMP_END):
                raise SnapshotConnectorError(
                    f"{src.name} is not a complete mysqldump/mariadb-dump file (no "
                    f"'-- Dump completed' line at its end); database alias {db_alias!r} "
                    "was not changed"
                )
            driver_error = _driver_error(db_alias)
            close_django_connection(db_alias)
            raw = _admin_connection(db_alias)
            try:
                cursor: Any = raw.cursor()
                with reported(what, driver_error, unchanged=True):
                    scratch, token = create_scratch(cursor, db_alias, target)
                    try:
                        self._load(db_alias, client, scratch, src)
                        swap(cursor, db_alias, target, scratch, token)
                    finally:
                        # If this fails, the next restore of the database drops the copy.
                        with suppress(driver_error):
                            drop_database(cursor, scratch)
            finally:
                with suppress(driver_error):
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


def _dump_error(db_alias: str, tool: str, status: int, stderr: str) -> SnapshotConnectorError:
    """Build the error for a failed dump tool, explaining a client/server flavour mismatch."""
    hint = ""
    if "COLUMN_STATISTICS" in stderr or "unknown variable" in stderr.lower():
        hint = (
            " (the dump tool does not match the server: use the client tools"
            " of the server's flavour and version)"
        )
    return SnapshotConnectorError(
        f"dump of database alias {db_alias!r} failed "
        f"({describe_exit(tool, status)}): {summarise(stderr)}{hint}"
    )
