"""The built-in exporters, at the import path django-snapshots 0.1.0b1 used."""

from __future__ import annotations

from django_snapshots.artifacts.database import DatabaseArtifactExporter
from django_snapshots.artifacts.environment import EnvironmentArtifactExporter
from django_snapshots.artifacts.media import MediaArtifactExporter

__all__ = ["DatabaseArtifactExporter", "EnvironmentArtifactExporter", "MediaArtifactExporter"]
