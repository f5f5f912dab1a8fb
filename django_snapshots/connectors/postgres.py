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
import subprocess
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

from django_snapshots.connectors._clients import (
    CHUNK_SIZE,
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

__all__ = ["PostgresConnector"]

_CLIENT_HINT = "the PostgreSQL client tools (e.g. apt install postgresql-client)"
_CUSTOM_MAGIC = b"PGDMP"
_COMPLETE_VARIABLE = "django_snapshots_complete"

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

# Drop everything in the database's own schemas that the current role may drop, so
# objects absent from the dump vanish; runs inside the restore's transaction.
_WIPE_SQL = r"""
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
_EPILOGUE_SQL = f"""\\if :{{?{_COMPLETE_VARIABLE}}}
\\else
DO $django_snapshots$ BEGIN
    RAISE EXCEPTION 'django-snapshots: the restore stream ended early, rolling back';
END $django_snapshots$;
\\endif
"""

_VERSION_MISMATCH = re.compile(r"server version:\s*([\w.]+);\s*pg_dump version:\s*([\w.]+)")
_ARCHIVE_VERSION = re.compile(r"unsupported version \(([\d.]+)\) in file header")


def _quote_conninfo(value: str) -> str:
    """Quote one libpq conninfo value."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _quote_identifier(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _escape_passfile(value: str) -> str:
    """Escape one field of a libpq passfile line."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


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


def _pg_restore_error(db_alias: str, status: int, stderr: str) -> SnapshotConnectorError:
    """Build the error for a failed ``pg_restore``, explaining a too-new archive."""
    archive = _ARCHIVE_VERSION.search(stderr)
    if archive is not None:
        return SnapshotConnectorError(
            f"pg_restore cannot read the dump for database alias {db_alias!r}: its archive "
            f"format {archive.group(1)} was written by a newer pg_dump; install newer "
            f"PostgreSQL client tools; the database was not changed"
        )
    return SnapshotConnectorError(
        f"restore of database alias {db_alias!r} failed and was rolled back "
        f"({describe_exit('pg_restore', status)}): {summarise(stderr)}"
    )


def _pump(source: IO[bytes], sink: IO[bytes]) -> bool:
    """Copy ``source`` to ``sink`` in chunks; return False if the reader went away."""
    while chunk := source.read(CHUNK_SIZE):
        try:
            sink.write(chunk)
        except BrokenPipeError:
            return False
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` if it still runs, reap it and close its input pipe."""
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdin is not None:
        with suppress(OSError):
            process.stdin.close()


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

    def executable(self, tool: str) -> str:
        """Return the path of client tool ``tool``, or raise if it is not installed."""
        if self.bin_dir is not None:
            path = self.bin_dir / tool
            if not os.access(path, os.X_OK):
                raise SnapshotConnectorError(
                    f"{tool} not found in {self.bin_dir}: install {_CLIENT_HINT}"
                )
            return str(path)
        return resolve_executable(tool, hint=_CLIENT_HINT)

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
        pg_dump = self.executable("pg_dump")
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
            "format": "pg_dump-custom",
            "compress_level": self.compress_level,
            "pg_dump_version": self.tool_version(pg_dump),
        }

    def restore(self, db_alias: str, src: Path) -> None:
        """Replace the contents of ``db_alias`` with the dump at ``src`` in one transaction.

        Accepts a custom-format archive or a plain SQL dump (as 0.1.0b1 wrote).
        """
        psql = self.executable("psql")
        with src.open("rb") as probe:
            custom = probe.read(len(_CUSTOM_MAGIC)) == _CUSTOM_MAGIC
        if not custom and not has_marker_near_end(src, b"PostgreSQL database dump complete"):
            raise SnapshotConnectorError(
                f"{src.name} is neither a pg_dump custom archive nor a complete plain pg_dump "
                f"file; database alias {db_alias!r} was not changed"
            )
        pg_restore = self.executable("pg_restore") if custom else None
        close_django_connection(db_alias)
        try:
            with private_directory() as private_dir:
                arguments, env = self.connection_arguments(db_alias, private_dir)
                role = self.assumed_role(db_alias)
                prologue = (
                    _WIPE_SQL if role is None else f"SET ROLE {_quote_identifier(role)};{_WIPE_SQL}"
                )
                epilogue = private_dir / "epilogue.sql"
                write_private_file(epilogue, _EPILOGUE_SQL)
                psql_argv = [
                    psql,
                    "--no-psqlrc",
                    "--quiet",
                    "--single-transaction",
                    "--set=ON_ERROR_STOP=1",
                    f"--command={prologue}",
                    "--file=-",
                    f"--file={epilogue}",
                    *arguments,
                ]
                self._run_restore(db_alias, src, pg_restore, psql_argv, env, private_dir)
        finally:
            close_django_connection(db_alias)

    def _run_restore(
        self,
        db_alias: str,
        src: Path,
        pg_restore: str | None,
        psql_argv: list[str],
        env: dict[str, str],
        private_dir: Path,
    ) -> None:
        """Stream the dump's SQL into ``psql``; commit only if the whole stream arrived."""
        psql_stderr_path = private_dir / "psql.stderr"
        restore_stderr_path = private_dir / "pg_restore.stderr"
        with psql_stderr_path.open("wb") as psql_stderr:
            psql = subprocess.Popen(
                psql_argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=psql_stderr,
                env=env,
            )
        converter: subprocess.Popen[bytes] | None = None
        try:
            assert psql.stdin is not None
            if pg_restore is not None:
                with restore_stderr_path.open("wb") as restore_stderr:
                    converter = subprocess.Popen(
                        [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(src)],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=restore_stderr,
                        env=env,
                    )
                assert converter.stdout is not None
                delivered = _pump(converter.stdout, psql.stdin)
                if not delivered:
                    _stop(converter)
                converter_status = converter.wait()
            else:
                with src.open("rb") as plain:
                    delivered = _pump(plain, psql.stdin)
                converter_status = 0
            if delivered and converter_status != 0:
                _stop(psql)  # never let psql see end of input: its session rolls back
                raise _pg_restore_error(
                    db_alias, converter_status, read_stderr(restore_stderr_path)
                )
            if delivered:
                try:
                    psql.stdin.write(f"\n\\set {_COMPLETE_VARIABLE} 1\n".encode())
                    psql.stdin.close()
                except BrokenPipeError:
                    pass
            psql_status = psql.wait()
        except BaseException:
            _stop(psql)
            if converter is not None:
                _stop(converter)
            raise
        if psql_status != 0:
            raise SnapshotConnectorError(
                f"restore of database alias {db_alias!r} failed and was rolled back "
                f"({describe_exit('psql', psql_status)}): "
                f"{summarise(read_stderr(psql_stderr_path))}"
            )

    @staticmethod
    def tool_version(executable: str) -> str:
        """Return the version a PostgreSQL client tool reports, e.g. ``"15.20"``."""
        result = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, check=False
        )
        match = re.search(r"\d+(?:\.\d+)+", result.stdout)
        return match.group(0) if match else result.stdout.strip()
