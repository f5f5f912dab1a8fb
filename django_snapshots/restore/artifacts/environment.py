"""``EnvironmentArtifactImporter``, at the import path django-snapshots 0.1.0b1 used."""

from __future__ import annotations

from django_snapshots.artifacts.environment import EnvironmentArtifactImporter

__all__ = ["EnvironmentArtifactImporter"]
