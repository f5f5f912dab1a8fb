"""``MediaArtifactExporter``, at the import path django-snapshots 0.1.0b1 used."""

from __future__ import annotations

from django_snapshots.artifacts.media import MediaArtifactExporter

__all__ = ["MediaArtifactExporter"]
