"""Where the engine meets the media pool and other storage-aware artifacts.

Before a backup or restore runs, every exporter and importer that wants it receives an
:class:`~django_snapshots.artifacts.context.ArtifactContext` (the storage, the
snapshot, the format, the pool to use). After ``delete`` and ``prune`` the pools are
garbage-collected; ``check`` and ``verify`` report on them.

Without ``ENCRYPTION`` media goes to the plain pool (sha256 ids, no codec). With it,
media goes to the encrypted pool when the backend offers one
(:class:`~django_snapshots.encryption.PoolEncryption`) and this host can both read and
write it; otherwise the media stays one encrypted artifact per snapshot. The encrypted
pool is named by its keyed ids, which come from a session's content key: a restore
host learns it from the snapshot it restores, and garbage collection, ``check`` and
``verify`` from the snapshots that reference each pool (:func:`known_pools`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django_snapshots import layout
from django_snapshots.artifacts.context import ArtifactContext, bind_artifact, make_context
from django_snapshots.conformance import check_conformance
from django_snapshots.encryption import (
    BackupSession,
    PoolEncryption,
    RestoreSession,
    SnapshotEncryption,
)
from django_snapshots.engine.crypto import open_restore_session
from django_snapshots.engine.fetch import artifact_fetcher
from django_snapshots.exceptions import SnapshotConfigurationError, SnapshotError
from django_snapshots.humanize import format_size
from django_snapshots.layout import SnapshotFormat
from django_snapshots.manifest import Snapshot
from django_snapshots.pool.check import check_pool, verify_pool
from django_snapshots.pool.gc import GarbageReport, collect_all_garbage
from django_snapshots.pool.options import DEFAULT_POOL_OPTIONS, PoolOptions
from django_snapshots.pool.roots import ArtifactFetcher
from django_snapshots.settings import get_settings
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = [
    "Configured",
    "bind_all",
    "collect_pool_garbage",
    "describe_collection",
    "encrypted_pool_options",
    "known_pools",
    "pool_findings",
    "pool_names",
    "pool_options",
    "restore_pool_options",
    "verify_pools",
]

Configured = Literal["configured"]
"""Stands for ``SNAPSHOTS["ENCRYPTION"]`` as configured (the default of the callers below)."""


def _backend(encryption: SnapshotEncryption | Configured | None) -> SnapshotEncryption | None:
    return get_settings().encryption_backend() if encryption == "configured" else encryption


def _pool_encryption(encryption: SnapshotEncryption | None) -> PoolEncryption | None:
    """Return ``encryption`` if it offers an encrypted pool; raise if it does so wrongly."""
    if encryption is None or not isinstance(encryption, PoolEncryption):
        return None
    problems = check_conformance(encryption, PoolEncryption)
    if problems:
        raise SnapshotConfigurationError(
            f"SNAPSHOTS['ENCRYPTION'] ({type(encryption).__name__}) has pool_ids and "
            f"pool_codec but does not conform to PoolEncryption: {problems[0]}"
        )
    return encryption


def encrypted_pool_options(
    encryption: SnapshotEncryption | None,
    content_key: bytes,
    header: Mapping[str, Any],
    *,
    writing: bool,
) -> PoolOptions | None:
    """Return the encrypted pool of a snapshot whose session key and header are given.

    None when the backend offers no encrypted pool or this host cannot use it
    (``writing``: read and write it; else read it).
    """
    capable = _pool_encryption(encryption)
    if capable is None:
        return None
    codec = capable.pool_codec(writing=writing)
    if codec is None:
        return None
    return PoolOptions(ids=capable.pool_ids(content_key, header), codec=codec)


def pool_options(
    encryption: SnapshotEncryption | None, session: BackupSession | None = None
) -> PoolOptions | None:
    """Return the pool new media goes to, or None to keep media as one artifact file.

    ``session`` is the backup's (required with ``encryption``, else the media stays an
    encrypted artifact).
    """
    if encryption is None:
        return DEFAULT_POOL_OPTIONS
    if session is None:
        return None
    return encrypted_pool_options(encryption, session.content_key, session.header, writing=True)


def pool_names(snapshot: Snapshot) -> list[str]:
    """Return the pools ``snapshot``'s artifacts keep content in, in manifest order."""
    names: list[str] = []
    for record in snapshot.artifacts:
        name = record.metadata.get("pool")
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


def restore_pool_options(
    encryption: SnapshotEncryption | None, session: RestoreSession | None, snapshot: Snapshot
) -> PoolOptions:
    """Return the pool ``snapshot``'s media is read from on this host.

    ``session`` is the snapshot's verified restore session (None for a plaintext
    snapshot). The candidates are the encrypted pool its key names and the plain
    pool; the one the snapshot's records name wins, else the first.
    """
    candidates: list[PoolOptions] = []
    header = snapshot.encryption_header
    if session is not None and header is not None:
        encrypted = encrypted_pool_options(encryption, session.content_key, header, writing=False)
        if encrypted is not None:
            candidates.append(encrypted)
    candidates.append(DEFAULT_POOL_OPTIONS)
    used = pool_names(snapshot)
    return next((options for options in candidates if options.name in used), candidates[0])


def known_pools(
    storage: SnapshotStorage, encryption: SnapshotEncryption | None, *, writing: bool
) -> list[PoolOptions]:
    """Return the pools this host can open in ``storage``: the plain one, and encrypted ones.

    An encrypted pool's keyed ids come from the content key of a snapshot referencing
    it: for each pool name not yet known, the first encrypted snapshot naming it whose
    seal verifies gives its key. ``writing`` asks for pools this host can also write
    (garbage collection).
    """
    pools = [DEFAULT_POOL_OPTIONS]
    if _pool_encryption(encryption) is None:
        return pools
    resolved = {DEFAULT_POOL_OPTIONS.name}
    for state in sorted(layout.scan(storage).values(), key=lambda state: state.name):
        for location in state.locations:
            try:
                snapshot = layout.read_manifest(storage, location)
            except SnapshotError:
                continue
            if not snapshot.encrypted or not set(pool_names(snapshot)) - resolved:
                continue
            try:
                session = open_restore_session(encryption, snapshot)
            except SnapshotError:
                continue
            header = snapshot.encryption_header
            if session is None or header is None:
                continue
            options = encrypted_pool_options(
                encryption, session.content_key, header, writing=writing
            )
            if options is None:
                return pools
            if options.name not in resolved:
                resolved.add(options.name)
                pools.append(options)
    return pools


def bind_all(
    artifacts: Iterable[object],
    storage: SnapshotStorage,
    snapshot_name: str,
    snapshot_format: SnapshotFormat,
    pool: PoolOptions | None,
    *,
    fetch: ArtifactFetcher | None = None,
) -> None:
    """Give every exporter or importer that has ``bind`` its context.

    ``fetch`` reads the previous snapshot's artifact (an exporter's ``previous``).
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
        context = make_context(
            storage, snapshot_name, snapshot_format, artifact, pool=pool, fetch=fetch
        )
        bind_artifact(artifact, context)


def collect_pool_garbage(
    storage: SnapshotStorage, encryption: SnapshotEncryption | Configured | None = "configured"
) -> list[GarbageReport]:
    """Free pool content no remaining snapshot references; call outside any snapshot lock.

    An encrypted pool is collected only on a host that can read and write it.
    """
    encryption = _backend(encryption)
    known = known_pools(storage, encryption, writing=True)
    fetch = artifact_fetcher(encryption, require_seal=False)
    return collect_all_garbage(storage, known, fetch=fetch)


def describe_collection(reports: Iterable[GarbageReport]) -> list[str]:
    """Return one line per pool saying what garbage collection freed or why it waited."""
    lines: list[str] = []
    for report in reports:
        if report.skipped is not None:
            lines.append(f"media pool {report.pool}: nothing freed now ({report.skipped})")
        elif report.freed:
            lines.append(f"media pool {report.pool}: freed {format_size(report.freed)}")
    return lines


def pool_findings(
    storage: SnapshotStorage, encryption: SnapshotEncryption | Configured | None = "configured"
) -> list[str]:
    """Return one line per problem of the pools: unreferenced, missing, orphan content."""
    encryption = _backend(encryption)
    findings: list[str] = []
    fetch = artifact_fetcher(encryption, require_seal=False)
    for options in known_pools(storage, encryption, writing=False):
        status = check_pool(storage, options, fetch=fetch)
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
    snapshot: Snapshot,
    encryption: SnapshotEncryption | None = None,
    *,
    read_data: bool = False,
    subset: tuple[int, int] | None = None,
) -> tuple[list[str], list[str]]:
    """Check the pool content ``snapshot`` references; return ``(problems, unreadable pools)``.

    Every referenced content must exist with its size; ``read_data`` re-hashes it (only
    the packs of ``subset = (n, m)`` when given). The second list names the pools the
    snapshot uses that this host holds no key to open (nothing of them was checked).
    """
    used = pool_names(snapshot)
    problems: list[str] = []
    fetch = artifact_fetcher(encryption, require_seal=False)
    opened: set[str] = set()
    for options in known_pools(storage, encryption, writing=False):
        if options.name not in used:
            continue
        opened.add(options.name)
        result = verify_pool(
            storage,
            options,
            read_data=read_data,
            subset=subset,
            snapshots=[snapshot.name],
            fetch=fetch,
        )
        problems.extend(result.problems)
    return problems, [name for name in used if name not in opened]
