"""The engine's result and progress types, shared by backup, restore, verify and catalog."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

from django_snapshots.layout.paths import SnapshotFormat
from django_snapshots.manifest import Snapshot

__all__ = [
    "ArtifactCheck",
    "ProgressCallback",
    "ProgressEvent",
    "SnapshotListing",
    "Stage",
    "VerificationReport",
    "byte_hook",
    "report",
    "run_artifact_method",
]

Stage = Literal["export", "store", "fetch", "verify", "restore"]
"""What happens to an artifact: made, stored, fetched (and checked), re-hashed, imported."""


@dataclass(frozen=True)
class ProgressEvent:
    """How far one artifact has got in one stage."""

    stage: Stage
    filename: str
    """The artifact's stored file name."""
    done: int
    """Bytes handled so far."""
    total: int | None
    """Bytes expected in all, where known."""


ProgressCallback = Callable[[ProgressEvent], None]
"""Receives progress; called from worker threads, so it must be thread-safe."""


def byte_hook(
    progress: ProgressCallback | None, stage: Stage, filename: str, total: int | None
) -> Callable[[int], None] | None:
    """Return a byte-count hook that reports ``stage`` of ``filename``, or None."""
    if progress is None:
        return None
    callback = progress

    def hook(done: int) -> None:
        callback(ProgressEvent(stage, filename, done, total))

    return hook


def report(
    progress: ProgressCallback | None, stage: Stage, filename: str, done: int, total: int | None
) -> None:
    """Send one progress event, if anyone listens."""
    if progress is not None:
        progress(ProgressEvent(stage, filename, done, total))


def run_artifact_method(function: Callable[[Path], object], argument: Path) -> None:
    """Call a sync or async artifact method; run a coroutine to completion here."""
    result = function(argument)
    if inspect.iscoroutine(result):
        asyncio.run(cast("Coroutine[Any, Any, None]", result))


@dataclass(frozen=True)
class SnapshotListing:
    """One snapshot found in storage; ``snapshot`` is None when it cannot be read."""

    name: str
    format: SnapshotFormat
    snapshot: Snapshot | None
    error: str | None
    """Why the snapshot could not be read (unknown version, corrupt manifest, incomplete)."""
    incomplete: bool = False
    """True for the leftovers of a backup that is running or was interrupted."""
    created_at: datetime | None = None
    """When it was made: the manifest's time, or what an unreadable manifest still shows."""


@dataclass(frozen=True)
class ArtifactCheck:
    """The result of re-hashing one artifact."""

    filename: str
    ok: bool
    message: str
    """``"ok"``, or what is wrong (size or checksum mismatch, missing file)."""


@dataclass(frozen=True)
class VerificationReport:
    """The result of :func:`~django_snapshots.verify_snapshot`."""

    name: str
    checks: list[ArtifactCheck]

    @property
    def ok(self) -> bool:
        """Return True if every artifact matched its manifest record."""
        return all(check.ok for check in self.checks)
