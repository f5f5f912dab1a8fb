"""Which artifact types exist: the built-in ones and any a third-party app registers.

An :class:`ArtifactType` says how a bare backup makes its exporters and how a restore
makes an importer for one manifest record. Apps register theirs in
``AppConfig.ready()`` with :func:`register_artifact_type`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django_snapshots.artifacts.protocols import AnyArtifactExporter, AnyArtifactImporter
from django_snapshots.manifest import ArtifactRecord

__all__ = [
    "ArtifactType",
    "ExportersFactory",
    "ImporterFactory",
    "artifact_types",
    "register_artifact_type",
    "unregister_artifact_type",
]

ExportersFactory = Callable[[], Sequence[AnyArtifactExporter]]
"""Return the exporters a bare backup runs for one artifact type."""

ImporterFactory = Callable[[ArtifactRecord], "AnyArtifactImporter | None"]
"""Return the importer for one manifest record, or None to skip that record."""


@dataclass(frozen=True)
class ArtifactType:
    """One kind of artifact: its name and how to export and import it."""

    name: str
    """The manifest ``type`` and the backup/restore subcommand name."""
    exporters: ExportersFactory
    importer: ImporterFactory


_REGISTRY: dict[str, ArtifactType] = {}


def register_artifact_type(artifact_type: ArtifactType) -> None:
    """Add (or replace) ``artifact_type`` in the registry."""
    _REGISTRY[artifact_type.name] = artifact_type


def unregister_artifact_type(name: str) -> None:
    """Remove the artifact type called ``name``; a missing one is ignored."""
    _REGISTRY.pop(name, None)


def artifact_types() -> dict[str, ArtifactType]:
    """Return the registered artifact types by name, in registration order."""
    return dict(_REGISTRY)
