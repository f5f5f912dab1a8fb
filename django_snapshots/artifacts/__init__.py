"""Artifact protocols, the registry and the built-in artifacts."""

from __future__ import annotations

from django_snapshots.artifacts.context import (
    ArtifactContext,
    BindableArtifact,
    bind_artifact,
    make_context,
)
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
from django_snapshots.artifacts.media_sources import DirectoryMediaSource, StorageMediaSource
from django_snapshots.artifacts.media_targets import StorageMediaTarget
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
    "ArtifactContext",
    "ArtifactExporter",
    "ArtifactExporterBase",
    "ArtifactImporter",
    "ArtifactImporterBase",
    "AsyncArtifactExporter",
    "AsyncArtifactImporter",
    "BindableArtifact",
    "DatabaseArtifactExporter",
    "DatabaseArtifactImporter",
    "DirectoryArtifactExporter",
    "DirectoryArtifactImporter",
    "DirectoryMediaSource",
    "EnvironmentArtifactExporter",
    "EnvironmentArtifactImporter",
    "EnvironmentDiff",
    "MediaArtifactExporter",
    "MediaArtifactImporter",
    "PackageChange",
    "RestoreMode",
    "StorageMediaSource",
    "StorageMediaTarget",
    "bind_artifact",
    "database_exporters",
    "database_importer_factory",
    "diff_environment",
    "environment_importer_factory",
    "make_context",
    "media_exporters",
    "media_importer_factory",
    "pip_freeze",
]
