"""Stream a PostgreSQL dump's SQL into ``psql``, committing only if all of it arrived.

Private to :mod:`django_snapshots.connectors`. ``pg_restore`` (for a custom archive)
or the file itself (for a plain dump) feeds ``psql --single-transaction``; only after
the source ended successfully does the connector send
:data:`~django_snapshots.connectors._postgres_sql.COMPLETE_MARKER`. On any failure
psql is killed before it sees the end of its input, so its session rolls back.
"""

from __future__ import annotations

import re
import subprocess
from contextlib import suppress
from pathlib import Path
from typing import IO

from django_snapshots.connectors._clients import (
    CHUNK_SIZE,
    describe_exit,
    read_stderr,
    summarise,
)
from django_snapshots.connectors._postgres_sql import COMPLETE_MARKER
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["pg_restore_error", "stream_restore"]

_ARCHIVE_VERSION = re.compile(r"unsupported version \(([\d.]+)\) in file header")


def pg_restore_error(db_alias: str, status: int, stderr: str) -> SnapshotConnectorError:
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


def stream_restore(
    db_alias: str,
    src: Path,
    pg_restore: str | None,
    psql_argv: list[str],
    env: dict[str, str],
    private_dir: Path,
) -> None:
    """Stream the dump at ``src`` into ``psql_argv``; commit only if the whole stream arrived.

    ``pg_restore`` converts a custom archive to SQL; ``None`` streams a plain dump as is.
    """
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
            raise pg_restore_error(db_alias, converter_status, read_stderr(restore_stderr_path))
        if delivered:
            try:
                psql.stdin.write(COMPLETE_MARKER)
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
