"""Storage backends and their protocols."""

from __future__ import annotations

from django_snapshots.storage.django_storage import DjangoStorageBackend
from django_snapshots.storage.local import LocalFileSystemBackend
from django_snapshots.storage.protocols import (
    AdvancedSnapshotStorage,
    ExclusiveCreateStorage,
    MultipartUploadStorage,
    SnapshotStorage,
    requires_advanced_storage,
)
from django_snapshots.storage.s3 import S3Backend

__all__ = [
    "AdvancedSnapshotStorage",
    "DjangoStorageBackend",
    "ExclusiveCreateStorage",
    "LocalFileSystemBackend",
    "MultipartUploadStorage",
    "S3Backend",
    "SnapshotStorage",
    "requires_advanced_storage",
]
