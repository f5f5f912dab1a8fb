"""The artifact contract: what produces a snapshot file and what restores one.

An *exporter* writes one artifact file; an *importer* restores from one. Each comes in
a synchronous and an ``async`` flavour, and the ``Any…`` aliases accept either. The
engine handles compression, checksums and storage: exporters write plain files and
importers receive plain, already-verified files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

from typing_extensions import Protocol, runtime_checkable

__all__ = [
    "AnyArtifactExporter",
    "AnyArtifactImporter",
    "ArtifactExporter",
    "ArtifactExporterBase",
    "ArtifactImporter",
    "ArtifactImporterBase",
    "AsyncArtifactExporter",
    "AsyncArtifactImporter",
    "PreflightImporter",
]


@runtime_checkable
class ArtifactExporterBase(Protocol):
    """What every exporter declares about the artifact it produces."""

    artifact_type: str
    """Broad category such as ``"database"``, ``"media"`` or ``"environment"``."""

    filename: str
    """Name of the file within the snapshot; unique within one snapshot."""

    metadata: dict[str, Any]
    """JSON-able facts copied into the manifest's artifact record."""


@runtime_checkable
class ArtifactExporter(ArtifactExporterBase, Protocol):
    """An exporter that writes its artifact synchronously."""

    def generate(self, dest: Path) -> None:
        """Write the artifact's content to the file ``dest``."""
        ...


@runtime_checkable
class AsyncArtifactExporter(ArtifactExporterBase, Protocol):
    """An exporter that writes its artifact in a coroutine."""

    async def generate(self, dest: Path) -> None:
        """Write the artifact's content to the file ``dest``."""
        ...


@runtime_checkable
class ArtifactImporterBase(Protocol):
    """What every importer declares about the artifacts it restores."""

    artifact_type: str
    """The :attr:`ArtifactExporterBase.artifact_type` this importer restores."""


@runtime_checkable
class ArtifactImporter(ArtifactImporterBase, Protocol):
    """An importer that restores synchronously."""

    def restore(self, src: Path) -> None:
        """Restore from the verified artifact file ``src``."""
        ...


@runtime_checkable
class AsyncArtifactImporter(ArtifactImporterBase, Protocol):
    """An importer that restores in a coroutine."""

    async def restore(self, src: Path) -> None:
        """Restore from the verified artifact file ``src``."""
        ...


@runtime_checkable
class PreflightImporter(Protocol):
    """Optional for an importer: refuse a restore that cannot work, before anything changes.

    The engine calls :meth:`preflight` on every importer of a restore (before the
    confirmation prompt and before any importer runs).
    """

    def preflight(self) -> None:
        """Raise a one-line :class:`~django_snapshots.SnapshotError` if the restore cannot
        succeed; change nothing."""
        ...


AnyArtifactExporter: TypeAlias = ArtifactExporter | AsyncArtifactExporter
"""Either flavour of exporter."""

AnyArtifactImporter: TypeAlias = ArtifactImporter | AsyncArtifactImporter
"""Either flavour of importer."""
