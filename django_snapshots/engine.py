"""Orchestration of backups, restores and verification: the typed Python API.

The command line is a thin layer over these functions. They only coordinate:
artifacts produce files, :mod:`django_snapshots.streams` compresses and hashes,
:mod:`django_snapshots.containers` lays the files out in storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from django_snapshots.artifacts.protocols import AnyArtifactExporter
from django_snapshots.artifacts.registry import ImporterFactory
from django_snapshots.manifest import Snapshot
from django_snapshots.settings import SnapshotFormat
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "ArtifactCheck",
    "ProgressCallback",
    "ProgressEvent",
    "SnapshotListing",
    "VerificationReport",
    "backup",
    "delete_snapshot",
    "get_snapshot",
    "list_snapshots",
    "restore",
    "verify_snapshot",
]


@dataclass(frozen=True)
class ProgressEvent:
    """How far one artifact has got in one stage."""

    stage: Literal["export", "store", "fetch", "verify", "restore"]
    filename: str
    """The artifact's stored file name."""
    done: int
    """Bytes handled so far."""
    total: int | None
    """Bytes expected in all, where known."""


ProgressCallback = Callable[[ProgressEvent], None]
"""Receives progress; called from worker threads, so it must be thread-safe."""


@dataclass(frozen=True)
class SnapshotListing:
    """One snapshot found in storage; ``snapshot`` is None when it cannot be read."""

    name: str
    format: SnapshotFormat
    snapshot: Snapshot | None
    error: str | None
    """Why the snapshot could not be read (unknown version, corrupt manifest)."""


@dataclass(frozen=True)
class ArtifactCheck:
    """The result of re-hashing one artifact."""

    filename: str
    ok: bool
    message: str
    """``"ok"``, or what is wrong (size or checksum mismatch, missing file)."""


@dataclass(frozen=True)
class VerificationReport:
    """The result of :func:`verify_snapshot`."""

    name: str
    checks: list[ArtifactCheck]

    @property
    def ok(self) -> bool:
        """Return True if every artifact matched its manifest record."""
        return all(check.ok for check in self.checks)


def backup(
    name: str | None = None,
    *,
    exporters: Sequence[AnyArtifactExporter] | None = None,
    overwrite: bool = False,
    snapshot_format: SnapshotFormat | None = None,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
) -> Snapshot:
    """Take a snapshot and return its manifest.

    ``name`` defaults to the ``SNAPSHOT_NAME`` template; ``exporters`` to those of
    ``DEFAULT_ARTIFACTS`` (or every registered artifact type).
    """
    raise NotImplementedError


def restore(
    name: str | None = None,
    *,
    importers: Mapping[str, ImporterFactory] | None = None,
    storage: SnapshotStorage | None = None,
    progress: ProgressCallback | None = None,
) -> Snapshot:
    """Restore snapshot ``name`` (default: the newest) and return its manifest.

    ``importers`` maps artifact types to importer factories; None restores every
    artifact type the snapshot holds with the registered importers. Naming a type the
    snapshot has no artifact for raises :class:`~django_snapshots.SnapshotNotFoundError`.
    """
    raise NotImplementedError


def list_snapshots(*, storage: SnapshotStorage | None = None) -> list[SnapshotListing]:
    """Return every snapshot in storage, newest first, unreadable ones included."""
    raise NotImplementedError


def get_snapshot(name: str, *, storage: SnapshotStorage | None = None) -> Snapshot:
    """Return the manifest of snapshot ``name``."""
    raise NotImplementedError


def delete_snapshot(name: str, *, storage: SnapshotStorage | None = None) -> None:
    """Delete snapshot ``name`` and every file that belongs to it."""
    raise NotImplementedError


def verify_snapshot(name: str, *, storage: SnapshotStorage | None = None) -> VerificationReport:
    """Re-hash every artifact of ``name`` against its manifest record."""
    raise NotImplementedError
