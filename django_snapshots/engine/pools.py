"""Where the engine meets the media pool and other storage-aware artifacts.

Before a backup or restore runs, every exporter and importer that wants it receives an
:class:`~django_snapshots.artifacts.context.ArtifactContext` (the storage, the
snapshot, the format, the pool to use). After ``delete`` and ``prune`` the pools are
garbage-collected; ``check`` and ``verify`` report on them. Encrypted snapshots keep
their media as one encrypted artifact (no pool) until the pool can be encrypted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django_snapshots.artifacts.context import ArtifactContext, bind_artifact, make_context
from django_snapshots.encryption import SnapshotEncryption
from django_snapshots.humanize import format_size
from django_snapshots.layout import SnapshotFormat
from django_snapshots.pool.check import check_pool, verify_pool
from django_snapshots.pool.gc import GarbageReport, collect_all_garbage
from django_snapshots.pool.options import DEFAULT_POOL_OPTIONS, PoolOptions
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "bind_all",
    "collect_pool_garbage",
    "describe_collection",
    "pool_findings",
    "pool_options",
    "verify_pools",
]

KNOWN_POOLS: Sequence[PoolOptions] = (DEFAULT_POOL_OPTIONS,)
"""The pools this release opens: plain sha256 ids, zstd content."""


def pool_options(encryption: SnapshotEncryption | None) -> PoolOptions | None:
    """Return the pool new media goes to, or None to keep media as one artifact file."""
    return DEFAULT_POOL_OPTIONS if encryption is None else None


def bind_all(
    artifacts: Iterable[object],
    storage: SnapshotStorage,
    snapshot_name: str,
    snapshot_format: SnapshotFormat,
    pool: PoolOptions | None,
) -> None:
    """Give every exporter or importer that has ``bind`` its context.

    An artifact its caller already bound for this very snapshot and storage (its
    ``context`` says so) keeps that binding, with whatever pool options it chose.
    """
    for artifact in artifacts:
        bound = getattr(artifact, "context", None)
        if (
            isinstance(bound, ArtifactContext)
            and bound.storage is storage
            and bound.snapshot_name == snapshot_name
        ):
            continue
        context = make_context(storage, snapshot_name, snapshot_format, artifact, pool=pool)
        bind_artifact(artifact, context)


def collect_pool_garbage(storage: SnapshotStorage) -> list[GarbageReport]:
    """Free pool content no remaining snapshot references; call outside any snapshot lock."""
    return collect_all_garbage(storage, KNOWN_POOLS)


def describe_collection(reports: Iterable[GarbageReport]) -> list[str]:
    """Return one line per pool saying what garbage collection freed or why it waited."""
    lines: list[str] = []
    for report in reports:
        if report.skipped is not None:
            lines.append(f"media pool {report.pool}: nothing freed now ({report.skipped})")
        elif report.freed:
            lines.append(f"media pool {report.pool}: freed {format_size(report.freed)}")
    return lines


def pool_findings(storage: SnapshotStorage) -> list[str]:
    """Return one line per problem of the pools: unreferenced, missing, orphan content."""
    findings: list[str] = []
    for options in KNOWN_POOLS:
        status = check_pool(storage, options)
        if not status.exists:
            continue
        where = f"media pool {status.pool}"
        if status.unreferenced_blobs:
            findings.append(
                f"{where}: {status.unreferenced_blobs} unreferenced content piece(s), "
                f"{format_size(status.unreferenced_bytes)} (the next delete or prune frees them)"
            )
        if status.missing_blobs:
            findings.append(
                f"{where}: {status.missing_blobs} referenced content piece(s) missing; "
                f"snapshots that cannot be restored: {', '.join(status.missing_snapshots)}"
            )
        if status.missing_packs:
            findings.append(f"{where}: {status.missing_packs} indexed pack(s) missing")
        if status.orphan_packs:
            findings.append(f"{where}: {status.orphan_packs} pack(s) no index lists")
        findings.extend(f"{where}: cannot read {item}" for item in status.unreadable)
    return findings


def verify_pools(
    storage: SnapshotStorage,
    snapshot_name: str,
    *,
    read_data: bool = False,
    subset: tuple[int, int] | None = None,
) -> list[str]:
    """Return the problems of the pool content ``snapshot_name`` references (empty: ok).

    Every referenced content must exist with its size; ``read_data`` re-hashes it (only
    the packs of ``subset = (n, m)`` when given).
    """
    problems: list[str] = []
    for options in KNOWN_POOLS:
        result = verify_pool(
            storage, options, read_data=read_data, subset=subset, snapshots=[snapshot_name]
        )
        problems.extend(result.problems)
    return problems
