"""django-snapshots: typed, checksummed, crash-safe backup and restore for Django.

This module only re-exports the public API (documented in ``docs/api.md``).
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
    RestorePreflight,
    SQLiteConnector,
)
from django_snapshots.encryption import (
    AgeEncryption,
    SnapshotEncryption,
)
from django_snapshots.engine import (
    ArtifactCheck,
    ProgressCallback,
    ProgressEvent,
    RestorePlan,
    SnapshotListing,
    VerificationReport,
    create_snapshot,
    delete_snapshot,
    execute_restore,
    get_snapshot,
    list_snapshots,
    prepare_restore,
    restore_snapshot,
    verify_snapshot,
)
from django_snapshots.exceptions import (
    SnapshotConfigurationError,
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
    SnapshotStorageError,
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
    ExclusiveCreateStorage,
    LocalFileSystemBackend,
    MultipartUploadStorage,
    S3Backend,
    SnapshotStorage,
    requires_advanced_storage,
)

__version__ = "0.2.0.dev0"

__all__ = [
    "AdvancedSnapshotStorage",
    "AgeEncryption",
    "AnyArtifactExporter",
    "AnyArtifactImporter",
    "ArtifactCheck",
    "ArtifactExporter",
    "ArtifactExporterBase",
    "ArtifactImporter",
    "ArtifactImporterBase",
    "ArtifactRecord",
    "ArtifactType",
    "AsyncArtifactExporter",
    "AsyncArtifactImporter",
    "DatabaseArtifactImporter",
    "DatabaseConnector",
    "DirectoryArtifactExporter",
    "DirectoryArtifactImporter",
    "DjangoDumpDataConnector",
    "DjangoStorageBackend",
    "EnvironmentArtifactImporter",
    "ExclusiveCreateStorage",
    "LocalFileSystemBackend",
    "MediaArtifactImporter",
    "MultipartUploadStorage",
    "MySQLConnector",
    "PostgresConnector",
    "ProgressCallback",
    "ProgressEvent",
    "PruneConfig",
    "RestorePlan",
    "RestorePreflight",
    "S3Backend",
    "SQLiteConnector",
    "Snapshot",
    "SnapshotConfigurationError",
    "SnapshotConnectorError",
    "SnapshotEncryption",
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
    "SnapshotStorageError",
    "SnapshotVersionError",
    "VerificationReport",
    "__version__",
    "assert_conforms",
    "check_conformance",
    "create_snapshot",
    "delete_snapshot",
    "execute_restore",
    "get_snapshot",
    "list_snapshots",
    "prepare_restore",
    "register_artifact_type",
    "requires_advanced_storage",
    "restore_snapshot",
    "verify_snapshot",
]
