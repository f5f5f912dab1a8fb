"""Look up a ``DATABASES`` alias, failing with a clear connector error."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from django_snapshots.exceptions import SnapshotConnectorError

__all__ = ["connection_for", "engine_of", "require_autocommit", "thread_connection"]


def engine_of(db_alias: str) -> str:
    """Return ``DATABASES[db_alias]["ENGINE"]``; raise naming an unknown alias."""
    databases = settings.DATABASES
    if db_alias not in databases:
        known = ", ".join(sorted(databases)) or "none"
        raise SnapshotConnectorError(
            f"database alias {db_alias!r} is not in DATABASES (configured: {known})"
        )
    return str(databases[db_alias].get("ENGINE", ""))


def connection_for(db_alias: str, vendor: str | None = None) -> BaseDatabaseWrapper:
    """Return this thread's connection for ``db_alias``, checking its vendor if given."""
    engine_of(db_alias)
    connection = connections[db_alias]
    if vendor is not None and connection.vendor != vendor:
        raise SnapshotConnectorError(
            f"database alias {db_alias!r} uses {connection.vendor}, not {vendor}"
        )
    return connection


def require_autocommit(connection: BaseDatabaseWrapper) -> None:
    """Refuse to restore inside an open transaction, which the restore could not own."""
    if connection.in_atomic_block or not connection.get_autocommit():
        raise SnapshotConnectorError(
            f"cannot restore database alias {connection.alias!r} inside an open transaction"
        )


@contextmanager
def thread_connection(
    db_alias: str, vendor: str | None = None
) -> Generator[BaseDatabaseWrapper, None, None]:
    """Yield this thread's connection; close it afterwards if it was opened here.

    Backups run exporters in worker threads, each with its own Django connection:
    closing what a worker opened keeps those connections from outliving the backup.
    """
    connection = connection_for(db_alias, vendor)
    opened_here = connection.connection is None
    try:
        yield connection
    finally:
        if opened_here and not connection.in_atomic_block:
            connection.close()
