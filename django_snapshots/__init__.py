"""django-snapshots: typed, checksummed, crash-safe backup and restore for Django.

This module only re-exports the public API (documented in ``docs/api.md``).
"""

from __future__ import annotations

from django_snapshots.artifacts import (
    AnyArtifactExporter,
    AnyArtifactImporter,
    ArtifactContext,
    ArtifactExporter,
    ArtifactExporterBase,
    ArtifactImporter,
    ArtifactImporterBase,
    AsyncArtifactExporter,
    AsyncArtifactImporter,
    BindableArtifact,
    DatabaseArtifactImporter,
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
    EnvironmentArtifactImporter,
    MediaArtifactImporter,
)
from django_snapshots.artifacts.registry import (
    ArtifactType,
    register_artifact_type,
)
from django_snapshots.conformance import (
    assert_conforms,
    check_conformance,
)
from django_snapshots.connectors import (
    DatabaseConnector,
    DjangoDumpDataConnector,
    MySQLConnector,
    PostgresConnector,
    SQLiteConnector,
)
from django_snapshots.engine import (
    ArtifactCheck,
    ProgressCallback,
    ProgressEvent,
    SnapshotListing,
    VerificationReport,
    create_snapshot,
    delete_snapshot,
    get_snapshot,
    list_snapshots,
    restore_snapshot,
    verify_snapshot,
)
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
from django_snapshots.manifest import (
    ArtifactRecord,
    Snapshot,
)
from django_snapshots.settings import (
    PruneConfig,
    SnapshotSettings,
)
from django_snapshots.storage import (
    AdvancedSnapshotStorage,
    DjangoStorageBackend,
    LocalFileSystemBackend,
    SnapshotStorage,
    requires_advanced_storage,
)

__version__ = "0.2.0.dev0"

__all__ = [
    "AdvancedSnapshotStorage",
    "AnyArtifactExporter",
    "AnyArtifactImporter",
    "ArtifactCheck",
    "ArtifactContext",
    "ArtifactExporter",
    "ArtifactExporterBase",
    "ArtifactImporter",
    "ArtifactImporterBase",
    "ArtifactRecord",
    "ArtifactType",
    "AsyncArtifactExporter",
    "AsyncArtifactImporter",
    "BindableArtifact",
    "DatabaseArtifactImporter",
    "DatabaseConnector",
    "DirectoryArtifactExporter",
    "DirectoryArtifactImporter",
    "DjangoDumpDataConnector",
    "DjangoStorageBackend",
    "EnvironmentArtifactImporter",
    "LocalFileSystemBackend",
    "MediaArtifactImporter",
    "MySQLConnector",
    "PostgresConnector",
    "ProgressCallback",
    "ProgressEvent",
    "PruneConfig",
    "SQLiteConnector",
    "Snapshot",
    "SnapshotConnectorError",
    "SnapshotEncryptionError",
    "SnapshotError",
    "SnapshotExistsError",
    "SnapshotIntegrityError",
    "SnapshotListing",
    "SnapshotLockedError",
    "SnapshotNameError",
    "SnapshotNotFoundError",
    "SnapshotPathError",
    "SnapshotSettings",
    "SnapshotStorage",
    "SnapshotStorageCapabilityError",
    "SnapshotVersionError",
    "VerificationReport",
    "__version__",
    "assert_conforms",
    "check_conformance",
    "create_snapshot",
    "delete_snapshot",
    "get_snapshot",
    "list_snapshots",
    "register_artifact_type",
    "requires_advanced_storage",
    "restore_snapshot",
    "verify_snapshot",
]
