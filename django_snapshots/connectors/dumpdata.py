"""The dumpdata connector: any database engine, through Django's serializers.

A dump is ``dumpdata`` output in JSON Lines (``"format": "jsonl"``), written to the
file object by object inside one transaction (repeatable read on PostgreSQL), so it is
consistent and neither dumping nor loading holds the whole database in memory. A
restore empties every table Django manages and runs ``loaddata`` inside one transaction:
if loading fails, the flush is rolled back too. Dumps by django-snapshots 0.1.0b1
(``"format": "json"``, one JSON array) restore the same way, though Django's JSON
deserializer reads such an array whole.

On MySQL/MariaDB, tables are emptied with ``DELETE`` (``TRUNCATE`` would commit the
transaction). Database-native types the serializers do not know are not preserved:
prefer the engine's native connector where there is one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Final, Literal

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from django_snapshots.connectors._aliases import connection_for, thread_connection
from django_snapshots.connectors._errors import one_line
from django_snapshots.exceptions import SnapshotConnectorError
from django_snapshots.scratch import scratch_folder

__all__ = ["DUMPDATA_FORMAT", "DjangoDumpDataConnector"]

DUMPDATA_FORMAT: Final = "jsonl"
"""The ``format`` metadata of dumps this connector writes."""


def _describe(error: BaseException, fixture: Path | None = None, src: Path | None = None) -> str:
    """Return an error's message on one line, with its cause where loaddata left it out.

    loaddata names the fixture it read: the temporary link ``fixture``, shown as the
    dump ``src`` it points to.
    """
    text = str(error).strip()
    if fixture is not None and src is not None:
        text = text.replace(str(fixture), src.name)
    cause = error.__cause__ or error.__context__
    if cause is not None and (not text or text.endswith(":")):
        text = f"{text} {type(cause).__name__}: {cause}".strip()
    return one_line(text or type(error).__name__)


def _fixture_format(src: Path) -> Literal["json", "jsonl"]:
    """Tell a JSON array (0.1.0b1) from JSON Lines by the first non-blank byte."""
    with src.open("rb") as dump:
        while chunk := dump.read(4096):
            stripped = chunk.lstrip()
            if stripped:
                return "json" if stripped.startswith(b"[") else "jsonl"
    return "jsonl"


def _flush(connection: BaseDatabaseWrapper) -> None:
    """Delete every row of every table Django manages, without signals."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    statements = connection.ops.sql_flush(
        no_style(),
        tables,
        # TRUNCATE commits on MySQL; loaddata resets the sequences afterwards anyway.
        reset_sequences=connection.features.can_rollback_ddl,
        allow_cascade=False,
    )
    connection.ops.execute_sql_flush(statements)


def _dump_in_one_snapshot(connection: BaseDatabaseWrapper, output: str) -> None:
    """Run dumpdata for ``connection`` into ``output`` inside one transaction.

    Every table is read as of one moment: SQLite and InnoDB's default (repeatable
    read) already do so in a transaction; PostgreSQL's default (read committed) takes a
    new snapshot per query, so the transaction asks for repeatable read, unless it is
    nested in one the caller opened.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=connection.alias):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        call_command(
            "dumpdata",
            database=connection.alias,
            format=DUMPDATA_FORMAT,
            use_base_manager=True,
            output=output,
            verbosity=0,
        )


class DjangoDumpDataConnector:
    """Dump with ``dumpdata`` and restore with flush + ``loaddata``, for any engine."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Write every object of ``db_alias`` to ``dest`` as JSON Lines."""
        try:
            # dumpdata picks compression from the output's suffix: give it a neutral one.
            fd, partial = tempfile.mkstemp(prefix=".dumpdata-", suffix=".jsonl", dir=dest.parent)
            os.close(fd)
            try:
                with thread_connection(db_alias) as connection:
                    _dump_in_one_snapshot(connection, partial)
                os.replace(partial, dest)
            finally:
                Path(partial).unlink(missing_ok=True)
        except SnapshotConnectorError:
            raise
        except Exception as error:
            raise SnapshotConnectorError(
                f"dumpdata of database alias {db_alias!r} failed: {_describe(error)}"
            ) from error
        return {"format": DUMPDATA_FORMAT}

    def restore(self, db_alias: str, src: Path) -> None:
        """Replace every table's rows with the dump at ``src`` in one transaction."""
        fixture: Path | None = None
        try:
            connection = connection_for(db_alias)
            fixture_format = _fixture_format(src)
            with scratch_folder("loaddata") as workdir:
                # loaddata picks the serializer from the file name's suffix.
                fixture = Path(workdir) / f"snapshot.{fixture_format}"
                fixture.symlink_to(src.resolve())
                with transaction.atomic(using=db_alias):
                    _flush(connection)
                    call_command("loaddata", str(fixture), database=db_alias, verbosity=0)
        except SnapshotConnectorError:
            raise
        except Exception as error:
            raise SnapshotConnectorError(
                f"loaddata into database alias {db_alias!r} failed: "
                f"{_describe(error, fixture, src)}"
            ) from error
