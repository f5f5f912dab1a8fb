"""The database artifact: one dump file per ``DATABASES`` alias, made by a connector.

The exporter writes the connector's plain dump as ``<alias>.sql`` and records
``{"database": alias, "connector": dotted path, **connector metadata}`` (the
connector's metadata holds its ``"format"``). The importer restores with the connector
*recorded* in the manifest, not whichever one is configured now.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings

from django_snapshots.connectors.auto import (
    ConnectorOverride,
    check_connector_fits,
    connector_path,
    get_connector,
    load_connector,
)
from django_snapshots.connectors.protocols import DatabaseConnector, RestorePreflight
from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.manifest import ArtifactRecord

__all__ = [
    "DATABASE_ARTIFACT_TYPE",
    "DatabaseArtifactExporter",
    "DatabaseArtifactImporter",
    "DatabaseImporterFactory",
    "database_exporters",
    "database_importer_factory",
]

DATABASE_ARTIFACT_TYPE = "database"
"""The artifact type of database dumps."""


class DatabaseArtifactExporter:
    """Dump one database alias to ``<alias>.sql`` with its connector."""

    artifact_type: str = DATABASE_ARTIFACT_TYPE
    """Always ``"database"`` (also readable on the class, as in 0.1.0b1)."""
    filename: str
    """``"<alias>.sql"``: the plain dump's name (the engine adds a compression suffix)."""
    metadata: dict[str, Any]
    """The alias, the connector's dotted path and, after :meth:`generate`, its metadata."""
    db_alias: str
    """The ``DATABASES`` alias dumped."""
    connector: DatabaseConnector
    """The connector that writes the dump."""

    def __init__(
        self, db_alias: str = "default", connector: ConnectorOverride | None = None
    ) -> None:
        """Dump ``db_alias`` with ``connector`` (default: configured or auto-selected)."""
        self.db_alias = db_alias
        self.filename = f"{db_alias}.sql"
        self.connector = get_connector(db_alias, connector)
        self.metadata = self._metadata({})

    def _metadata(self, dumped: dict[str, Any]) -> dict[str, Any]:
        return {**dumped, "database": self.db_alias, "connector": connector_path(self.connector)}

    def generate(self, dest: Path) -> None:
        """Write the dump to ``dest`` and add the connector's metadata."""
        self.metadata = self._metadata(self.connector.dump(self.db_alias, dest))


class DatabaseArtifactImporter:
    """Restore one database alias from a dump, with a given connector."""

    artifact_type: str = DATABASE_ARTIFACT_TYPE
    """Always ``"database"`` (also readable on the class, as in 0.1.0b1)."""
    db_alias: str
    """The ``DATABASES`` alias restored."""
    connector: DatabaseConnector
    """The connector that restores the dump."""
    recorded: dict[str, Any]
    """The manifest metadata of the dump (empty unless built by :meth:`from_record`)."""

    def __init__(
        self,
        db_alias: str = "default",
        connector: ConnectorOverride | None = None,
        recorded: dict[str, Any] | None = None,
    ) -> None:
        """Restore ``db_alias`` with ``connector`` (default: configured or auto-selected).

        Prefer :meth:`from_record`, which uses the connector that wrote the dump.
        """
        self.db_alias = db_alias
        self.connector = get_connector(db_alias, connector)
        self.recorded = dict(recorded or {})

    @classmethod
    def from_record(cls, record: ArtifactRecord) -> DatabaseArtifactImporter:
        """Return the importer for a manifest record, with its recorded connector."""
        db_alias = record.metadata.get("database")
        dotted_path = record.metadata.get("connector")
        if not isinstance(db_alias, str) or not isinstance(dotted_path, str):
            raise SnapshotIntegrityError(
                f"artifact {record.filename!r}: database metadata needs "
                "'database' and 'connector' strings"
            )
        return cls(db_alias, load_connector(dotted_path), record.metadata)

    def preflight(self) -> None:
        """Refuse a dump the connector cannot restore into this alias; change nothing.

        The connector must fit the alias's engine (a PostgreSQL dump never goes into
        SQLite), and a connector with its own checks (client tool versions, a
        reachable server) runs them.
        """
        check_connector_fits(connector_path(self.connector), self.db_alias)
        if isinstance(self.connector, RestorePreflight):
            self.connector.check_restore(self.db_alias, dict(self.recorded))

    def restore(self, src: Path) -> None:
        """Replace the alias's contents with the dump at ``src``; drop stale ORM caches."""
        self.connector.restore(self.db_alias, src)
        if apps.is_installed("django.contrib.contenttypes"):
            from django.contrib.contenttypes.models import ContentType

            # Restored content type ids may differ from the ones this process cached.
            ContentType.objects.clear_cache()


def database_exporters(
    databases: Collection[str] | None = None, connector: ConnectorOverride | None = None
) -> list[DatabaseArtifactExporter]:
    """Return one exporter per alias in ``databases`` (default: every ``DATABASES`` alias).

    ``connector`` (an instance or dotted path) overrides every alias's connector.
    """
    aliases = list(settings.DATABASES) if databases is None else list(databases)
    return [DatabaseArtifactExporter(alias, connector) for alias in aliases]


class DatabaseImporterFactory:
    """Make the importers of the database records of chosen aliases (default: every one)."""

    databases: frozenset[str] | None
    """The aliases restored; None restores every alias the snapshot holds."""

    def __init__(self, databases: Collection[str] | None = None) -> None:
        """Restore only ``databases`` (default: every alias)."""
        self.databases = None if databases is None else frozenset(databases)

    def __call__(self, record: ArtifactRecord) -> DatabaseArtifactImporter | None:
        """Return the importer of ``record``, or None for an alias that was not chosen."""
        alias = record.metadata.get("database")
        if self.databases is not None and alias not in self.databases:
            return None
        return DatabaseArtifactImporter.from_record(record)

    def missing(self, records: list[ArtifactRecord]) -> list[str]:
        """Return a line for each chosen alias that no record dumps."""
        present = {record.metadata.get("database") for record in records}
        chosen = sorted(self.databases or ())
        return [f"dump of database {alias!r}" for alias in chosen if alias not in present]


def database_importer_factory(databases: Collection[str] | None = None) -> DatabaseImporterFactory:
    """Return an importer factory restoring only ``databases`` (default: every alias).

    Records of other aliases are skipped. The factory raises
    :class:`~django_snapshots.SnapshotConnectorError` for a selected alias this project
    does not define, or whose recorded connector cannot be loaded.
    """
    return DatabaseImporterFactory(databases)
