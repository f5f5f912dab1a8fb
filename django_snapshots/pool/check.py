"""``check`` and ``verify`` for a pool: unreferenced, missing and corrupt content.

:func:`check_pool` compares what the snapshots reference with what the index lists
and what storage holds (no pack is read). :func:`verify_pool` checks that every
referenced blob is indexed in a stored pack of the recorded size and, with
``read_data``, downloads packs (all, or the subset ``n/m`` as restic's
``--read-data-subset``) and re-hashes every blob against its content id.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from django_snapshots.exceptions import SnapshotError, SnapshotNotFoundError
from django_snapshots.pool.index import PoolIndex, load_index
from django_snapshots.pool.layout import PoolPaths, read_config
from django_snapshots.pool.locks import PoolLock
from django_snapshots.pool.options import PoolOptions
from django_snapshots.pool.packs import decode_blob, fetch_pack, read_pack_header
from django_snapshots.pool.roots import ArtifactFetcher, ReferenceScan, fetch_plain_artifact
from django_snapshots.pool.storeio import stored_size
from django_snapshots.pool.tables import IdSet
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["PoolStatus", "PoolVerification", "check_pool", "parse_subset", "verify_pool"]

_SUBSET = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)")


@dataclass
class PoolStatus:
    """What :func:`check_pool` found."""

    pool: str
    exists: bool = True
    snapshots: list[str] = field(default_factory=list[str])
    """Snapshots whose media lives in the pool."""
    packs: int = 0
    stored_bytes: int = 0
    """Bytes of every indexed pack (after the codec)."""
    blobs: int = 0
    referenced_blobs: int = 0
    unreferenced_blobs: int = 0
    unreferenced_bytes: int = 0
    """Stored bytes of blobs no snapshot references (what garbage collection frees)."""
    missing_blobs: int = 0
    missing_snapshots: list[str] = field(default_factory=list[str])
    """Snapshots referencing content the pool does not have: they cannot be restored."""
    orphan_packs: int = 0
    """Packs no index lists (debris of killed runs; garbage collection removes them)."""
    missing_packs: int = 0
    """Indexed packs absent from storage."""
    unreadable: list[str] = field(default_factory=list[str])
    index_files: int = 0

    @property
    def ok(self) -> bool:
        """Return True if nothing referenced is missing and every snapshot was read."""
        return not (self.missing_blobs or self.missing_packs or self.unreadable)


@dataclass
class PoolVerification:
    """What :func:`verify_pool` found."""

    pool: str
    checked_blobs: int = 0
    read_packs: int = 0
    problems: list[str] = field(default_factory=list[str])

    @property
    def ok(self) -> bool:
        """Return True if no problem was found."""
        return not self.problems


def parse_subset(text: str) -> tuple[int, int]:
    """Return ``(n, m)`` for a subset ``"n/m"`` (1 <= n <= m); raise ``ValueError`` if bad."""
    match = _SUBSET.fullmatch(text.strip())
    if match is None or int(match[1]) > int(match[2]):
        raise ValueError(f"read-data subset {text!r} must be n/m with 1 <= n <= m")
    return int(match[1]), int(match[2])


def _in_subset(pack_id: str, subset: tuple[int, int] | None) -> bool:
    if subset is None:
        return True
    n, m = subset
    return int(pack_id[:8], 16) % m == n - 1


def check_pool(
    storage: SnapshotStorage,
    options: PoolOptions | None = None,
    *,
    fetch: ArtifactFetcher = fetch_plain_artifact,
) -> PoolStatus:
    """Report unreferenced, missing and orphan content of ``options``'s pool."""
    options = options if options is not None else PoolOptions()
    paths = PoolPaths(options.name)
    status = PoolStatus(options.name)
    if read_config(storage, paths) is None:
        status.exists = False
    with (
        scratch_folder("pool") as scratch,
        PoolLock(storage, paths, "shared", wait=options.lock_wait),
    ):
        index = load_index(storage, paths, options.codec, scratch) if status.exists else PoolIndex()
        listed = {pack for path in storage.list(paths.packs) if (pack := paths.pack_id(path))}
        referenced = IdSet()
        missing = IdSet()
        scan = ReferenceScan(storage, paths.name, fetch=fetch)
        for name, blob_id in scan:
            key = bytes.fromhex(blob_id)
            location = index.locations.get(key)
            if location is None or index.locations.packs[location.pack] not in listed:
                missing.add(key)
                if name not in status.missing_snapshots:
                    status.missing_snapshots.append(name)
            referenced.add(key)
        status.snapshots, status.unreadable = scan.snapshots, scan.unreadable
        status.index_files = len(index.files)
        status.packs = len(index.packs)
        status.stored_bytes = sum(size for size, _ in index.packs.values())
        status.blobs = len(index.locations)
        status.referenced_blobs = len(referenced)
        status.missing_blobs = len(missing)
        status.orphan_packs = len(listed - set(index.packs))
        status.missing_packs = len(set(index.packs) - listed)
        for key, location in index.locations.items():
            if key not in referenced:
                status.unreferenced_blobs += 1
                status.unreferenced_bytes += location.length
    return status


def verify_pool(
    storage: SnapshotStorage,
    options: PoolOptions | None = None,
    *,
    read_data: bool = False,
    subset: tuple[int, int] | None = None,
    snapshots: Collection[str] | None = None,
    fetch: ArtifactFetcher = fetch_plain_artifact,
) -> PoolVerification:
    """Check the content ``snapshots`` (default: all) reference in ``options``'s pool.

    Every referenced blob must be indexed, in a stored pack of the recorded size. With
    ``read_data`` (optionally only the packs of ``subset = (n, m)``), each referenced
    pack is downloaded, its sha256 checked, and every blob it holds decoded and
    re-hashed. Problems are reported, not raised.
    """
    options = options if options is not None else PoolOptions()
    paths = PoolPaths(options.name)
    result = PoolVerification(options.name)
    wanted = set(snapshots) if snapshots is not None else None
    with (
        scratch_folder("pool") as scratch,
        PoolLock(storage, paths, "shared", wait=options.lock_wait),
    ):
        exists = read_config(storage, paths) is not None
        index = load_index(storage, paths, options.codec, scratch) if exists else PoolIndex()
        scan = ReferenceScan(
            storage, paths.name, fetch=fetch, only=None if wanted is None else wanted.__contains__
        )
        packs: dict[int, None] = {}
        seen = IdSet()
        for name, blob_id in scan:
            key = bytes.fromhex(blob_id)
            if not seen.add(key):
                continue
            result.checked_blobs += 1
            location = index.locations.get(key)
            if location is None:
                result.problems.append(f"snapshot {name!r}: content {blob_id} is not in the pool")
                continue
            packs.setdefault(location.pack)
        result.problems.extend(f"snapshot {item}" for item in scan.unreadable)
        for number in packs:
            pack_id = index.locations.packs[number]
            record = index.pack_record(pack_id)
            where = f"pool pack {paths.pack(pack_id)!r}"
            try:
                size = stored_size(storage, paths.pack(pack_id))
            except SnapshotNotFoundError:
                result.problems.append(f"{where} is missing")
                continue
            if size is not None and size != record.size:
                result.problems.append(
                    f"{where} holds {size} bytes, the index records {record.size}"
                )
                continue
            if not read_data or not _in_subset(pack_id, subset):
                continue
            local = scratch / f"pack-{pack_id}"
            try:
                fetch_pack(storage, paths, options.codec, record, local, pack_id)
                result.read_packs += 1
                with local.open("rb") as pack:
                    for blob in read_pack_header(local):
                        pack.seek(blob.offset)
                        decode_blob(options.ids, blob, pack.read(blob.length))
                        location = index.locations.get(bytes.fromhex(blob.id))
                        if (
                            location is not None
                            and location.pack == number
                            and (location.offset, location.length) != (blob.offset, blob.length)
                        ):
                            result.problems.append(f"{where}: the index misplaces blob {blob.id}")
            except SnapshotError as error:
                result.problems.append(str(error))
            finally:
                local.unlink(missing_ok=True)
    return result
