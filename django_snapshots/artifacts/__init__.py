"""Artifact protocols, the registry and the built-in artifacts."""

from __future__ import annotations

from django_snapshots.artifacts.database import (
    DatabaseArtifactExporter,
    DatabaseArtifactImporter,
    database_exporters,
    database_importer_factory,
)
from django_snapshots.artifacts.directory import (
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
    RestoreMode,
)
from django_snapshots.artifacts.environment import (
    EnvironmentArtifactExporter,
    EnvironmentArtifactImporter,
    EnvironmentDiff,
    PackageChange,
    diff_environment,
    environment_importer_factory,
    pip_freeze,
)
from django_snapshots.artifacts.media import (
    MediaArtifactExporter,
    MediaArtifactImporter,
    media_exporters,
    media_importer_factory,
)
from django_snapshots.artifacts.protocols import (
    AnyArtifactExporter,
    AnyArtifactImporter,
    ArtifactExporter,
    ArtifactExporterBase,
    ArtifactImporter,
    ArtifactImporterBase,
    AsyncArtifactExporter,
    AsyncArtifactImporter,
)

__all__ = [
    "AnyArtifactExporter",
    "AnyArtifactImporter",
    "ArtifactExporter",
    "ArtifactExporterBase",
    "ArtifactImporter",
    "ArtifactImporterBase",
    "AsyncArtifactExporter",
    "AsyncArtifactImporter",
    "DatabaseArtifactExporter",
    "DatabaseArtifactImporter",
    "DirectoryArtifactExporter",
    "DirectoryArtifactImporter",
    "EnvironmentArtifactExporter",
    "EnvironmentArtifactImporter",
    "EnvironmentDiff",
    "MediaArtifactExporter",
    "MediaArtifactImporter",
    "PackageChange",
    "RestoreMode",
    "database_exporters",
    "database_importer_factory",
    "diff_environment",
    "environment_importer_factory",
    "media_exporters",
    "media_importer_factory",
    "pip_freeze",
]
