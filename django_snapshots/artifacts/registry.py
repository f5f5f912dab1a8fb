"""Which artifact types exist: the built-in ones and any a third-party app registers.

An :class:`ArtifactType` says how a bare backup makes its exporters, how a restore
makes an importer for one manifest record, how to tell the user what that restore
overwrites, and what the type does differently (it only reports on restore; it
provides the manifest's ``pip`` lines). The engine reads these declarations and
knows no artifact type by name. Apps register theirs in ``AppConfig.ready()`` with
:func:`register_artifact_type`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from typing_extensions import Protocol, runtime_checkable

from django_snapshots.artifacts.protocols import AnyArtifactExporter, AnyArtifactImporter
from django_snapshots.manifest import ArtifactRecord

__all__ = [
    "ArtifactType",
    "ExportersFactory",
    "ImporterFactory",
    "PipLinesReader",
    "RestoreDescriber",
    "SafetyCapture",
    "SelectiveImporterFactory",
    "artifact_type",
    "artifact_types",
    "describe_generically",
    "register_artifact_type",
    "unregister_artifact_type",
]

ExportersFactory = Callable[[], Sequence[AnyArtifactExporter]]
"""Return the exporters a bare backup runs for one artifact type."""

ImporterFactory = Callable[[ArtifactRecord], "AnyArtifactImporter | None"]
"""Return the importer for one manifest record, or None to skip that record."""


@runtime_checkable
class SelectiveImporterFactory(Protocol):
    """An importer factory restoring chosen parts, that can say which parts are absent."""

    def __call__(self, record: ArtifactRecord) -> AnyArtifactImporter | None:
        """Return the importer of ``record``, or None to skip it."""
        ...

    def missing(self, records: list[ArtifactRecord]) -> list[str]:
        """Return what was asked for that ``records`` (all of this type) lack, e.g.
        ``["dump of database 'x'"]``; empty when everything is there."""
        ...


RestoreDescriber = Callable[[ArtifactRecord, "AnyArtifactImporter"], str]
"""Return one line telling the user what restoring a record with an importer overwrites."""

SafetyCapture = Callable[[ArtifactRecord, "AnyArtifactImporter"], Sequence["AnyArtifactExporter"]]
"""Return the exporters that save what restoring a record with an importer overwrites."""

PipLinesReader = Callable[[Path], "list[str] | None"]
"""Return the manifest's ``pip`` lines read from an artifact's plain file (None: cannot)."""


def describe_generically(record: ArtifactRecord, importer: AnyArtifactImporter) -> str:
    """Describe a restore of a type that declares no describer."""
    return f"{record.type} artifact {record.filename}"


@dataclass(frozen=True)
class ArtifactType:
    """One kind of artifact: its name, how to export and import it, how it differs."""

    name: str
    """The manifest ``type``, and also the name of its backup/restore subcommands and of
    its ``DEFAULT_ARTIFACTS`` entry."""
    exporters: ExportersFactory
    """Makes the exporters a bare backup runs."""
    importer: ImporterFactory
    """Makes the importer of one manifest record (None skips the record)."""
    describe: RestoreDescriber = describe_generically
    """Tells the user what a restore overwrites (the confirmation text)."""
    report_only: bool = False
    """Restoring changes nothing, it only reports: it runs beside the other importers."""
    pip_lines: PipLinesReader | None = None
    """Reads the manifest's ``pip`` lines from this type's plain file, sparing the engine
    a ``pip freeze`` of its own."""
    capture: SafetyCapture | None = None
    """Makes the exporters of the safety snapshot taken before a restore: exactly what
    the importer will overwrite (None: the type's bare-backup ``exporters``)."""
    put_back: ImporterFactory | None = None
    """Makes the importer putting a safety snapshot's record back where it was taken
    (None: the type's ``importer``)."""


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


def artifact_type(name: str) -> ArtifactType | None:
    """Return the registered artifact type called ``name``, or None."""
    return _REGISTRY.get(name)
