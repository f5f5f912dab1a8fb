"""Artifact protocols, the registry and the built-in artifacts."""

from __future__ import annotations

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
]
