"""The database artifact: connector dumps per alias, restores with the recorded connector."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from pytest_django.fixtures import Settings

from django_snapshots.artifacts.database import (
    DatabaseArtifactExporter,
    DatabaseArtifactImporter,
    database_exporters,
    database_importer_factory,
)
from django_snapshots.connectors.dumpdata import DjangoDumpDataConnector
from django_snapshots.connectors.sqlite import SQLiteConnector
from django_snapshots.exceptions import SnapshotConnectorError, SnapshotIntegrityError
from django_snapshots.manifest import ArtifactRecord
from tests.example.shop.models import Customer
from tests.sqlite_state import preserved_database as preserved_database


class RefusingConnector:
    """A configured connector that must never be used to restore a recorded dump."""

    def dump(self, db_alias: str, dest: Path) -> dict[str, Any]:
        """Refuse."""
        raise AssertionError("the configured connector was used")

    def restore(self, db_alias: str, src: Path) -> None:
        """Refuse."""
        raise AssertionError("the configured connector was used")


def _record(metadata: dict[str, Any]) -> ArtifactRecord:
    return ArtifactRecord(
        type="database",
        filename=f"{metadata.get('database', 'x')}.sql.zst",
        size=1,
        checksum="sha256:00",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        metadata=metadata,
    )


@pytest.mark.django_db
def test_exporter_metadata_names_alias_connector_and_format(tmp_path: Path) -> None:
    """After generate, metadata holds the alias, the connector's path and its format."""
    exporter = DatabaseArtifactExporter("default")
    assert (exporter.artifact_type, exporter.filename) == ("database", "default.sql")
    connector = "django_snapshots.connectors.sqlite.SQLiteConnector"
    assert exporter.metadata == {"database": "default", "connector": connector}
    exporter.generate(tmp_path / exporter.filename)
    # Inside the test's transaction the SQLite connector dumps SQL text.
    assert exporter.metadata == {"format": "sql", "database": "default", "connector": connector}


def test_connector_override_by_path_is_recorded() -> None:
    """A connector given by dotted path is used and recorded for every alias."""
    exporters = database_exporters(
        None, "django_snapshots.connectors.dumpdata.DjangoDumpDataConnector"
    )
    assert [e.db_alias for e in exporters] == ["default"]
    assert isinstance(exporters[0].connector, DjangoDumpDataConnector)
    assert exporters[0].metadata["connector"].endswith("DjangoDumpDataConnector")


def test_unknown_alias_is_named() -> None:
    """Exporting an alias missing from DATABASES raises naming it."""
    with pytest.raises(SnapshotConnectorError, match="'analytics'"):
        database_exporters(["analytics"])


@pytest.mark.usefixtures("preserved_database")
def test_restore_uses_the_recorded_connector_not_the_configured_one(
    tmp_path: Path, settings: Settings
) -> None:
    """A dump restores with the connector named in its record, whatever is configured now."""
    Customer.objects.create(name="Before", email="before@example.com")
    exporter = DatabaseArtifactExporter(
        "default", "django_snapshots.connectors.dumpdata.DjangoDumpDataConnector"
    )
    dump = tmp_path / exporter.filename
    exporter.generate(dump)
    Customer.objects.filter(name="Before").delete()
    settings.SNAPSHOTS = {
        "DATABASE_CONNECTORS": {"default": "tests.artifacts.test_database.RefusingConnector"}
    }
    importer = database_importer_factory()(_record(exporter.metadata))
    assert isinstance(importer, DatabaseArtifactImporter)
    assert isinstance(importer.connector, DjangoDumpDataConnector)
    importer.restore(dump)
    assert Customer.objects.filter(name="Before").exists()


@pytest.mark.usefixtures("preserved_database")
def test_restore_drops_the_content_type_cache(tmp_path: Path) -> None:
    """After a restore, content types are read from the restored rows, not a stale cache."""
    exporter = DatabaseArtifactExporter("default")
    dump = tmp_path / exporter.filename
    exporter.generate(dump)
    pk = ContentType.objects.get_for_model(Customer).pk
    ContentType.objects.filter(pk=pk).update(model="renamed")
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_id(pk).model == "renamed"  # now cached
    DatabaseArtifactImporter.from_record(_record(exporter.metadata)).restore(dump)
    assert ContentType.objects.get_for_id(pk).model == "customer"
    ContentType.objects.clear_cache()


def test_factory_skips_unselected_aliases() -> None:
    """Records of aliases not selected give no importer; selected ones do."""
    record = _record(
        {"database": "default", "connector": "django_snapshots.connectors.sqlite.SQLiteConnector"}
    )
    assert database_importer_factory(["other"])(record) is None
    importer = database_importer_factory(["default"])(record)
    assert isinstance(importer, DatabaseArtifactImporter)
    assert isinstance(importer.connector, SQLiteConnector)


def test_record_for_an_alias_this_project_lacks_is_named() -> None:
    """A recorded alias missing from DATABASES raises naming it before anything is restored."""
    record = _record(
        {"database": "legacy", "connector": "django_snapshots.connectors.sqlite.SQLiteConnector"}
    )
    with pytest.raises(SnapshotConnectorError, match="'legacy'"):
        database_importer_factory()(record)


def test_record_without_connector_is_an_integrity_error() -> None:
    """A database record missing its connector path is malformed."""
    with pytest.raises(SnapshotIntegrityError, match="connector"):
        database_importer_factory()(_record({"database": "default"}))
