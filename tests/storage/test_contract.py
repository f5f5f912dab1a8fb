"""The shipped behavioural test kit, run against both built-in backends."""

from __future__ import annotations

from pathlib import Path

from django.core.files.storage import FileSystemStorage, InMemoryStorage

from django_snapshots.storage import DjangoStorageBackend, LocalFileSystemBackend
from django_snapshots.testing import AdvancedSnapshotStorageContract, SnapshotStorageContract


class TestLocalFileSystemBackendContract(AdvancedSnapshotStorageContract):
    """LocalFileSystemBackend honours the whole advanced-tier contract."""

    def make_storage(self, tmp_path: Path) -> LocalFileSystemBackend:
        """Return a backend over an empty folder (reads of a missing one raise)."""
        (tmp_path / "store").mkdir()
        return LocalFileSystemBackend(tmp_path / "store")


class TestDjangoFileSystemStorageContract(SnapshotStorageContract):
    """DjangoStorageBackend over FileSystemStorage honours the basic-tier contract."""

    def make_storage(self, tmp_path: Path) -> DjangoStorageBackend:
        """Return a backend over a FileSystemStorage in a fresh folder."""
        return DjangoStorageBackend(FileSystemStorage(location=tmp_path / "media"))


class TestDjangoInMemoryStorageContract(SnapshotStorageContract):
    """DjangoStorageBackend over InMemoryStorage honours the basic-tier contract."""

    holds_content_in_memory = True

    def make_storage(self, tmp_path: Path) -> DjangoStorageBackend:
        """Return a backend over a fresh InMemoryStorage."""
        return DjangoStorageBackend(InMemoryStorage())
