"""The media artifact: ``MEDIA_ROOT`` as a directory artifact named ``media.tar``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from django_snapshots.artifacts.directory import (
    DirectoryArtifactExporter,
    DirectoryArtifactImporter,
    RestoreMode,
)
from django_snapshots.manifest import ArtifactRecord

__all__ = [
    "MEDIA_ARTIFACT_TYPE",
    "MediaArtifactExporter",
    "MediaArtifactImporter",
    "media_exporters",
    "media_importer_factory",
    "media_root",
]

MEDIA_ARTIFACT_TYPE = "media"
"""The artifact type (and tar top-level directory) of media archives."""


def media_root(override: str | os.PathLike[str] | None = None) -> Path | None:
    """Return ``override`` or the ``MEDIA_ROOT`` setting as a path; None if neither is set.

    An empty ``override`` counts as not given, as in 0.1.0b1.
    """
    value = override or getattr(settings, "MEDIA_ROOT", "")
    return Path(value) if value else None


def _required_media_root(override: str | os.PathLike[str] | None) -> Path:
    root = media_root(override)
    if root is None:
        raise ImproperlyConfigured("MEDIA_ROOT is not set and no media root was given")
    return root


class MediaArtifactExporter(DirectoryArtifactExporter):
    """Archive ``MEDIA_ROOT`` (or another media root) as ``media.tar``."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        """Archive ``directory``, by default the ``MEDIA_ROOT`` setting."""
        super().__init__(_required_media_root(directory), MEDIA_ARTIFACT_TYPE)


class MediaArtifactImporter(DirectoryArtifactImporter):
    """Restore a media archive into ``MEDIA_ROOT`` (or another media root)."""

    def __init__(
        self, directory: str | os.PathLike[str] | None = None, mode: RestoreMode = "replace"
    ) -> None:
        """Restore into ``directory`` (default ``MEDIA_ROOT``), replacing or merging."""
        super().__init__(_required_media_root(directory), MEDIA_ARTIFACT_TYPE, mode)


def media_exporters(directory: str | os.PathLike[str] | None = None) -> list[MediaArtifactExporter]:
    """Return the media exporter for ``directory`` or ``MEDIA_ROOT``; none if neither is set."""
    return [] if media_root(directory) is None else [MediaArtifactExporter(directory)]


def media_importer_factory(
    directory: str | os.PathLike[str] | None = None, mode: RestoreMode = "replace"
) -> Callable[[ArtifactRecord], MediaArtifactImporter]:
    """Return an importer factory restoring media into ``directory`` or ``MEDIA_ROOT``.

    The directory recorded in the manifest is informative only: media is restored
    where this project keeps it.
    """

    def factory(record: ArtifactRecord) -> MediaArtifactImporter:
        return MediaArtifactImporter(directory, mode)

    return factory
