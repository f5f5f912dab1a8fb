"""django-snapshots: typed, checksummed backup and restore for Django.

This module only re-exports the public API; see ``docs/`` for what each name does.
"""

from __future__ import annotations

from django_snapshots.artifacts import (
    AnyArtifactExporter,
    AnyArtifactImporter,
    ArtifactExporter,
    ArtifactExporterBase,
    ArtifactImporter,
    ArtifactImporterBase,
    AsyncArtifactExporter,
    AsyncArtifactImporter,
)
from django_snapshots.connectors import DatabaseConnector
from django_snapshots.exceptions import (
    SnapshotConnectorError,
    SnapshotEncryptionError,
    SnapshotError,
    SnapshotExistsError,
    SnapshotIntegrityError,
    SnapshotLockedError,
    SnapshotNameError,
    SnapshotNotFoundError,
    SnapshotPathError,
    SnapshotStorageCapabilityError,
    SnapshotVersionError,
)
from django_snapshots.manifest import ArtifactRecord, Snapshot
from django_snapshots.settings import PruneConfig, SnapshotSettings
from django_snapshots.storage import (
    AdvancedSnapshotStorage,
    SnapshotStorage,
    requires_advanced_storage,
)

__version__ = "0.2.0.dev0"

__all__ = [
    "AdvancedSnapshotStorage",
    "AnyArtifactExporter",
    "AnyArtifactImporter",
    "ArtifactExporter",
    "ArtifactExporterBase",
    "ArtifactImporter",
    "ArtifactImporterBase",
    "ArtifactRecord",
    "AsyncArtifactExporter",
    "AsyncArtifactImporter",
    "DatabaseConnector",
    "PruneConfig",
    "Snapshot",
    "SnapshotConnectorError",
    "SnapshotEncryptionError",
    "SnapshotError",
    "SnapshotExistsError",
    "SnapshotIntegrityError",
    "SnapshotLockedError",
    "SnapshotNameError",
    "SnapshotNotFoundError",
    "SnapshotPathError",
    "SnapshotSettings",
    "SnapshotStorage",
    "SnapshotStorageCapabilityError",
    "SnapshotVersionError",
    "__version__",
    "requires_advanced_storage",
]
