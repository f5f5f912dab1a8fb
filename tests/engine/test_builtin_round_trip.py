"""Full round trips with the built-in artifacts: database, media and environment."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from pytest_django.fixtures import Settings

from django_snapshots import engine
from django_snapshots.artifacts.database import DatabaseArtifactImporter
from django_snapshots.artifacts.media import MediaArtifactImporter
from django_snapshots.artifacts.registry import artifact_types
from django_snapshots.exceptions import SnapshotError, SnapshotIntegrityError
from django_snapshots.manifest import ArtifactRecord
from django_snapshots.settings import SnapshotFormat
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage
from tests.example.shop.models import Customer, Order
from tests.sqlite_state import preserved_database as preserved_database

EXAMPLE_MEDIA = Path(__file__).resolve().parents[1] / "example" / "media"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v0_1_0b1"

pytestmark = pytest.mark.usefixtures("preserved_database")


def tree(root: Path) -> dict[str, bytes]:
    """Return every file below ``root`` with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def database_state() -> dict[str, Any]:
    """Return the shop's rows and the schema objects (tables, views, triggers, indexes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'shop_%' ORDER BY type, name"
        )
        schema = cursor.fetchall()
        cursor.execute("SELECT * FROM shop_customer_order_totals ORDER BY 1")
        view_rows = cursor.fetchall()
    return {
        "customers": list(Customer.objects.order_by("id").values_list()),
        "orders": list(Order.objects.order_by("id").values_list()),
        "schema": schema,
        "view": view_rows,
    }


@pytest.fixture
def project(tmp_path: Path, settings: Settings) -> Path:
    """Point MEDIA_ROOT at a scratch copy of the example media, and add a view and trigger."""
    media = tmp_path / "media"
    shutil.copytree(EXAMPLE_MEDIA, media)
    (media / "deep" / "er").mkdir(parents=True)
    (media / "deep" / "er" / "big.bin").write_bytes(os.urandom(300_000))
    settings.MEDIA_ROOT = str(media)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE VIEW shop_customer_order_totals AS SELECT c.name, SUM(o.total_cents) "
            "FROM shop_customer c JOIN shop_order o ON o.customer_id = c.id GROUP BY c.name"
        )
        cursor.execute(
            "CREATE TRIGGER shop_customer_lower AFTER INSERT ON shop_customer BEGIN "
            "UPDATE shop_customer SET email = lower(email) WHERE id = NEW.id; END"
        )
    Customer.objects.create(name="Grace", email="GRACE@EXAMPLE.COM")
    return media


def mutate(media: Path) -> None:
    """Change the database and the media so a restore has something to undo."""
    Order.objects.all().delete()
    Customer.objects.filter(name="Grace").delete()
    Customer.objects.create(name="Intruder", email="i@example.com")
    with connection.cursor() as cursor:
        cursor.execute("DROP VIEW shop_customer_order_totals")
        cursor.execute("CREATE VIEW shop_customer_order_totals AS SELECT 1, 2")
    (media / "logo.svg").write_text("changed")
    (media / "new.txt").write_text("absent from the snapshot")
    shutil.rmtree(media / "deep")


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_full_round_trip_restores_rows_schema_and_media(
    storage: SnapshotStorage, project: Path, snapshot_format: SnapshotFormat
) -> None:
    """database + media + environment come back row-identical and byte-identical."""
    before_db, before_media = database_state(), tree(project)
    assert any(row[0] == "trigger" for row in before_db["schema"])
    snapshot = engine.create_snapshot("full", snapshot_format=snapshot_format, storage=storage)
    assert sorted(record.type for record in snapshot.artifacts) == [
        "database",
        "environment",
        "media",
    ]
    media = "media.files.zst" if snapshot_format == "directory" else "media.tar.zst"
    assert {record.filename for record in snapshot.artifacts} >= {
        "default.sql.zst",
        media,  # the directory format keeps media in the content pool
        "requirements.txt",
    }
    mutate(project)
    assert database_state() != before_db and tree(project) != before_media
    engine.restore_snapshot("full", storage=storage)
    assert database_state() == before_db
    assert tree(project) == before_media
    Customer.objects.create(name="After", email="AFTER@X.ORG")
    assert Customer.objects.get(name="After").email == "after@x.org"  # the trigger fires


def test_corrupt_database_artifact_changes_nothing(
    local_storage: LocalFileSystemBackend, project: Path
) -> None:
    """A corrupted stored dump aborts the restore before the database or media change."""
    engine.create_snapshot("c", storage=local_storage)
    mutate(project)
    after_db, after_media = database_state(), tree(project)
    dump = local_storage.location / "c" / "default.sql.zst"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(SnapshotIntegrityError, match=r"'default.sql.zst'"):
        engine.restore_snapshot("c", storage=local_storage)
    assert database_state() == after_db
    assert tree(project) == after_media


class HalfDumpImporter(DatabaseArtifactImporter):
    """Restore only the first half of the dump, followed by a broken statement."""

    def restore(self, src: Path) -> None:
        """Feed the connector a dump that breaks midway."""
        text = src.read_bytes()
        broken = src.with_name("broken.sql")
        broken.write_bytes(text[: len(text) // 2] + b"\nTHIS IS NOT SQL;\n")
        super().restore(broken)


def test_importer_failing_midway_leaves_database_and_media(
    local_storage: LocalFileSystemBackend, project: Path
) -> None:
    """A database restore failing midway leaves the database (and media) as they were."""
    engine.create_snapshot("m", storage=local_storage)
    mutate(project)
    after_db, after_media = database_state(), tree(project)
    factories = {name: kind.importer for name, kind in artifact_types().items()}

    def half(record: ArtifactRecord) -> HalfDumpImporter:
        return HalfDumpImporter(record.metadata["database"], record.metadata["connector"])

    factories["database"] = half
    with pytest.raises(SnapshotError):
        engine.restore_snapshot("m", importers=factories, storage=local_storage)
    assert database_state() == after_db
    assert tree(project) == after_media


@pytest.mark.parametrize("fixture", ["v010b1-directory-sqlite", "v010b1-archive-dumpdata.tar"])
def test_0_1_0b1_snapshots_restore(
    tmp_path: Path, project: Path, fixture: str, settings: Settings
) -> None:
    """Snapshots written by django-snapshots 0.1.0b1 (gzip artifacts) restore through the engine."""
    store = tmp_path / "old-store"
    store.mkdir()
    if fixture.endswith(".tar"):
        shutil.copy(FIXTURES / fixture, store / fixture)
    else:
        shutil.copytree(FIXTURES / fixture, store / fixture)
    storage = LocalFileSystemBackend(store)
    name = fixture.removesuffix(".tar")
    assert engine.verify_snapshot(name, storage=storage).ok
    engine.restore_snapshot(name, storage=storage)
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Zoë Ångström",
    ]
    assert tree(project) == tree(EXAMPLE_MEDIA)
    listing, safety = sorted(
        engine.list_snapshots(storage=storage), key=lambda item: item.name.startswith("pre-")
    )
    assert listing.name == name and listing.error is None
    assert safety.name.startswith("pre-restore-") and safety.error is None


def test_our_directory_snapshot_keeps_the_0_1_0b1_layout(
    local_storage: LocalFileSystemBackend, project: Path
) -> None:
    """Our directory snapshots keep 0.1.0b1's layout: name/manifest.json plus one file each.

    Media is the pool's file list there (its content is in ``.pool/``, which 0.1.0b1
    never lists).
    """
    engine.create_snapshot("ours", storage=local_storage)
    root = local_storage.location / "ours"
    names = sorted(path.name for path in root.iterdir())
    assert names == ["default.sql.zst", "manifest.json", "media.files.zst", "requirements.txt"]


class HalfTarImporter(MediaArtifactImporter):
    """Restore media from a tar cut off in the middle of its members."""

    def restore(self, src: Path) -> None:
        """Feed the directory importer a truncated archive."""
        data = src.read_bytes()
        broken = src.with_name("broken.tar")
        broken.write_bytes(data[: len(data) // 2])
        super().restore(broken)


def test_media_restore_failing_midway_leaves_media(
    local_storage: LocalFileSystemBackend, project: Path
) -> None:
    """A media restore that breaks halfway through the archive leaves MEDIA_ROOT as it was."""
    engine.create_snapshot("mm", storage=local_storage)
    mutate(project)
    after_media = tree(project)

    def half(record: ArtifactRecord) -> HalfTarImporter:
        return HalfTarImporter()

    with pytest.raises((SnapshotError, OSError, EOFError)):
        engine.restore_snapshot("mm", importers={"media": half}, storage=local_storage)
    assert tree(project) == after_media
