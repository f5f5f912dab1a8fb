"""Static typing cases for the runtime conformance check and the test kit."""

from __future__ import annotations

from pathlib import Path

from typing_extensions import assert_type

from django_snapshots.conformance import assert_conforms, check_conformance
from django_snapshots.storage import LocalFileSystemBackend
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage
from django_snapshots.testing import AdvancedSnapshotStorageContract, SnapshotStorageContract


def conformance_results_are_typed() -> None:
    """check_conformance returns a list of problems; assert_conforms returns None."""
    backend = LocalFileSystemBackend("/tmp/snapshots")
    assert_type(check_conformance(backend, SnapshotStorage), list[str])
    assert_type(assert_conforms(backend, AdvancedSnapshotStorage), None)


class LocalContract(AdvancedSnapshotStorageContract):
    """A kit subclass may narrow make_storage's return type to its backend."""

    def make_storage(self, tmp_path: Path) -> LocalFileSystemBackend:
        return LocalFileSystemBackend(tmp_path)


class NotAStorage:
    """Has none of the storage methods."""


class BrokenContract(SnapshotStorageContract):
    """make_storage must return a storage: both checkers reject this override."""

    def make_storage(self, tmp_path: Path) -> NotAStorage:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return NotAStorage()
