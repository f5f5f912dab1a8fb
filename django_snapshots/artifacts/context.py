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
from typing import TYPE_CHECKING, Literal

from typing_extensions import Protocol, runtime_checkable

from django_snapshots.manifest import ArtifactRecord
from django_snapshots.pool.options import DEFAULT_POOL_OPTIONS, PoolOptions
from django_snapshots.storage.protocols import SnapshotStorage

if TYPE_CHECKING:
    from django_snapshots.pool.roots import ArtifactFetcher

__all__ = [
    "ArtifactContext",
    "BindableArtifact",
    "ContextFormat",
    "PreviousArtifact",
    "RecordFilter",
    "bind_artifact",
    "make_context",
    "no_previous",
]

ContextFormat = Literal["directory", "archive"]
"""The snapshot format being written or read (the ``SNAPSHOT_FORMAT`` values)."""

RecordFilter = Callable[[ArtifactRecord], bool]
"""Tell whether an earlier artifact record can serve as the previous one."""

PreviousArtifact = Callable[[RecordFilter], AbstractContextManager["Path | None"]]
"""Open the newest earlier snapshot's plain artifact of the same type and file name.

Called at most once, during ``generate`` (so after ``bind`` chose the file name), with
a filter: among the readable snapshots' artifact records of the exporter's
``artifact_type`` whose plain file name is the exporter's ``filename`` and for which
the filter returns True, the newest snapshot's is fetched and verified. The context
manager yields its plain file (removed on exit), or None when there is none or it
cannot be read.
"""


def no_previous(accept: RecordFilter) -> AbstractContextManager[Path | None]:
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


def make_context(
    storage: SnapshotStorage,
    snapshot_name: str,
    snapshot_format: ContextFormat,
    artifact: object,
    *,
    pool: PoolOptions | None = DEFAULT_POOL_OPTIONS,
    fetch: ArtifactFetcher | None = None,
) -> ArtifactContext:
    """Return the context the engine gives ``artifact`` (an exporter or importer).

    ``previous`` finds the newest earlier snapshot's artifact of the artifact's
    ``artifact_type`` and (current, so post-``bind``) ``filename`` in ``storage``, and
    fetches it with ``fetch`` (default
    :func:`~django_snapshots.pool.roots.fetch_plain_artifact`). ``pool`` defaults to
    plain sha256 ids without a codec; None disables the pool (media as a tar).
    """
    from django_snapshots.pool.roots import fetch_plain_artifact, open_previous

    fetcher = fetch if fetch is not None else fetch_plain_artifact

    def previous(accept: RecordFilter) -> AbstractContextManager[Path | None]:
        artifact_type = str(getattr(artifact, "artifact_type", ""))
        filename = str(getattr(artifact, "filename", ""))
        return open_previous(storage, artifact_type, filename, accept, fetch=fetcher)

    return ArtifactContext(
        storage,
        snapshot_name,
        snapshot_format,
        previous=previous,
        pool=pool,
    )
