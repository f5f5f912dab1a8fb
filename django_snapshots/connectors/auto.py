"""Which connector dumps or restores a database alias.

A backup uses, in order: an explicit override (the CLI's ``--connector``), the
``DATABASE_CONNECTORS`` setting for the alias, or the connector matching
``DATABASES[alias]["ENGINE"]`` (:data:`ENGINE_CONNECTORS`, dumpdata for anything
else). A restore uses the connector recorded in the manifest, loaded with
:func:`load_connector`, after :func:`check_connector_fits` has made sure it can restore
into the alias's engine. Connector modules are imported only when needed, by dotted
path, so the PostgreSQL and MySQL drivers are required only where they are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, TypeAlias, cast

from django.utils.module_loading import import_string

from django_snapshots.conformance import check_conformance
from django_snapshots.connectors._aliases import engine_of, vendor_of
from django_snapshots.connectors.protocols import DatabaseConnector
from django_snapshots.exceptions import SnapshotConnectorError

__all__ = [
    "CONNECTOR_VENDORS",
    "ENGINE_CONNECTORS",
    "FALLBACK_CONNECTOR",
    "ConnectorOverride",
    "auto_connector_path",
    "check_connector_fits",
    "connector_path",
    "get_connector",
    "get_connector_class",
    "get_connector_for_alias",
    "load_connector",
    "resolve_connector",
]

ENGINE_CONNECTORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "sqlite3": "django_snapshots.connectors.sqlite.SQLiteConnector",
        "spatialite": "django_snapshots.connectors.sqlite.SQLiteConnector",
        "postgresql": "django_snapshots.connectors.postgres.PostgresConnector",
        "postgis": "django_snapshots.connectors.postgres.PostgresConnector",
        "mysql": "django_snapshots.connectors.mysql.MySQLConnector",
    }
)
"""Connector dotted path for each fragment an ``ENGINE`` may contain, tried in order."""

FALLBACK_CONNECTOR: Final = "django_snapshots.connectors.dumpdata.DjangoDumpDataConnector"
"""The connector of engines :data:`ENGINE_CONNECTORS` does not know."""

CONNECTOR_VENDORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "django_snapshots.connectors.sqlite.SQLiteConnector": "sqlite",
        "django_snapshots.connectors.postgres.PostgresConnector": "postgresql",
        "django_snapshots.connectors.mysql.MySQLConnector": "mysql",
    }
)
"""The database vendor (Django's ``connection.vendor``) each engine-specific built-in
connector, and any subclass of it, restores into. Other connectors fit any engine."""

_VENDOR_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL/MariaDB"}
)

ConnectorOverride: TypeAlias = "str | DatabaseConnector"
"""A connector given explicitly: a dotted path to a class (or instance), or an instance."""


def connector_path(connector: DatabaseConnector) -> str:
    """Return the dotted path of ``connector``'s class, as recorded in manifests."""
    kind = type(connector)
    return f"{kind.__module__}.{kind.__qualname__}"


def _import(dotted_path: str, noun: str = "connector ") -> object:
    """Import ``dotted_path``; a failure (such as a missing driver) is a connector error."""
    try:
        imported: object = import_string(dotted_path)
    except ImportError as error:
        raise SnapshotConnectorError(f"cannot import {noun}{dotted_path!r}: {error}") from None
    return imported


def load_connector(dotted_path: str) -> DatabaseConnector:
    """Import ``dotted_path`` and return a connector (instantiating a class).

    Raise :class:`~django_snapshots.SnapshotConnectorError` if it cannot be imported
    (for example a missing driver), built, or does not implement
    :class:`~django_snapshots.connectors.protocols.DatabaseConnector`.
    """
    return _load(dotted_path, "connector ")


def _load(dotted_path: str, noun: str) -> DatabaseConnector:
    """Do :func:`load_connector`'s work; ``noun`` prefixes the path in messages."""
    imported = _import(dotted_path, noun)
    if isinstance(imported, type):
        try:
            imported = cast("object", imported())
        except Exception as error:  # noqa: BLE001 - user code may raise anything
            raise SnapshotConnectorError(
                f"building {noun}{dotted_path!r} failed: {type(error).__name__}: {error}"
            ) from None
    if noun:
        problems = check_conformance(imported, DatabaseConnector)
        if problems:
            raise SnapshotConnectorError(
                f"{dotted_path!r} is not a DatabaseConnector: {'; '.join(problems)}"
            )
        return cast("DatabaseConnector", imported)
    return resolve_connector(imported)


def resolve_connector(value: object) -> DatabaseConnector:
    """Return the connector ``value`` names: a dotted path (class or instance) or an instance.

    Raise :class:`~django_snapshots.SnapshotConnectorError` (one line) if it cannot be
    imported or built, is a class rather than an instance, or does not conform.
    """
    if isinstance(value, str):
        return _load(value, "")
    if isinstance(value, type):
        raise SnapshotConnectorError(
            f"{value.__qualname__} is a class; give an instance or a dotted path"
        )
    problems = check_conformance(value, DatabaseConnector)
    if problems:
        kind: type = type(value)
        raise SnapshotConnectorError(
            f"{kind.__module__}.{kind.__qualname__} does not conform to DatabaseConnector: "
            + "; ".join(problems)
        )
    return cast("DatabaseConnector", value)


def auto_connector_path(engine: str) -> str:
    """Return the dotted path of the connector for a ``DATABASES`` ``ENGINE`` value."""
    for fragment, dotted_path in ENGINE_CONNECTORS.items():
        if fragment in engine:
            return dotted_path
    return FALLBACK_CONNECTOR


def get_connector(db_alias: str, override: ConnectorOverride | None = None) -> DatabaseConnector:
    """Return the connector that backs up ``db_alias``.

    ``override`` wins; then ``DATABASE_CONNECTORS[db_alias]`` unless it is
    ``"auto"``; then the connector for the alias's ``ENGINE``. An alias missing from
    ``DATABASES`` raises :class:`~django_snapshots.SnapshotConnectorError` naming it.
    """
    from django_snapshots.settings import get_settings

    engine = engine_of(db_alias)
    if isinstance(override, str):
        return load_connector(override)
    if override is not None:
        return override
    configured = get_settings().connector_for(db_alias)
    if configured is not None:
        return configured
    return load_connector(auto_connector_path(engine))


def get_connector_class(engine: str) -> type[DatabaseConnector]:
    """Return the connector class for an ``ENGINE`` value (the 0.1.0b1 name)."""
    dotted_path = auto_connector_path(engine)
    imported = _import(dotted_path)
    if not isinstance(imported, type):
        raise SnapshotConnectorError(f"{dotted_path!r} is not a class")
    return cast("type[DatabaseConnector]", imported)


def get_connector_for_alias(db_alias: str) -> DatabaseConnector:
    """Return the connector that backs up ``db_alias`` (0.1.0b1's :func:`get_connector`)."""
    return get_connector(db_alias)


def _required_vendor(connector: object) -> str | None:
    """Return the vendor a connector (class or instance) restores into, if it has one."""
    kind = connector if isinstance(connector, type) else type(connector)
    for base in kind.__mro__:
        vendor = CONNECTOR_VENDORS.get(f"{base.__module__}.{base.__qualname__}")
        if vendor is not None:
            return vendor
    return None


def check_connector_fits(connector_path: str, db_alias: str) -> None:
    """Raise unless the connector at ``connector_path`` can restore into ``db_alias``.

    Meant for a restore's pre-flight, with the connector recorded in the manifest:
    an unknown alias, a connector that cannot be imported, or an engine-specific
    connector (see :data:`CONNECTOR_VENDORS`) whose vendor differs from the alias's
    raises :class:`~django_snapshots.SnapshotConnectorError`, naming both engines.
    Nothing is connected to or changed.
    """
    engine = engine_of(db_alias)
    vendor = vendor_of(db_alias)
    try:
        connector = _import(connector_path)
    except SnapshotConnectorError as error:
        raise SnapshotConnectorError(
            f"cannot restore database alias {db_alias!r}: {error}"
        ) from error
    required = _required_vendor(connector)
    if required is not None and required != vendor:
        name = connector_path.rsplit(".", 1)[-1]
        raise SnapshotConnectorError(
            f"cannot restore a {_VENDOR_NAMES.get(required, required)} dump ({name}) into "
            f"database alias {db_alias!r}, which uses {_VENDOR_NAMES.get(vendor, vendor)} "
            f"({engine})"
        )
