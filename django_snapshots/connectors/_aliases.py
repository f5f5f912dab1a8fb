"""Look up a ``DATABASES`` alias, and the one transaction guard of every restore.

Private to :mod:`django_snapshots.connectors`. Each lookup fails with a one-line
:class:`~django_snapshots.exceptions.SnapshotConnectorError` naming the alias: an alias
missing from ``DATABASES``, an ``ENGINE`` whose driver cannot be imported, an engine of
the wrong vendor, a restore asked for inside an open transaction.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from django_snapshots.connectors._errors import one_line
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = [
    "close_django_connection",
    "connection_for",
    "engine_of",
    "require_autocommit",
    "settings_for",
    "thread_connection",
    "vendor_of",
]


def engine_of(db_alias: str) -> str:
    """Return ``DATABASES[db_alias]["ENGINE"]``; raise naming an unknown alias."""
    databases = settings.DATABASES
    if db_alias not in databases:
        known = ", ".join(sorted(databases)) or "none"
        raise SnapshotConnectorError(
            f"database alias {db_alias!r} is not in DATABASES (configured: {known})"
        )
    return str(databases[db_alias].get("ENGINE", ""))


def _wrapper(db_alias: str) -> BaseDatabaseWrapper:
    """Return this thread's connection for a known alias; raise if its ENGINE cannot load."""
    engine = engine_of(db_alias)
    try:
        return connections[db_alias]
    except (ImproperlyConfigured, ImportError) as error:
        raise SnapshotConnectorError(
            f"database alias {db_alias!r}: cannot load ENGINE {engine!r}: {one_line(error)}"
        ) from error


def vendor_of(db_alias: str) -> str:
    """Return the vendor of ``db_alias``'s engine (``"sqlite"``, ``"postgresql"``, ...)."""
    return str(_wrapper(db_alias).vendor)


def connection_for(db_alias: str, vendor: str | None = None) -> BaseDatabaseWrapper:
    """Return this thread's connection for ``db_alias``, checking its vendor if given."""
    connection = _wrapper(db_alias)
    if vendor is not None and connection.vendor != vendor:
        raise SnapshotConnectorError(
            f"database alias {db_alias!r} uses {connection.vendor}, not {vendor}"
        )
    return connection


def settings_for(db_alias: str, vendor: str) -> dict[str, Any]:
    """Return the live settings of ``db_alias`` (test-database names included).

    Raise if the alias is unknown or its engine is not of ``vendor``.
    """
    return connection_for(db_alias, vendor).settings_dict


def require_autocommit(connection: BaseDatabaseWrapper) -> None:
    """Refuse to restore inside an open transaction, which the restore could not own.

    Checked without connecting: a connection that is not open holds no transaction.
    """
    in_transaction = connection.in_atomic_block or (
        connection.connection is not None and not connection.autocommit
    )
    if in_transaction:
        raise SnapshotConnectorError(
            f"cannot restore database alias {connection.alias!r} inside an open transaction"
        )


def close_django_connection(db_alias: str) -> None:
    """Close Django's connection for ``db_alias`` so it holds no locks or stale state.

    Refuse (see :func:`require_autocommit`) if the connection is inside a transaction.
    """
    connection = connection_for(db_alias)
    require_autocommit(connection)
    connection.close()


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
