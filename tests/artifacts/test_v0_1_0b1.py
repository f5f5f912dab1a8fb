"""Artifacts written by django-snapshots 0.1.0b1 restore through the built-in importers.

The engine decompresses before calling an importer; these tests gunzip the fixture
files themselves and build each importer from the fixture's own manifest record.
"""

from __future__ import annotations

import gzip
import shutil
import tarfile
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from django_snapshots.artifacts.database import DatabaseArtifactImporter
from django_snapshots.artifacts.environment import EnvironmentArtifactImporter
from django_snapshots.artifacts.media import MediaArtifactImporter
from django_snapshots.artifacts.registry import artifact_types
from django_snapshots.manifest import Snapshot
from tests.example.shop.models import Customer
from tests.sqlite_state import preserved_database as preserved_database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v0_1_0b1"
EXAMPLE_MEDIA = Path(__file__).resolve().parents[1] / "example" / "media"


def _unpack(snapshot: str, tmp_path: Path) -> Path:
    """Copy (or untar) a fixture snapshot into ``tmp_path`` and gunzip its .gz files."""
    folder = tmp_path / snapshot
    if snapshot.endswith(".tar"):
        folder = tmp_path / snapshot.removesuffix(".tar")
        folder.mkdir()
        with tarfile.open(FIXTURES / snapshot) as archive:
            assert archive.getnames()[0] == "manifest.json"
            for member in archive.getmembers():
                source = archive.extractfile(member)
                assert source is not None
                (folder / member.name).write_bytes(source.read())
    else:
        shutil.copytree(FIXTURES / snapshot, folder)
    for packed in folder.glob("*.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
    return folder


def _files(root: Path) -> dict[str, bytes]:
    files = sorted(root.rglob("*"))
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files if p.is_file()}


@pytest.mark.usefixtures("preserved_database")
@pytest.mark.parametrize("snapshot", ["v010b1-directory-sqlite", "v010b1-archive-dumpdata.tar"])
def test_every_artifact_restores(snapshot: str, tmp_path: Path, settings: Settings) -> None:
    """Database (SQL text or dumpdata JSON), media and environment restore from 0.1.0b1."""
    folder = _unpack(snapshot, tmp_path)
    manifest = Snapshot.from_json((folder / "manifest.json").read_bytes())
    settings.MEDIA_ROOT = str(tmp_path / "media-root")
    Customer.objects.create(name="Not in the snapshot", email="x@example.com")
    (tmp_path / "media-root").mkdir()
    (tmp_path / "media-root" / "stale.txt").write_text("stale")
    types = artifact_types()
    for record in manifest.artifacts:
        importer = types[record.type].importer(record)
        plain = folder / record.filename.removesuffix(".gz")
        assert isinstance(
            importer, (DatabaseArtifactImporter, MediaArtifactImporter, EnvironmentArtifactImporter)
        )
        importer.restore(plain)
        if isinstance(importer, DatabaseArtifactImporter):
            assert record.metadata["connector"].endswith(type(importer.connector).__name__)
        if isinstance(importer, EnvironmentArtifactImporter):
            assert importer.diff is not None
            assert any("django-snapshots" in line for line in importer.diff.lines())
    names = sorted(Customer.objects.values_list("name", flat=True))
    assert names == ["Ada Lovelace", "Zoë Ångström"]
    assert _files(tmp_path / "media-root") == _files(EXAMPLE_MEDIA)


def test_fixture_manifests_record_the_expected_connectors(tmp_path: Path) -> None:
    """The fixtures cover both 0.1.0b1 database formats and connectors."""
    found: set[tuple[str, str]] = set()
    for snapshot in ("v010b1-directory-sqlite", "v010b1-archive-dumpdata.tar"):
        manifest = Snapshot.from_json((_unpack(snapshot, tmp_path) / "manifest.json").read_bytes())
        found |= {
            (record.metadata["connector"], record.metadata["format"])
            for record in manifest.artifacts
            if record.type == "database"
        }
    assert found == {
        ("django_snapshots.connectors.sqlite.SQLiteConnector", "sql"),
        ("django_snapshots.connectors.dumpdata.DjangoDumpDataConnector", "json"),
    }
