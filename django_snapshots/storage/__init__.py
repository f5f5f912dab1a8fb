"""Storage backends and their protocols."""

from __future__ import annotations

from django_snapshots.storage.protocols import (
    AdvancedSnapshotStorage,
    SnapshotStorage,
    requires_advanced_storage,
)

__all__ = ["AdvancedSnapshotStorage", "SnapshotStorage", "requires_advanced_storage"]
