"""The artifact context: what the engine tells an exporter or importer before it runs.

Exporters write a plain file and importers read one; a few need more: the media
exporter stores content in the snapshot storage's pool and reads the previous
snapshot's file list, the media importer reads the pool back. Such an artifact has a
``bind(context)`` method (:class:`BindableArtifact`); the engine calls it once per
backup or restore, **before** it checks file names and before ``generate`` /
``restore``, so ``bind`` may change ``filename`` and ``metadata``. Artifacts without
``bind`` are unaffected; :func:`bind_artifact` is the one call the engine makes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from typing_extensions import Protocol, runtime_checkable

from django_snapshots.pool.options import PoolOptions
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "ArtifactContext",
    "BindableArtifact",
    "ContextFormat",
    "PreviousArtifact",
    "bind_artifact",
    "no_previous",
]

ContextFormat = Literal["directory", "archive"]
"""The snapshot format being written or read (the ``SNAPSHOT_FORMAT`` values)."""

PreviousArtifact = Callable[[], AbstractContextManager["Path | None"]]
"""Open the previous snapshot's plain artifact file of the same type and file name.

Called (at most once, during ``generate``) after ``bind``, so it sees the file name
``bind`` chose. The context manager yields a verified plain file, or None when no
earlier snapshot has such an artifact (or it cannot be read); the file is removed on
exit.
"""


def no_previous() -> AbstractContextManager[Path | None]:
    """Return a context manager yielding None: there is no previous artifact."""
    return contextlib.nullcontext(None)


@dataclass(frozen=True)
class ArtifactContext:
    """What the engine knows that an artifact may need (see the module docstring)."""

    storage: SnapshotStorage
    """The snapshot storage (the pool lives in it)."""
    snapshot_name: str
    """The snapshot being written or read."""
    snapshot_format: ContextFormat
    """``"archive"`` snapshots are self-contained: no pool."""
    previous: PreviousArtifact = field(default=no_previous)
    """Open the newest earlier snapshot's artifact of the same type and name (backup)."""
    pool: PoolOptions | None = field(default_factory=PoolOptions)
    """How content is named and encoded in the pool; None disables the pool."""


@runtime_checkable
class BindableArtifact(Protocol):
    """An exporter or importer that wants the :class:`ArtifactContext`."""

    def bind(self, context: ArtifactContext) -> None:
        """Receive the context before anything else runs (may set ``filename``)."""
        ...


def bind_artifact(artifact: object, context: ArtifactContext) -> None:
    """Call ``artifact.bind(context)`` if the artifact has ``bind``; else do nothing."""
    if isinstance(artifact, BindableArtifact):
        artifact.bind(context)
