"""The media pool as the engine and the CLI drive it: GC on delete, check, verify, S3."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.test import override_settings
from pytest_django.fixtures import Settings

from django_snapshots import engine
from django_snapshots.artifacts.media import MediaArtifactExporter, media_importer_factory
from django_snapshots.engine.health import storage_findings
from django_snapshots.exceptions import SnapshotConfigurationError
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage
from tests.management.conftest import call
from tests.pool.harness import make_tree, pool_bytes, pool_files, tree_of
from tests.s3server import S3Server

pytestmark = pytest.mark.usefixtures("cached_pip")


@pytest.fixture
def cached_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the real pip freeze (a second per backup): the manifest lists one line."""
    from django_snapshots.engine import backup as engine_backup

    monkeypatch.setattr(engine_backup, "pip_freeze", lambda: ["pool-wiring==1"])


def _media(root: Path, extra: bytes | None = None) -> Path:
    files: dict[str, bytes | str] = {"a.bin": os.urandom(200_000), "docs/b.txt": b"b" * 5000}
    if extra is not None:
        files["only-in-second.bin"] = extra
    return make_tree(root, files)


def _backup(storage: SnapshotStorage, name: str, media: Path) -> None:
    engine.create_snapshot(name, exporters=[MediaArtifactExporter(media)], storage=storage)


def test_delete_frees_what_only_the_deleted_snapshot_held(tmp_path: Path) -> None:
    """Deleting a snapshot shrinks the pool by the content only it used; the other restores."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    media = _media(tmp_path / "media")
    _backup(storage, "first", media)
    before = pool_bytes(storage)
    (media / "only-in-second.bin").write_bytes(os.urandom(300_000))
    _backup(storage, "second", media)
    assert pool_bytes(storage) >= before + 300_000
    engine.delete_snapshot("second", storage=storage)
    assert pool_bytes(storage) <= before + 1024  # the index may differ by a few bytes
    target = tmp_path / "restored"
    target.mkdir()
    engine.restore_snapshot(
        "first", importers={"media": media_importer_factory(target)}, storage=storage
    )
    expected = tree_of(media)
    del expected["only-in-second.bin"]
    assert tree_of(target) == expected


def test_check_reports_unreferenced_content_until_it_is_collected(tmp_path: Path) -> None:
    """Content left by a delete without GC is reported; collect_garbage frees it."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    media = _media(tmp_path / "media")
    _backup(storage, "kept", media)
    (media / "gone.bin").write_bytes(os.urandom(100_000))
    _backup(storage, "gone", media)
    engine.delete_snapshot("gone", storage=storage, collect_garbage=False)
    assert any("unreferenced" in line for line in storage_findings(storage=storage))
    reports = engine.collect_garbage(storage=storage)
    assert [report.skipped for report in reports] == [None] and reports[0].freed > 100_000
    assert storage_findings(storage=storage) == []


def test_verify_read_data_finds_a_damaged_pack(tmp_path: Path) -> None:
    """A flipped byte in a pack passes the size check but fails --read-data."""
    storage = LocalFileSystemBackend(tmp_path / "store")
    _backup(storage, "v", _media(tmp_path / "media"))
    assert engine.verify_snapshot("v", storage=storage, read_data=True).ok
    pack = next(path for path in pool_files(storage) if "/packs/" in path)
    stored = storage.location / pack
    data = bytearray(stored.read_bytes())
    data[len(data) // 3] ^= 0x40
    stored.write_bytes(bytes(data))
    assert engine.verify_snapshot("v", storage=storage).ok  # sizes only
    assert not engine.verify_snapshot("v", storage=storage, read_data=True).ok


def test_a_storage_inside_the_media_root_is_refused(tmp_path: Path) -> None:
    """Backing up or restoring a media root that holds the snapshot storage is refused."""
    media = _media(tmp_path / "media")
    storage = LocalFileSystemBackend(media / "snapshots")
    with pytest.raises(SnapshotConfigurationError, match="inside the media directory"):
        _backup(storage, "inside", media)
    assert not (media / "snapshots").exists()


def test_media_storage_setting_backs_up_a_django_storage(
    tmp_path: Path, settings: Settings
) -> None:
    """With MEDIA_STORAGE the bare media artifact reads and restores that storage's files."""
    uploads = _media(tmp_path / "uploads")
    alias = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(uploads)},
    }
    location = tmp_path / "store"
    with override_settings(
        STORAGES={**storages.backends, "uploads": alias},
        SNAPSHOTS={
            "STORAGE": LocalFileSystemBackend(location),
            "MEDIA_STORAGE": "uploads",
            "DEFAULT_ARTIFACTS": ["media"],
        },
    ):
        before = tree_of(uploads, modes=False)
        assert "Created snapshot 'm'" in call("backup", "--name", "m")
        (uploads / "a.bin").write_bytes(b"changed")
        (uploads / "new.txt").write_text("not in the snapshot")
        call("restore", "--name", "m", "--noinput")
        assert tree_of(uploads, modes=False) == before


def test_incremental_media_on_s3(s3_server: S3Server, tmp_path: Path) -> None:
    """On S3 the second, unchanged backup re-reads and uploads no content; restore is exact."""
    storage = s3_server.make_backend("pool")
    media = _media(tmp_path / "media")
    _backup(storage, "one", media)
    exporter = MediaArtifactExporter(media)
    snapshot = engine.create_snapshot("two", exporters=[exporter], storage=storage)
    (record,) = snapshot.artifacts
    assert record.metadata["reused_files"] == record.metadata["files"] == 2
    assert record.metadata["new_bytes"] == 0
    target = tmp_path / "restored"
    target.mkdir()
    engine.restore_snapshot(
        "two", importers={"media": media_importer_factory(target)}, storage=storage
    )
    assert tree_of(target) == tree_of(media)
