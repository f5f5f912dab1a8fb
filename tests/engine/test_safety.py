"""Safety snapshots before restores, rollback from them, and undo, through the engine."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from django_snapshots import engine
from django_snapshots.artifacts.database import DatabaseArtifactImporter
from django_snapshots.artifacts.media import MediaArtifactImporter
from django_snapshots.artifacts.registry import (
    ArtifactType,
    register_artifact_type,
    unregister_artifact_type,
)
from django_snapshots.engine.space import check_restore_space, check_scratch_space
from django_snapshots.exceptions import (
    SnapshotConfigurationError,
    SnapshotIntegrityError,
    SnapshotNotFoundError,
    SnapshotRestoreError,
)
from django_snapshots.manifest import ArtifactRecord
from django_snapshots.retention import is_safety_snapshot
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.example.shop.models import Customer
from tests.sqlite_state import preserved_database as preserved_database

EXAMPLE_MEDIA = Path(__file__).resolve().parents[1] / "example" / "media"

pytestmark = pytest.mark.usefixtures("preserved_database")


def tree(root: Path) -> dict[str, bytes]:
    """Return every file below ``root`` with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def customers() -> list[str]:
    """Return the shop customers' names, sorted."""
    return sorted(Customer.objects.values_list("name", flat=True))


class Flaky:
    """A registered artifact type's file, whose importer fails while ``failing`` is set."""

    failing: bool = False
    export_fails: bool = False
    value: str = "original"


class FlakyExporter:
    """Export :attr:`Flaky.value`."""

    artifact_type: str = "flaky"
    filename: str = "flaky.txt"
    metadata: dict[str, Any]

    def __init__(self) -> None:
        """Export the current value."""
        self.metadata = {}

    def generate(self, dest: Path) -> None:
        """Write the value, or fail while :attr:`Flaky.export_fails` is set."""
        if Flaky.export_fails:
            raise OSError("the flaky exporter could not read its file")
        dest.write_text(Flaky.value)


class FlakyImporter:
    """Put the value back, or fail while :attr:`Flaky.failing` is set."""

    artifact_type: str = "flaky"

    def restore(self, src: Path) -> None:
        """Restore the value unless told to fail (then change nothing)."""
        if Flaky.failing:
            raise SnapshotConfigurationError("the flaky importer refused")
        Flaky.value = src.read_text()


@pytest.fixture
def site(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    """Give MEDIA_ROOT a copy of the example media and register the flaky artifact type."""
    media = tmp_path / "media"
    shutil.copytree(EXAMPLE_MEDIA, media)
    settings.MEDIA_ROOT = str(media)
    Flaky.failing, Flaky.export_fails, Flaky.value = False, False, "original"
    register_artifact_type(
        ArtifactType("flaky", lambda: [FlakyExporter()], lambda record: FlakyImporter())
    )
    try:
        yield media
    finally:
        unregister_artifact_type("flaky")


def change(media: Path) -> None:
    """Change the database, the media and the flaky value after a snapshot."""
    Customer.objects.create(name="Intruder", email="i@example.com")
    (media / "logo.svg").write_text("changed")
    (media / "new.txt").write_text("absent from the snapshot")
    Flaky.value = "changed"


def state(media: Path) -> tuple[list[str], dict[str, bytes], str]:
    """Return what a restore may change: rows, media files and the flaky value."""
    return customers(), tree(media), Flaky.value


def test_restore_takes_a_marked_safety_snapshot_of_what_it_overwrites(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """The safety snapshot holds the same types and aliases, marked with the restored name."""
    engine.create_snapshot("s", storage=local_storage)
    change(site)
    engine.restore_snapshot("s", storage=local_storage)
    (safety,) = [
        item.snapshot
        for item in engine.list_snapshots(storage=local_storage)
        if item.snapshot is not None and is_safety_snapshot(item.snapshot)
    ]
    assert safety.name.startswith("pre-restore-")
    info = safety.metadata["safety"]
    assert info["restore_of"] == "s" and info["undo"] is False
    assert sorted(record.type for record in safety.artifacts) == ["database", "flaky", "media"]
    (dump,) = [record for record in safety.artifacts if record.type == "database"]
    assert dump.metadata["database"] == "default"
    (media,) = [record for record in safety.artifacts if record.type == "media"]
    assert media.metadata["directory"] == str(site)
    # Each type declares its capture (database alias, media directory): rule "registered";
    # media in the directory format goes to the pool, so the safety snapshot is incremental.
    assert info["importers"] == {
        "default.sql.zst": "registered",
        "media.files.zst": "registered",
        "flaky.txt.zst": "registered",
    }


def test_undo_puts_back_exactly_the_state_before_the_restore(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """undo_last_restore restores rows, media (replace mode) and the rest as they were."""
    engine.create_snapshot("s", storage=local_storage)
    change(site)
    before = state(site)
    engine.restore_snapshot("s", storage=local_storage)
    assert state(site) != before
    undone = engine.undo_last_restore(storage=local_storage)
    assert state(site) == before
    assert undone.restore_of == "s" and "the restore of snapshot 's'" in undone.describe()


def test_undo_takes_its_own_safety_snapshot_and_is_repeatable(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """Undo saves what it overwrites (marked undo); a second undo puts back the same state."""
    engine.create_snapshot("s", storage=local_storage)
    change(site)
    before = state(site)
    engine.restore_snapshot("s", storage=local_storage)
    first = engine.undo_last_restore(storage=local_storage)
    undo_made = [
        item.snapshot
        for item in engine.list_snapshots(storage=local_storage)
        if item.snapshot is not None and item.snapshot.metadata.get("safety", {}).get("undo")
    ]
    assert len(undo_made) == 1
    second = engine.undo_last_restore(storage=local_storage)
    assert second.safety_snapshot.name == first.safety_snapshot.name
    assert state(site) == before
    redo = engine.undo_last_restore(undo_made[0].name, storage=local_storage)
    assert redo.undoes_an_undo and Flaky.value == "original"


def test_undo_refuses_when_no_restore_left_a_safety_snapshot(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """Without a safety snapshot, undo raises a not-found error and changes nothing."""
    engine.create_snapshot("s", storage=local_storage)
    with pytest.raises(SnapshotNotFoundError, match="no safety snapshot"):
        engine.undo_last_restore(storage=local_storage)
    with pytest.raises(SnapshotNotFoundError, match="not a safety snapshot"):
        engine.undo_last_restore("s", storage=local_storage)


def test_importer_failing_after_the_database_import_puts_everything_back(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """A failure after the database and media were restored leaves the site as before."""
    engine.create_snapshot("s", storage=local_storage)
    change(site)
    before = state(site)
    Flaky.failing = True
    with pytest.raises(
        SnapshotRestoreError, match="everything it had restored was put back"
    ) as raised:
        engine.restore_snapshot("s", storage=local_storage)
    assert raised.value.rolled_back and raised.value.safety_snapshot is not None
    assert "flaky importer refused" in str(raised.value)
    assert state(site) == before


def test_without_a_safety_snapshot_a_late_failure_says_what_stays_restored(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """safety_snapshot=False takes none; a late failure names what could not be put back."""
    engine.create_snapshot("s", storage=local_storage)
    change(site)
    Flaky.failing = True
    with pytest.raises(SnapshotRestoreError, match="no safety snapshot was taken") as raised:
        engine.restore_snapshot("s", storage=local_storage, safety_snapshot=False)
    assert not raised.value.rolled_back and "default.sql.zst" in str(raised.value)
    assert [item.name for item in engine.list_snapshots(storage=local_storage)] == ["s"]


def test_a_corrupt_artifact_leaves_no_safety_snapshot_behind(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """When fetching fails, nothing was touched and the safety snapshot is deleted again."""
    engine.create_snapshot("s", storage=local_storage)
    change(site)
    before = state(site)
    stored = local_storage.location / "s" / "media.files.zst"  # the pool's file list
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(SnapshotIntegrityError, match=r"media\.files\.zst"):
        engine.restore_snapshot("s", storage=local_storage)
    assert state(site) == before
    assert [item.name for item in engine.list_snapshots(storage=local_storage)] == ["s"]


def test_safety_snapshot_saves_the_media_root_the_restore_writes_to(
    local_storage: LocalFileSystemBackend, site: Path, tmp_path: Path
) -> None:
    """Media restored into another root is saved from, and put back into, that root."""
    engine.create_snapshot("s", storage=local_storage)
    other = tmp_path / "other-root"
    other.mkdir()
    (other / "only-here.txt").write_text("keep me")

    def elsewhere(record: ArtifactRecord) -> MediaArtifactImporter:
        return MediaArtifactImporter(other)

    engine.restore_snapshot("s", importers={"media": elsewhere}, storage=local_storage)
    assert not (other / "only-here.txt").exists()
    engine.undo_last_restore(storage=local_storage)
    assert tree(other) == {"only-here.txt": b"keep me"}


def test_the_newest_snapshot_is_never_a_safety_snapshot(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """After a restore, a bare restore and get_snapshot() still mean the newest real one."""
    engine.create_snapshot("s", storage=local_storage)
    engine.restore_snapshot("s", storage=local_storage)
    assert engine.get_snapshot(storage=local_storage).name == "s"


def test_directory_imports_run_beside_the_database_import(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """While the database loads, the media importer is already running in another thread."""
    engine.create_snapshot("s", storage=local_storage)
    both = threading.Barrier(2, timeout=30)
    threads: dict[str, str] = {}

    class MeetingDatabase(DatabaseArtifactImporter):
        def restore(self, src: Path) -> None:
            threads["database"] = threading.current_thread().name
            both.wait()
            super().restore(src)

    class MeetingMedia(MediaArtifactImporter):
        def restore(self, src: Path) -> None:
            threads["media"] = threading.current_thread().name
            both.wait()
            super().restore(src)

    def database(record: ArtifactRecord) -> MeetingDatabase:
        return MeetingDatabase(record.metadata["database"], record.metadata["connector"])

    def media(record: ArtifactRecord) -> MeetingMedia:
        return MeetingMedia()

    engine.restore_snapshot(
        "s", importers={"database": database, "media": media}, storage=local_storage
    )
    assert threads["database"] == threading.main_thread().name
    assert threads["media"] != threads["database"]


def test_scratch_check_refuses_with_the_numbers(tmp_path: Path) -> None:
    """A restore whose plain files exceed the free scratch space names both sizes."""
    moment = datetime.now(timezone.utc)
    huge = ArtifactRecord("database", "d.sql.zst", 10, "sha256:x", moment, {"plain_size": 10**18})
    with pytest.raises(SnapshotConfigurationError, match=r"need .*\(1000000000000000000 bytes\)"):
        check_scratch_space("s", [huge], tmp_path)
    check_scratch_space("s", [], tmp_path)


def test_a_tree_restore_needs_room_beside_its_target(tmp_path: Path) -> None:
    """A media tree must fit on its folder's filesystem, together with scratch if shared."""
    moment = datetime.now(timezone.utc)
    importer = MediaArtifactImporter(tmp_path / "media")
    free = shutil.disk_usage(tmp_path).free

    def pooled(tree: int, listing: int = 100) -> ArtifactRecord:
        metadata = {"plain_size": listing, "bytes": tree, "layout": "pool"}
        return ArtifactRecord("media", "media.files", 10, "sha256:x", moment, metadata)

    with pytest.raises(SnapshotConfigurationError, match=r"the media folder \(.*media\) need"):
        check_restore_space("s", [(pooled(10**18), importer)], tmp_path)
    check_restore_space("s", [(pooled(1000), importer)], tmp_path)
    # Each fits alone; on one filesystem, scratch and the new tree do not fit together.
    both = pooled(free * 6 // 10, free * 6 // 10)
    with pytest.raises(SnapshotConfigurationError, match=r"scratch \(.*\) and the media folder"):
        check_restore_space("s", [(both, importer)], tmp_path)


def test_a_media_tar_for_a_storage_needs_room_to_unpack_in_scratch(tmp_path: Path) -> None:
    """A tar restored into a Django storage is unpacked in scratch; a pool list is not."""
    moment = datetime.now(timezone.utc)
    into_storage = MediaArtifactImporter(storage="default")
    tar = ArtifactRecord(
        "media", "media.tar.zst", 10, "sha256:x", moment, {"plain_size": 100, "bytes": 10**18}
    )
    with pytest.raises(SnapshotConfigurationError, match="plain files and the media they unpack"):
        check_restore_space("s", [(tar, into_storage)], tmp_path)
    pooled = ArtifactRecord(
        "media", "media.files", 10, "sha256:x", moment, {"layout": "pool", "bytes": 10**18}
    )
    check_restore_space("s", [(pooled, into_storage)], tmp_path)


def test_a_safety_snapshot_that_cannot_be_taken_stops_the_restore_untouched(
    local_storage: LocalFileSystemBackend, site: Path
) -> None:
    """If what the restore overwrites cannot be saved, nothing is restored, and it says why."""
    engine.create_snapshot("s", storage=local_storage)
    change(site)
    before = state(site)
    Flaky.export_fails = True
    with pytest.raises(SnapshotRestoreError, match="could not take the safety snapshot") as raised:
        engine.restore_snapshot("s", storage=local_storage)
    assert "the flaky exporter could not read its file" in str(raised.value)
    assert state(site) == before
    assert [item.name for item in engine.list_snapshots(storage=local_storage)] == ["s"]
