"""The built-in importers, at the import path django-snapshots 0.1.0b1 used."""

from __future__ import annotations

from django_snapshots.artifacts.database import DatabaseArtifactImporter
from django_snapshots.artifacts.environment import EnvironmentArtifactImporter
from django_snapshots.artifacts.media import MediaArtifactImporter

__all__ = ["DatabaseArtifactImporter", "EnvironmentArtifactImporter", "MediaArtifactImporter"]
