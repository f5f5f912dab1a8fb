"""PostgresConnector: dump with ``pg_dump``, restore in one transaction with ``psql``.

Dump
    ``pg_dump --format=custom`` writes straight to the destination file, inside one
    repeatable-read snapshot, so the dump is consistent while the site keeps running.
    Ownership and privileges are left out so any role can restore it. The archive is
    uncompressed by default (``compress_level=0``) because the engine compresses the
    artifact itself; compressing twice costs time and saves nothing.

Restore (all or nothing)
    ``pg_restore`` converts the archive to SQL and the connector streams that SQL into
    ``psql --single-transaction`` behind a prologue that first drops every object of the
    current database's schemas that the restoring role owns. Wipe, schema and data are
    therefore one transaction: if anything fails, if ``pg_restore`` or ``psql`` dies, or
    if the stream ends early, the server rolls everything back and the previous
    contents stay in place. ``psql`` only commits after an epilogue that checks a
    marker the connector sends once ``pg_restore`` has finished successfully, so even a
    killed Python process cannot commit half a restore. Plain-SQL dumps written by
    django-snapshots 0.1.0b1 are recognised and restored the same way.

Credentials
    The password goes into a temporary 0600 passfile (``PGPASSFILE``) inside a private
    temporary directory that is removed afterwards; nothing secret is on a command line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from django_snapshots.connectors._aliases import close_django_connection, settings_for
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
from django_snapshots.connectors._errors import reported
from django_snapshots.connectors._postgres_sql import EPILOGUE_SQL, prologue
from django_snapshots.connectors._postgres_stream import stream_restore
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["CUSTOM_FORMAT", "PostgresConnector"]

CUSTOM_FORMAT: Final = "pg_dump-custom"
"""The ``format`` metadata of a dump that is a ``pg_dump --format=custom`` archive."""

_CLIENT_HINT = "the PostgreSQL client tools (e.g. apt install postgresql-client)"
_CUSTOM_MAGIC = b"PGDMP"
_PLAIN_END = b"PostgreSQL database dump complete"

# libpq connection keywords accepted in OPTIONS and passed on to the tools.
_LIBPQ_KEYWORDS = frozenset(
    {
        "application_name",
        "channel_binding",
        "client_encoding",
        "connect_timeout",
        "fallback_application_name",
        "gssencmode",
        "gsslib",
        "hostaddr",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "krbsrvname",
        "load_balance_hosts",
        "options",
        "passfile",
        "require_auth",
        "requirepeer",
        "service",
        "ssl_max_protocol_version",
        "ssl_min_protocol_version",
        "sslcert",
        "sslcompression",
        "sslcrl",
        "sslcrldir",
        "sslkey",
        "sslmode",
        "sslrootcert",
        "sslsni",
        "target_session_attrs",
        "tcp_user_timeout",
    }
)

_VERSION_MISMATCH = re.compile(r"server version:\s*([\w.]+);\s*pg_dump version:\s*([\w.]+)")
_VERSION = re.compile(r"\d+(?:\.\d+)+")
_MAJOR = re.compile(r"(\d+)(?:\.(\d+))?")


def _quote_conninfo(value: str) -> str:
    """Quote one libpq conninfo value."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _escape_passfile(value: str) -> str:
    """Escape one field of a libpq passfile line."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _major(version: str) -> tuple[int, ...] | None:
    """Return the major version of a PostgreSQL version string (``(15,)``, ``(9, 6)``)."""
    match = _MAJOR.match(version.strip())
    if match is None:
        return None
    major = int(match.group(1))
    return (major,) if major >= 10 else (major, int(match.group(2) or 0))


def _pg_dump_error(db_alias: str, status: int, stderr: str) -> SnapshotConnectorError:
    """Build the error for a failed ``pg_dump``, explaining a server version mismatch."""
    mismatch = _VERSION_MISMATCH.search(stderr)
    if mismatch is not None:
        server, client = mismatch.groups()
        major = server.split(".")[0]
        return SnapshotConnectorError(
            f"pg_dump {client} cannot dump database alias {db_alias!r}: the server runs "
            f"PostgreSQL {server}, which is newer; install postgresql-client-{major} (or "
            f"newer) and put its pg_dump first on PATH, or pass "
            f"PostgresConnector(bin_dir=...)"
        )
    return SnapshotConnectorError(
        f"pg_dump failed for database alias {db_alias!r} "
        f"({describe_exit('pg_dump', status)}): {summarise(stderr)}"
    )


class PostgresConnector:
    """Dump and restore a PostgreSQL database with ``pg_dump``, ``pg_restore`` and ``psql``.

    ``bin_dir`` selects the directory of the client tools (default: found on PATH),
    ``compress_level`` the compression inside the custom-format archive (0-9).
    """

    bin_dir: Path | None
    compress_level: int

    def __init__(self, *, bin_dir: str | Path | None = None, compress_level: int = 0) -> None:
        """Configure where the client tools live and how the archive is compressed."""
        if not 0 <= compress_level <= 9:
            raise ValueError(f"compress_level must be between 0 and 9, not {compress_level}")
        self.bin_dir = Path(bin_dir) if bin_dir is not None else None
        self.compress_level = compress_level

    def executable(self, tool: str, *, db_alias: str | None = None) -> str:
        """Return the path of client tool ``tool``, or raise if it is not installed.

        ``db_alias`` is named in the error, if given.
        """
        if self.bin_dir is not None:
            path = self.bin_dir / tool
            if not os.access(path, os.X_OK):
                raise SnapshotConnectorError(
                    f"{tool} not found in {self.bin_dir}: install {_CLIENT_HINT}"
                    f"{needed_by(db_alias)}"
                )
            return str(path)
        return resolve_executable(tool, hint=_CLIENT_HINT, db_alias=db_alias)

    def connection_arguments(
        self, db_alias: str, private_dir: Path
    ) -> tuple[list[str], dict[str, str]]:
        """Return the command-line arguments and environment that reach ``db_alias``.

        A password is written to a 0600 passfile in ``private_dir``; the arguments
        never hold a secret.
        """
        settings = settings_for(db_alias, "postgresql")
        options: Mapping[str, Any] = settings.get("OPTIONS") or {}
        if "sslpassword" in options:
            raise SnapshotConnectorError(
                f"database alias {db_alias!r}: OPTIONS['sslpassword'] cannot be passed to "
                f"the PostgreSQL client tools without exposing it; use an unencrypted key "
                f"or a service file (OPTIONS['service'])"
            )
        conninfo: dict[str, str] = {}
        for key, setting in (("host", "HOST"), ("port", "PORT"), ("user", "USER")):
            if settings.get(setting):
                conninfo[key] = str(settings[setting])
        if settings.get("NAME"):
            conninfo["dbname"] = str(settings["NAME"])
        elif "service" not in options:
            conninfo["dbname"] = "postgres"
        for key, value in options.items():
            if key in _LIBPQ_KEYWORDS and value is not None:
                conninfo[key] = str(value)
        env = dict(os.environ)
        if settings.get("PASSWORD"):
            env.pop("PGPASSWORD", None)  # it would take precedence over the passfile
            passfile = private_dir / "pgpass"
            write_private_file(passfile, f"*:*:*:*:{_escape_passfile(str(settings['PASSWORD']))}\n")
            conninfo["passfile"] = str(passfile)
        dbname = " ".join(f"{key}={_quote_conninfo(value)}" for key, value in conninfo.items())
        return ["--no-password", f"--dbname={dbname}"], env

    @staticmethod
    def assumed_role(db_alias: str) -> str | None:
        """Return the role named by ``OPTIONS["assume_role"]`` of ``db_alias``, if any."""
        options: Mapping[str, Any] = settings_for(db_alias, "postgresql").get("OPTIONS") or {}
        role = options.get("assume_role")
        return str(role) if role else None

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Write a consistent custom-format ``pg_dump`` archive of ``db_alias`` to ``dest``."""
        with reported(f"pg_dump of database alias {db_alias!r}"):
            settings_for(db_alias, "postgresql")
            pg_dump = self.executable("pg_dump", db_alias=db_alias)
            version = _numeric_version(tool_version(pg_dump, db_alias=db_alias))
            with private_directory() as private_dir:
                arguments, env = self.connection_arguments(db_alias, private_dir)
                argv = [
                    pg_dump,
                    "--format=custom",
                    f"--compress={self.compress_level}",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={dest}",
                    *arguments,
                ]
                role = self.assumed_role(db_alias)
                if role is not None:
                    argv.append(f"--role={role}")
                stderr_path = private_dir / "pg_dump.stderr"
                status = run_tool(argv, env=env, stderr_path=stderr_path)
                if status != 0:
                    raise _pg_dump_error(db_alias, status, read_stderr(stderr_path))
        return {
            "format": CUSTOM_FORMAT,
            "compress_level": self.compress_level,
            "pg_dump_version": version,
        }

    def check_restore(self, db_alias: str, metadata: dict[str, Any]) -> None:
        """Refuse, before anything is touched, a dump this host cannot restore.

        The client tools must be installed, and ``pg_restore`` must be at least the
        major version of the ``pg_dump`` recorded in ``metadata`` (dumps recorded
        without ``"pg_dump_version"`` pass).
        """
        with reported(f"restore pre-flight of database alias {db_alias!r}"):
            settings_for(db_alias, "postgresql")
            self.executable("psql", db_alias=db_alias)
            dumped = metadata.get("pg_dump_version")
            if metadata.get("format") != CUSTOM_FORMAT and dumped is None:
                return
            pg_restore = self.executable("pg_restore", db_alias=db_alias)
            dumped_major = _major(str(dumped)) if dumped is not None else None
            if dumped_major is None:
                return
            restoring = _numeric_version(tool_version(pg_restore, db_alias=db_alias))
            restoring_major = _major(restoring)
            if restoring_major is not None and restoring_major < dumped_major:
                newer = ".".join(map(str, dumped_major))
                raise SnapshotConnectorError(
                    f"pg_restore {restoring} cannot restore database alias {db_alias!r} from "
                    f"a dump made by pg_dump {dumped}, which is newer; install "
                    f"postgresql-client-{newer} (or newer) and put it first on PATH, or pass "
                    f"PostgresConnector(bin_dir=...); the database was not changed"
                )

    def restore(self, db_alias: str, src: Path) -> None:
        """Replace the contents of ``db_alias`` with the dump at ``src`` in one transaction.

        Accepts a custom-format archive or a plain SQL dump (as 0.1.0b1 wrote).
        """
        with reported(f"restore of database alias {db_alias!r}"):
            settings_for(db_alias, "postgresql")
            psql = self.executable("psql", db_alias=db_alias)
            with src.open("rb") as probe:
                custom = probe.read(len(_CUSTOM_MAGIC)) == _CUSTOM_MAGIC
            if not custom and not has_marker_near_end(src, _PLAIN_END):
                raise SnapshotConnectorError(
                    f"{src.name} is neither a pg_dump custom archive nor a complete plain "
                    f"pg_dump file; database alias {db_alias!r} was not changed"
                )
            pg_restore = self.executable("pg_restore", db_alias=db_alias) if custom else None
            close_django_connection(db_alias)
            try:
                with private_directory() as private_dir:
                    arguments, env = self.connection_arguments(db_alias, private_dir)
                    epilogue = private_dir / "epilogue.sql"
                    write_private_file(epilogue, EPILOGUE_SQL)
                    psql_argv = [
                        psql,
                        "--no-psqlrc",
                        "--quiet",
                        "--single-transaction",
                        "--set=ON_ERROR_STOP=1",
                        f"--command={prologue(self.assumed_role(db_alias))}",
                        "--file=-",
                        f"--file={epilogue}",
                        *arguments,
                    ]
                    stream_restore(db_alias, src, pg_restore, psql_argv, env, private_dir)
            finally:
                close_django_connection(db_alias)

    @staticmethod
    def tool_version(executable: str) -> str:
        """Return the version a PostgreSQL client tool reports, e.g. ``"15.20"``."""
        return _numeric_version(tool_version(executable))


def _numeric_version(reported_version: str) -> str:
    """Return the dotted number in a ``--version`` line, or the line itself."""
    match = _VERSION.search(reported_version)
    return match.group(0) if match else reported_version
