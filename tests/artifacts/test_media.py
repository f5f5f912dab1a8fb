"""The media artifact: MEDIA_ROOT by default, a directory artifact with plain attributes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from django_snapshots.artifacts.media import (
    MediaArtifactExporter,
    MediaArtifactImporter,
    media_exporters,
    media_importer_factory,
)
from django_snapshots.manifest import ArtifactRecord


def _record() -> ArtifactRecord:
    return ArtifactRecord(
        type="media",
        filename="media.tar.zst",
        size=1,
        checksum="sha256:00",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        metadata={"directory": "/elsewhere/media"},
    )


def test_exporter_archives_media_root_by_default(settings: Settings, tmp_path: Path) -> None:
    """Without a directory the exporter uses MEDIA_ROOT and records it."""
    settings.MEDIA_ROOT = str(tmp_path / "m")
    exporter = MediaArtifactExporter()
    assert (exporter.artifact_type, exporter.filename) == ("media", "media.tar")
    assert exporter.metadata == {"directory": str(tmp_path / "m")}


def test_round_trip_into_another_media_root(settings: Settings, tmp_path: Path) -> None:
    """A media archive restores into the media root the factory is given (replace mode)."""
    source = tmp_path / "source"
    (source / "uploads").mkdir(parents=True)
    (source / "uploads" / "café.txt").write_text("crème")
    archive = tmp_path / "media.tar"
    MediaArtifactExporter(source).generate(archive)
    target = tmp_path / "target"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    importer = media_importer_factory(target)(_record())
    assert isinstance(importer, MediaArtifactImporter)
    importer.restore(archive)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "uploads",
        "uploads/café.txt",
    ]


def test_merge_factory_keeps_other_files(tmp_path: Path) -> None:
    """The merge factory keeps files the snapshot does not have."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "new.txt").write_text("new")
    archive = tmp_path / "media.tar"
    MediaArtifactExporter(source).generate(archive)
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    importer = media_importer_factory(target, mode="merge")(_record())
    assert importer is not None
    importer.restore(archive)
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt", "new.txt"]


def test_unset_media_root_exports_nothing_and_refuses_to_restore(settings: Settings) -> None:
    """With MEDIA_ROOT empty a bare backup skips media and a restore names the setting."""
    settings.MEDIA_ROOT = ""
    assert media_exporters() == []
    with pytest.raises(ImproperlyConfigured, match="MEDIA_ROOT"):
        media_importer_factory()(_record())


def test_storage_helpers_build_storage_exporters_and_importers(tmp_path: Path) -> None:
    """With ``storage`` the helpers back up and restore a Django storage, MEDIA_ROOT or not."""
    from django.core.files.storage import InMemoryStorage

    media = InMemoryStorage()
    (exporter,) = media_exporters(storage=media, full=True)
    assert exporter.directory is None and exporter.full and exporter.storage is media
    assert exporter.metadata["storage"].startswith("storage:django.core.files.storage")
    importer = media_importer_factory(storage=media, mode="merge")(_record())
    assert (importer.directory, importer.storage, importer.mode) == (None, media, "merge")


def test_storage_tar_media_restores_into_a_directory(tmp_path: Path) -> None:
    """A tar of a storage's files (the archive layout) restores into a directory."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import InMemoryStorage

    media = InMemoryStorage()
    media.save("docs/a.txt", ContentFile(b"a"))
    archive = tmp_path / "media.tar"
    MediaArtifactExporter(storage=media).generate(archive)
    MediaArtifactImporter(tmp_path / "out").restore(archive)
    assert (tmp_path / "out" / "docs" / "a.txt").read_bytes() == b"a"
