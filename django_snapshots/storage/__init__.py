"""Storage backends and their protocols."""

from __future__ import annotations

from django_snapshots.storage.django_storage import DjangoStorageBackend
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import (
    AdvancedSnapshotStorage,
    SnapshotStorage,
    requires_advanced_storage,
)

__all__ = [
    "AdvancedSnapshotStorage",
    "DjangoStorageBackend",
    "LocalFileSystemBackend",
    "SnapshotStorage",
    "requires_advanced_storage",
]
