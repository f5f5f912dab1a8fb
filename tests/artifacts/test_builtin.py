"""The built-in artifact types: registered when Django starts, and run by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pytest_django.fixtures import Settings

from django_snapshots import engine
from django_snapshots.artifacts.database import DatabaseArtifactExporter
from django_snapshots.artifacts.environment import EnvironmentArtifactExporter
from django_snapshots.artifacts.media import MediaArtifactExporter
from django_snapshots.artifacts.registry import artifact_types
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.example.shop.models import Customer
from tests.sqlite_state import preserved_database as preserved_database


def test_builtin_types_are_registered_in_order() -> None:
    """database, media and environment are registered by the core app's ready()."""
    types = artifact_types()
    assert list(types)[:3] == ["database", "media", "environment"]


def test_builtin_exporters_cover_every_alias_media_and_environment() -> None:
    """A bare backup exports each database alias, MEDIA_ROOT and the environment."""
    types = artifact_types()
    (database,) = types["database"].exporters()
    (media,) = types["media"].exporters()
    (environment,) = types["environment"].exporters()
    assert isinstance(database, DatabaseArtifactExporter)
    assert isinstance(media, MediaArtifactExporter)
    assert isinstance(environment, EnvironmentArtifactExporter)
    assert [database.filename, media.filename, environment.filename] == [
        "default.sql",
        "media.tar",
        "requirements.txt",
    ]


@pytest.mark.usefixtures("preserved_database")
@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_engine_round_trip_of_the_builtin_types(
    tmp_path: Path, settings: Settings, snapshot_format: Literal["directory", "archive"]
) -> None:
    """A bare backup and restore through the engine brings back rows and media files."""
    media = tmp_path / "media"
    (media / "sub").mkdir(parents=True)
    (media / "sub" / "a.txt").write_text("A")
    settings.MEDIA_ROOT = str(media)
    Customer.objects.create(name="Round Trip", email="trip@example.com")
    storage = LocalFileSystemBackend(str(tmp_path / "store"))
    snapshot = engine.create_snapshot("trip", storage=storage, snapshot_format=snapshot_format)
    assert [record.filename for record in snapshot.artifacts] == [
        "default.sql.zst",
        # The directory format keeps media in the content pool; archives stay self-contained.
        "media.files.zst" if snapshot_format == "directory" else "media.tar.zst",
        "requirements.txt",
    ]
    Customer.objects.filter(name="Round Trip").delete()
    (media / "sub" / "a.txt").write_text("changed")
    (media / "extra.txt").write_text("not in the snapshot")
    engine.restore_snapshot("trip", storage=storage)
    assert Customer.objects.filter(name="Round Trip").exists()
    assert (media / "sub" / "a.txt").read_text() == "A"
    assert not (media / "extra.txt").exists()
