"""The engine's signals: sent around backups, restores and deletions, with the outcome."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.dispatch import Signal

from django_snapshots import engine, signals
from django_snapshots.artifacts.registry import (
    ArtifactType,
    register_artifact_type,
    unregister_artifact_type,
)
from django_snapshots.exceptions import (
    SnapshotConfigurationError,
    SnapshotIntegrityError,
    SnapshotNotFoundError,
    SnapshotRestoreError,
)
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.storage.local import LocalFileSystemBackend
from tests.engine.conftest import CollectingImporter, FakeExporter


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalFileSystemBackend:
    """Return an empty local storage."""
    (tmp_path / "store").mkdir()
    return LocalFileSystemBackend(tmp_path / "store")


class Recorder:
    """Collect every send of the five signals as ``(signal name, kwargs)``."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self.events: list[tuple[str, dict[str, Any]]] = []

    def receiver(self, label: str) -> Any:
        """Return a receiver that records sends under ``label``."""

        def receive(sender: object, **kwargs: Any) -> None:
            assert sender is Snapshot
            kwargs.pop("signal")
            self.events.append((label, kwargs))

        return receive

    def names(self) -> list[str]:
        """Return the labels of the sends, in order."""
        return [label for label, _ in self.events]

    def last(self, label: str) -> dict[str, Any]:
        """Return the kwargs of the last send labelled ``label``."""
        return [kwargs for name, kwargs in self.events if name == label][-1]


@pytest.fixture
def received() -> Iterator[Recorder]:
    """Connect a recorder to every signal for the test."""
    recorder = Recorder()
    pairs: list[tuple[Signal, Any]] = []
    for label in ("pre_backup", "post_backup", "pre_restore", "post_restore", "post_delete"):
        signal: Signal = getattr(signals, label)
        receive = recorder.receiver(label)
        signal.connect(receive, weak=False)
        pairs.append((signal, receive))
    try:
        yield recorder
    finally:
        for signal, receive in pairs:
            signal.disconnect(receive)


def _fakes(received: dict[str, bytes]) -> dict[str, Any]:
    """Return importer factories collecting ``fake`` artifacts into ``received``."""

    def factory(record: ArtifactRecord) -> CollectingImporter:
        return CollectingImporter("fake", received, record)

    return {"fake": factory}


def test_backup_sends_pre_and_post_with_the_snapshot(
    local_storage: LocalFileSystemBackend, received: Recorder
) -> None:
    """pre_backup names the snapshot and artifacts; post_backup carries the manifest, no error."""
    snapshot = engine.create_snapshot(
        "b", exporters=[FakeExporter("a.txt", b"x")], storage=local_storage
    )
    assert received.names() == ["pre_backup", "post_backup"]
    assert received.last("pre_backup") == {
        "name": "b",
        "artifacts": ["a.txt"],
        "storage": local_storage,
    }
    post = received.last("post_backup")
    assert post["snapshot"] == snapshot and post["error"] is None and post["name"] == "b"


def test_failed_backup_sends_post_backup_with_the_error(
    local_storage: LocalFileSystemBackend, received: Recorder
) -> None:
    """A backup that fails sends post_backup with the exception and no snapshot."""
    with pytest.raises(SnapshotConfigurationError):
        engine.create_snapshot("b", exporters=[], storage=local_storage)
    post = received.last("post_backup")
    assert isinstance(post["error"], SnapshotConfigurationError) and post["snapshot"] is None


def test_a_pre_backup_receiver_can_refuse_the_backup(local_storage: LocalFileSystemBackend) -> None:
    """A pre_backup receiver that raises stops the backup before anything is stored."""

    def refuse(sender: object, **kwargs: Any) -> None:
        raise SnapshotConfigurationError("backups are frozen today")

    signals.pre_backup.connect(refuse, weak=False)
    try:
        with pytest.raises(SnapshotConfigurationError, match="frozen"):
            engine.create_snapshot(
                "b", exporters=[FakeExporter("a.txt", b"x")], storage=local_storage
            )
    finally:
        signals.pre_backup.disconnect(refuse)
    assert engine.list_snapshots(storage=local_storage) == []


def test_a_failing_post_receiver_is_logged_not_raised(
    local_storage: LocalFileSystemBackend, caplog: pytest.LogCaptureFixture
) -> None:
    """A post_backup receiver that raises cannot break a backup that succeeded."""

    def broken(sender: object, **kwargs: Any) -> None:
        raise RuntimeError("metrics server down")

    signals.post_backup.connect(broken, weak=False)
    try:
        with caplog.at_level(logging.ERROR, logger="django_snapshots.signals"):
            engine.create_snapshot(
                "b", exporters=[FakeExporter("a.txt", b"x")], storage=local_storage
            )
    finally:
        signals.post_backup.disconnect(broken)
    assert [item.name for item in engine.list_snapshots(storage=local_storage)] == ["b"]
    assert "metrics server down" in caplog.text


def test_restore_sends_pre_and_post_with_the_outcome(
    local_storage: LocalFileSystemBackend, received: Recorder
) -> None:
    """pre_restore and post_restore carry the snapshot, its files and the outcome."""
    snapshot = engine.create_snapshot(
        "r", exporters=[FakeExporter("a.txt", b"x")], storage=local_storage
    )
    got: dict[str, bytes] = {}
    engine.restore_snapshot("r", importers=_fakes(got), storage=local_storage)
    assert received.names()[-2:] == ["pre_restore", "post_restore"]
    pre = received.last("pre_restore")
    assert pre == {
        "name": "r",
        "snapshot": snapshot,
        "artifacts": ["a.txt.zst"],
        "storage": local_storage,
    }
    post = received.last("post_restore")
    assert post["error"] is None and post["rolled_back"] is False
    assert post["safety_snapshot"] is None  # an unregistered type: nothing to save


def test_failed_restore_sends_post_restore_with_the_error(
    local_storage: LocalFileSystemBackend, received: Recorder
) -> None:
    """A restore stopped by a corrupt artifact sends post_restore with the integrity error."""
    engine.create_snapshot(
        "r", exporters=[FakeExporter("a.txt", b"x" * 100)], storage=local_storage
    )
    stored = local_storage.location / "r" / "a.txt.zst"
    stored.write_bytes(b"garbage")
    with pytest.raises(SnapshotIntegrityError):
        engine.restore_snapshot("r", importers=_fakes({}), storage=local_storage)
    post = received.last("post_restore")
    assert isinstance(post["error"], SnapshotIntegrityError) and post["name"] == "r"


def test_delete_sends_post_delete_also_on_failure(
    local_storage: LocalFileSystemBackend, received: Recorder, tmp_path: Path
) -> None:
    """post_delete follows every deletion, with the error when there was nothing to delete."""
    engine.create_snapshot("d", exporters=[FakeExporter("a.txt", b"x")], storage=local_storage)
    engine.delete_snapshot("d", storage=local_storage)
    assert received.last("post_delete") == {"name": "d", "storage": local_storage, "error": None}
    with pytest.raises(SnapshotNotFoundError):
        engine.delete_snapshot("d", storage=local_storage)
    assert isinstance(received.last("post_delete")["error"], SnapshotNotFoundError)


class _Refusing:
    """An importer of type ``second`` that always fails (and changes nothing)."""

    artifact_type: str = "second"

    def restore(self, src: Path) -> None:
        """Refuse."""
        raise SnapshotConfigurationError("second importer refused")


def test_rolled_back_restore_reports_the_safety_snapshot(
    local_storage: LocalFileSystemBackend, received: Recorder
) -> None:
    """post_restore of a restore undone after a late failure says so and names the safety one."""
    got: dict[str, bytes] = {}
    register_artifact_type(
        ArtifactType(
            "fake",
            lambda: [FakeExporter("a.txt", b"now")],
            lambda record: CollectingImporter("fake", got, record),
        )
    )
    register_artifact_type(
        ArtifactType(
            "second",
            lambda: [FakeExporter("b.txt", b"now", "second")],
            lambda record: _Refusing(),
        )
    )
    try:
        engine.create_snapshot(
            "r",
            exporters=[FakeExporter("a.txt", b"old"), FakeExporter("b.txt", b"old", "second")],
            storage=local_storage,
        )
        with pytest.raises(SnapshotRestoreError, match="put back"):
            engine.restore_snapshot("r", storage=local_storage)
    finally:
        unregister_artifact_type("fake")
        unregister_artifact_type("second")
    post = received.last("post_restore")
    assert post["rolled_back"] is True and "second importer refused" in str(post["error"])
    assert post["safety_snapshot"].name.startswith("pre-restore-")
    assert got == {"a.txt.zst": b"now"}  # restored, then put back from the safety snapshot
