"""Backup and restore through the engine with small fake artifacts, on both tiers."""

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

from django_snapshots import engine
from django_snapshots.exceptions import (
    SnapshotConfigurationError,
    SnapshotExistsError,
    SnapshotIntegrityError,
    SnapshotNameError,
    SnapshotNotFoundError,
)
from django_snapshots.manifest import ArtifactRecord
from django_snapshots.settings import SnapshotFormat
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import SnapshotStorage
from tests.engine.conftest import (
    AsyncCollectingImporter,
    AsyncFakeExporter,
    CollectingImporter,
    FakeExporter,
)

TEXT = b"row,value\n" * 20_000
BLOB = os.urandom(200_000)


def importers(received: dict[str, bytes], *types: str) -> dict[str, Any]:
    """Return importer factories collecting into ``received`` for ``types`` (default: fake)."""

    def fake(record: ArtifactRecord) -> CollectingImporter:
        return CollectingImporter("fake", received, record)

    def afake(record: ArtifactRecord) -> AsyncCollectingImporter:
        return AsyncCollectingImporter("afake", received, record)

    factories: dict[str, Any] = {"fake": fake, "afake": afake}
    return {name: factories[name] for name in types or ("fake",)}


def stored_bytes(storage: SnapshotStorage, name: str, filename: str) -> bytes:
    """Return a stored artifact's bytes, whichever format holds it."""
    from django_snapshots import layout

    (location,) = layout.locate(storage, name)
    if location.format == "directory":
        with layout.open_artifact(storage, location, filename) as stream:
            return stream.read()
    for _, stream in layout.iter_archive_members(storage, name, [filename]):
        return stream.read()
    raise AssertionError("unreachable")


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_round_trip_restores_identical_bytes(
    storage: SnapshotStorage, snapshot_format: SnapshotFormat
) -> None:
    """Every artifact comes back byte-identical, sync and async, in both formats and tiers."""
    snapshot = engine.create_snapshot(
        "round",
        exporters=[FakeExporter("data.csv", TEXT), AsyncFakeExporter("blob.bin", BLOB)],
        snapshot_format=snapshot_format,
        storage=storage,
    )
    received: dict[str, bytes] = {}
    restored = engine.restore_snapshot(
        "round", importers=importers(received, "fake", "afake"), storage=storage
    )
    assert received == {"data.csv.zst": TEXT, "blob.bin.zst": BLOB}
    assert restored.to_dict() == snapshot.to_dict()
    assert engine.get_snapshot("round", storage=storage).to_dict() == snapshot.to_dict()


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_manifest_records_stored_file_size_checksum_and_codec(
    storage: SnapshotStorage, snapshot_format: SnapshotFormat
) -> None:
    """Each record holds the stored zstd file's size and sha256, its codec and plain size."""
    snapshot = engine.create_snapshot(
        "m",
        exporters=[FakeExporter("data.csv", TEXT)],
        snapshot_format=snapshot_format,
        storage=storage,
    )
    (record,) = snapshot.artifacts
    stored = stored_bytes(storage, "m", "data.csv.zst")
    assert record.filename == "data.csv.zst"
    assert record.metadata == {"compression": "zstd", "plain_size": len(TEXT)}
    assert record.size == len(stored) < len(TEXT)
    assert record.checksum == "sha256:" + hashlib.sha256(stored).hexdigest()
    assert zstandard.ZstdDecompressor().decompressobj().decompress(stored) == TEXT
    assert snapshot.version == "1" and not snapshot.encrypted
    assert any(line.startswith("Django==") for line in snapshot.pip)
    assert snapshot.created_at.tzinfo is not None


def test_exporter_asking_for_no_compression_is_stored_as_is(storage: SnapshotStorage) -> None:
    """An exporter that sets compression 'none' is stored under its plain name, unchanged."""
    exporter = FakeExporter("requirements.txt", b"Django==5.2\n")
    exporter.metadata["compression"] = "none"
    snapshot = engine.create_snapshot("plain", exporters=[exporter], storage=storage)
    assert [record.filename for record in snapshot.artifacts] == ["requirements.txt"]
    assert stored_bytes(storage, "plain", "requirements.txt") == b"Django==5.2\n"
    received: dict[str, bytes] = {}
    engine.restore_snapshot("plain", importers=importers(received), storage=storage)
    assert received == {"requirements.txt": b"Django==5.2\n"}


def test_importer_receives_the_plain_file_name(storage: SnapshotStorage) -> None:
    """Importers get the decompressed file under its plain name (codec suffix removed)."""
    names: list[str] = []

    class NameImporter:
        artifact_type = "fake"

        def restore(self, src: Path) -> None:
            names.append(src.name)

    engine.create_snapshot("n", exporters=[FakeExporter("default.sql", b"x")], storage=storage)
    engine.restore_snapshot("n", importers={"fake": lambda record: NameImporter()}, storage=storage)
    assert names == ["default.sql"]


def test_existing_name_needs_overwrite(storage: SnapshotStorage) -> None:
    """Backing up to an existing name raises SnapshotExistsError unless overwrite is set."""
    engine.create_snapshot("same", exporters=[FakeExporter("a", b"1")], storage=storage)
    with pytest.raises(SnapshotExistsError, match="'same' already exists"):
        engine.create_snapshot("same", exporters=[FakeExporter("a", b"2")], storage=storage)
    engine.create_snapshot(
        "same", exporters=[FakeExporter("b", b"3")], overwrite=True, storage=storage
    )
    received: dict[str, bytes] = {}
    engine.restore_snapshot("same", importers=importers(received), storage=storage)
    assert received == {"b.zst": b"3"}
    assert sorted(storage.list("same/")) == ["same/b.zst", "same/manifest.json"]


@pytest.mark.parametrize(("first", "second"), [("directory", "archive"), ("archive", "directory")])
def test_overwrite_across_formats_leaves_one_copy(
    storage: SnapshotStorage, first: SnapshotFormat, second: SnapshotFormat
) -> None:
    """Overwriting in the other format removes the old copy in the first format."""
    engine.create_snapshot(
        "x", exporters=[FakeExporter("a", b"1")], snapshot_format=first, storage=storage
    )
    engine.create_snapshot(
        "x",
        exporters=[FakeExporter("a", b"2")],
        snapshot_format=second,
        overwrite=True,
        storage=storage,
    )
    listings = engine.list_snapshots(storage=storage)
    assert [(item.name, item.format) for item in listings] == [("x", second)]
    assert storage.list("") == (
        ["x.tar"] if second == "archive" else ["x/a.zst", "x/manifest.json"]
    )


def test_failed_exporter_keeps_old_snapshot_and_leaves_nothing(storage: SnapshotStorage) -> None:
    """A failing exporter during an overwrite leaves the old snapshot whole and no debris."""

    class Broken(FakeExporter):
        def generate(self, dest: Path) -> None:
            dest.write_bytes(b"partial")
            raise RuntimeError("disk full")

    engine.create_snapshot("keep", exporters=[FakeExporter("a", b"old")], storage=storage)
    before = sorted(storage.list(""))
    with pytest.raises(RuntimeError, match="disk full"):
        engine.create_snapshot(
            "keep",
            exporters=[FakeExporter("a", b"new"), Broken("b", b"")],
            overwrite=True,
            storage=storage,
        )
    assert sorted(storage.list("")) == before
    received: dict[str, bytes] = {}
    engine.restore_snapshot("keep", importers=importers(received), storage=storage)
    assert received == {"a.zst": b"old"}


def test_failed_first_backup_leaves_nothing(storage: SnapshotStorage) -> None:
    """A failing backup of a new name leaves no files at all."""

    class Broken(FakeExporter):
        def generate(self, dest: Path) -> None:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        engine.create_snapshot(
            "new", exporters=[FakeExporter("a", b"1"), Broken("b", b"")], storage=storage
        )
    assert storage.list("") == []


def test_duplicate_and_unsafe_artifact_names_are_refused(storage: SnapshotStorage) -> None:
    """Two artifacts stored under one name, or a path-like name, fail before anything runs."""
    with pytest.raises(SnapshotConfigurationError, match="unique"):
        engine.create_snapshot(
            "d", exporters=[FakeExporter("a", b""), FakeExporter("a", b"")], storage=storage
        )
    with pytest.raises(SnapshotNameError, match="plain name"):
        engine.create_snapshot("d", exporters=[FakeExporter("../a", b"")], storage=storage)
    with pytest.raises(SnapshotNameError):
        engine.create_snapshot("bad name", exporters=[FakeExporter("a", b"")], storage=storage)
    assert storage.list("") == []


@pytest.mark.parametrize("snapshot_format", ["directory", "archive"])
def test_corrupt_artifact_aborts_before_any_importer_runs(
    storage: SnapshotStorage, snapshot_format: SnapshotFormat, tmp_path: Path
) -> None:
    """A stored file that does not match its checksum stops the restore before any import."""
    engine.create_snapshot(
        "c",
        exporters=[FakeExporter("good", TEXT), FakeExporter("bad", BLOB)],
        snapshot_format=snapshot_format,
        storage=storage,
    )
    store = tmp_path / "store"
    if snapshot_format == "archive":
        target = store / "c.tar"
        with tarfile.open(target) as tar:
            offset = tar.getmember("bad.zst").offset_data + 1000
    else:
        target = store / "c" / "bad.zst"
        offset = 1000
    data = bytearray(target.read_bytes())
    data[offset] ^= 0xFF
    target.write_bytes(bytes(data))
    received: dict[str, bytes] = {}
    with pytest.raises(SnapshotIntegrityError, match=r"'bad.zst' of snapshot 'c' is corrupt"):
        engine.restore_snapshot("c", importers=importers(received), storage=storage)
    assert received == {}
    report = engine.verify_snapshot("c", storage=storage)
    assert not report.ok
    assert [(check.filename, check.ok) for check in report.checks] == [
        ("good.zst", True),
        ("bad.zst", False),
    ]


def test_truncated_artifact_is_reported_by_size(storage: SnapshotStorage, tmp_path: Path) -> None:
    """A truncated stored file is an integrity error that names the size mismatch."""
    engine.create_snapshot("t", exporters=[FakeExporter("a", BLOB)], storage=storage)
    target = tmp_path / "store" / "t" / "a.zst"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(SnapshotIntegrityError, match="size 1000 bytes"):
        engine.restore_snapshot("t", importers=importers({}), storage=storage)


def test_restore_selects_types_and_rejects_absent_ones(storage: SnapshotStorage) -> None:
    """Only requested types are restored; a requested type the snapshot lacks is not found."""
    engine.create_snapshot(
        "sel", exporters=[FakeExporter("a", b"1"), AsyncFakeExporter("b", b"2")], storage=storage
    )
    received: dict[str, bytes] = {}
    only_fake = {"fake": importers(received)["fake"]}
    engine.restore_snapshot("sel", importers=only_fake, storage=storage)
    assert received == {"a.zst": b"1"}
    with pytest.raises(SnapshotNotFoundError, match="has no media artifact"):
        engine.restore_snapshot("sel", importers={"media": lambda record: None}, storage=storage)


def test_factory_returning_none_skips_the_record(storage: SnapshotStorage) -> None:
    """An importer factory that returns None skips that artifact."""
    engine.create_snapshot(
        "skip", exporters=[FakeExporter("a", b"1"), FakeExporter("b", b"2")], storage=storage
    )
    received: dict[str, bytes] = {}

    def factory(record: ArtifactRecord) -> CollectingImporter | None:
        return CollectingImporter("fake", received, record) if record.filename == "b.zst" else None

    engine.restore_snapshot("skip", importers={"fake": factory}, storage=storage)
    assert received == {"b.zst": b"2"}


def test_restore_defaults_to_the_newest(storage: SnapshotStorage) -> None:
    """Without a name, restore picks the most recently created snapshot."""
    engine.create_snapshot("older", exporters=[FakeExporter("a", b"old")], storage=storage)
    engine.create_snapshot(
        "newer", exporters=[FakeExporter("a", b"new")], snapshot_format="archive", storage=storage
    )
    received: dict[str, bytes] = {}
    assert engine.restore_snapshot(importers=importers(received), storage=storage).name == "newer"
    assert received == {"a.zst": b"new"}


def test_restore_of_empty_storage_is_not_found(storage: SnapshotStorage) -> None:
    """Restoring the newest snapshot of an empty storage raises SnapshotNotFoundError."""
    with pytest.raises(SnapshotNotFoundError):
        engine.restore_snapshot(importers=importers({}), storage=storage)
    with pytest.raises(SnapshotNotFoundError, match="'nope' not found"):
        engine.get_snapshot("nope", storage=storage)


def test_list_shows_newest_first_then_unreadable(storage: SnapshotStorage) -> None:
    """list_snapshots orders readable snapshots newest first, then unreadable ones with errors."""
    import io

    engine.create_snapshot("one", exporters=[FakeExporter("a", b"1")], storage=storage)
    engine.create_snapshot(
        "two", exporters=[FakeExporter("a", b"2")], snapshot_format="archive", storage=storage
    )
    storage.write("future/manifest.json", io.BytesIO(b'{"version": "2"}'))
    storage.write("broken/manifest.json", io.BytesIO(b"{not json"))
    storage.write("garbage.tar", io.BytesIO(b"not a tar"))
    listings = engine.list_snapshots(storage=storage)
    assert [(item.name, item.snapshot is not None) for item in listings] == [
        ("two", True),
        ("one", True),
        ("broken", False),
        ("future", False),
        ("garbage", False),
    ]
    errors = {item.name: item.error or "" for item in listings}
    assert "version '2'" in errors["future"]
    assert "not valid JSON" in errors["broken"]
    for name in ("future", "broken", "garbage"):
        engine.delete_snapshot(name, storage=storage)
    assert [item.name for item in engine.list_snapshots(storage=storage)] == ["two", "one"]


def test_delete_removes_every_file_and_unknown_name_is_not_found(storage: SnapshotStorage) -> None:
    """delete_snapshot removes a snapshot in either format; a missing name is not found."""
    engine.create_snapshot("d1", exporters=[FakeExporter("a", b"1")], storage=storage)
    engine.create_snapshot(
        "d2", exporters=[FakeExporter("a", b"1")], snapshot_format="archive", storage=storage
    )
    engine.delete_snapshot("d1", storage=storage)
    engine.delete_snapshot("d2", storage=storage)
    assert storage.list("") == []
    with pytest.raises(SnapshotNotFoundError):
        engine.delete_snapshot("d1", storage=storage)


def test_progress_reports_each_stage(storage: SnapshotStorage) -> None:
    """The progress callback hears export, store, fetch and restore events per artifact."""
    events: list[engine.ProgressEvent] = []
    engine.create_snapshot(
        "p", exporters=[FakeExporter("a", TEXT)], storage=storage, progress=events.append
    )
    engine.restore_snapshot("p", importers=importers({}), storage=storage, progress=events.append)
    stages = {event.stage for event in events}
    assert stages == {"export", "store", "fetch", "restore"}
    fetched = [event for event in events if event.stage == "fetch"]
    assert fetched[-1].done == fetched[-1].total
    assert {event.filename for event in events} == {"a.zst"}


def test_settings_metadata_and_name_template_are_used(
    storage: SnapshotStorage, settings: Any
) -> None:
    """Without a name the SNAPSHOT_NAME template is rendered; METADATA lands in the manifest."""
    snapshots = settings.SNAPSHOTS.to_dict()
    snapshots["metadata"] = {"env": "test"}
    snapshots["snapshot_name"] = "auto-{timestamp_utc}"
    settings.SNAPSHOTS = snapshots
    snapshot = engine.create_snapshot(exporters=[FakeExporter("a", b"1")], storage=storage)
    assert snapshot.name.startswith("auto-") and snapshot.name.endswith("-UTC")
    assert snapshot.metadata == {"env": "test"}


class ManifestFailingStorage(LocalFileSystemBackend):
    """A backend that cannot store any manifest."""

    def stream_write(self, path: str, chunks: Iterator[bytes]) -> None:
        """Refuse manifests, store everything else."""
        if path.endswith("manifest.json"):
            raise OSError("no space for the manifest")
        super().stream_write(path, chunks)


@pytest.mark.parametrize("first", [True, False])
def test_failing_manifest_write_leaves_old_snapshot_and_no_debris(
    tmp_path: Path, first: bool
) -> None:
    """If the manifest cannot be stored, the new files are removed and any old snapshot stays."""
    (tmp_path / "store").mkdir()
    if not first:
        engine.create_snapshot(
            "w",
            exporters=[FakeExporter("a", b"old")],
            storage=LocalFileSystemBackend(tmp_path / "store"),
        )
    before = sorted(LocalFileSystemBackend(tmp_path / "store").list(""))
    failing = ManifestFailingStorage(tmp_path / "store")
    with pytest.raises(OSError, match="no space"):
        engine.create_snapshot(
            "w", exporters=[FakeExporter("a", b"new")], overwrite=True, storage=failing
        )
    assert sorted(failing.list("")) == before


def test_verify_reports_a_missing_artifact_file(storage: SnapshotStorage) -> None:
    """verify_snapshot reports a deleted artifact file instead of raising."""
    engine.create_snapshot(
        "v", exporters=[FakeExporter("a", b"1"), FakeExporter("b", b"2")], storage=storage
    )
    storage.delete("v/b.zst")
    report = engine.verify_snapshot("v", storage=storage)
    assert [(check.filename, check.ok) for check in report.checks] == [
        ("a.zst", True),
        ("b.zst", False),
    ]
    assert "missing" in report.checks[1].message


def test_storage_defaults_to_the_configured_backend(tmp_path: Path, settings: Any) -> None:
    """Without a storage argument every function uses the SNAPSHOTS STORAGE setting."""
    settings.SNAPSHOTS = {
        "STORAGE": {
            "BACKEND": "django_snapshots.storage.LocalFileSystemBackend",
            "OPTIONS": {"location": str(tmp_path / "configured")},
        }
    }
    engine.create_snapshot("cfg", exporters=[FakeExporter("a", b"1")])
    assert (tmp_path / "configured" / "cfg" / "manifest.json").is_file()
    assert [item.name for item in engine.list_snapshots()] == ["cfg"]
    assert engine.verify_snapshot("cfg").ok
    engine.delete_snapshot("cfg")
    assert engine.list_snapshots() == []
