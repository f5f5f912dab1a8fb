"""Garbage collection: free the content no remaining snapshot references.

Called after ``delete`` and ``prune``. Under the pool's ``exclusive`` lock (so no
backup, restore or verification is using the pool; otherwise nothing is collected and
the report says why), in this order:

1. **mark**: read every remaining snapshot's file list; a snapshot that cannot be read
   stops the collection (what it references is unknown).
2. **plan**: per indexed pack, count blobs still referenced (the first copy of each)
   and blobs not; packs no index lists are *orphans* (left by a killed backup or
   collection).
3. **write**: copy the referenced blobs of partly dead packs, and any referenced blob
   only an orphan holds, into new packs with their own index files; write one index file
   listing every pack kept whole.
4. **commit**: delete the old index files, then the dead, repacked and orphan packs.

Nothing is deleted before everything that replaces it is stored, so a kill at any
point leaves every referenced blob in an indexed pack: at worst a second copy, or
orphan packs, which the next collection removes. Storage shrinks at once by what only
the deleted snapshots held (packs partly dead are rewritten, not kept).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from django_snapshots import layout
from django_snapshots.exceptions import SnapshotError, SnapshotLockedError
from django_snapshots.pool.index import (
    IndexBuilder,
    download_index,
    list_index_files,
    read_local_index,
)
from django_snapshots.pool.layout import PoolPaths, list_pools, read_config
from django_snapshots.pool.locks import PoolLock
from django_snapshots.pool.options import DEFAULT_POOL_OPTIONS, PoolOptions
from django_snapshots.pool.packs import BlobRecord, PackRecord, fetch_pack, read_pack_header
from django_snapshots.pool.roots import ArtifactFetcher, ReferenceScan, fetch_plain_artifact
from django_snapshots.pool.storeio import stored_size
from django_snapshots.pool.tables import IdSet
from django_snapshots.pool.writer import PackWriter
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["GarbageReport", "collect_all_garbage", "collect_garbage", "drop_unnamed_pool"]

_COMPACT_AFTER: Final = 32
"""With more index files than this, a collection rewrites them as one even if nothing died."""

_logger = logging.getLogger(__name__)


@dataclass
class GarbageReport:
    """What one garbage collection did."""

    pool: str
    skipped: str | None = None
    """Why nothing was collected (pool in use, a snapshot unreadable, an error), or None."""
    snapshots: int = 0
    """Snapshots referencing the pool."""
    packs_deleted: int = 0
    packs_repacked: int = 0
    """Partly dead packs whose live blobs were copied into new packs."""
    packs_written: int = 0
    blobs_removed: int = 0
    orphans: int = 0
    """Packs no index listed (removed, after copying any referenced blob they held)."""
    missing: int = 0
    """Referenced content ids found in no pack: those snapshots cannot be restored."""
    bytes_deleted: int = 0
    bytes_written: int = 0

    @property
    def freed(self) -> int:
        """Return the stored bytes freed (deleted minus rewritten)."""
        return self.bytes_deleted - self.bytes_written


@dataclass
class _Plan:
    live: int
    dead: int
    dead_bytes: int
    data_bytes: int

    def keep_whole(self, max_unused: float) -> bool:
        """Return True if the pack stays as it is (nothing dead, or little enough)."""
        if self.dead == 0:
            return True
        return self.live > 0 and self.dead_bytes <= max_unused * self.data_bytes


class _Collection:
    """State of one collection run (inside the exclusive lock)."""

    def __init__(
        self,
        storage: SnapshotStorage,
        paths: PoolPaths,
        options: PoolOptions,
        scratch: Path,
        report: GarbageReport,
        max_unused: float,
    ) -> None:
        self.max_unused = max_unused
        self.storage = storage
        self.paths = paths
        self.options = options
        self.scratch = scratch
        self.report = report
        self.live = IdSet()
        self.index_files: list[str] = []
        self.stored: set[str] = set()
        self.plans: dict[str, _Plan] = {}
        self.orphans: list[str] = []
        self.doomed: list[str] = []

    def records(self) -> Iterator[PackRecord]:
        """Yield each stored, indexed pack's record once, from the downloaded index files."""
        seen: set[str] = set()
        for number, path in enumerate(self.index_files):
            for record in read_local_index(self.scratch / f"index-{number}", path):
                if record.pack_id in self.stored and record.pack_id not in seen:
                    seen.add(record.pack_id)
                    yield record

    def _chosen(self, chosen: IdSet, blob: BlobRecord) -> bool:
        key = bytes.fromhex(blob.id)
        return key in self.live and chosen.add(key)

    def mark(self, fetch: ArtifactFetcher) -> bool:
        """Collect every referenced id; return False if some snapshot cannot be read."""
        scan = ReferenceScan(self.storage, self.paths.name, fetch=fetch)
        for _, blob_id in scan:
            self.live.add(bytes.fromhex(blob_id))
        self.report.snapshots = len(scan.snapshots)
        if scan.unreadable:
            self.report.skipped = f"nothing collected: snapshot {scan.unreadable[0]}"
            return False
        return True

    def plan(self) -> bool:
        """Count live and dead blobs per pack; return True if anything must change."""
        self.index_files = list_index_files(self.storage, self.paths)
        for number, path in enumerate(self.index_files):
            download_index(self.storage, self.options.codec, path, self.scratch / f"index-{number}")
        listed = self.storage.list(self.paths.packs)
        self.stored = {pack for path in listed if (pack := self.paths.pack_id(path)) is not None}
        chosen = IdSet()
        indexed: set[str] = set()
        for number, path in enumerate(self.index_files):
            indexed.update(
                r.pack_id for r in read_local_index(self.scratch / f"index-{number}", path)
            )
        for record in self.records():
            dead = [blob.length for blob in record.blobs if not self._chosen(chosen, blob)]
            data = sum(blob.length for blob in record.blobs)
            self.plans[record.pack_id] = _Plan(
                len(record.blobs) - len(dead), len(dead), sum(dead), data
            )
        self.orphans = sorted(self.stored - indexed)
        self.report.orphans = len(self.orphans)
        rewrite = any(not plan.keep_whole(self.max_unused) for plan in self.plans.values())
        vanished = bool(indexed - self.stored)
        return rewrite or vanished or bool(self.orphans) or len(self.index_files) > _COMPACT_AFTER

    def _local_pack(self, pack_id: str, record: PackRecord | None) -> Path:
        local = self.scratch / f"pack-{pack_id}"
        size, _ = fetch_pack(self.storage, self.paths, self.options.codec, record, local, pack_id)
        if record is None:
            self.report.bytes_deleted += size
        return local

    def write(self) -> list[str]:
        """Store new packs and index files; return the packs to delete afterwards."""
        chosen = IdSet()
        kept = IndexBuilder(self.scratch)
        with PackWriter(self.storage, self.paths, self.options, self.scratch) as writer:
            for record in self.records():
                plan = self.plans[record.pack_id]
                if plan.keep_whole(self.max_unused):
                    for blob in record.blobs:
                        self._chosen(chosen, blob)
                    kept.add(record)
                    continue
                self.doomed.append(record.pack_id)
                self.report.bytes_deleted += record.size
                self.report.blobs_removed += plan.dead
                if plan.live == 0:
                    self.report.packs_deleted += 1
                    continue
                self.report.packs_repacked += 1
                self._copy(writer, self._local_pack(record.pack_id, record), record.blobs, chosen)
            for pack_id in self.orphans:
                self.doomed.append(pack_id)
                self.report.packs_deleted += 1
                try:
                    local = self._local_pack(pack_id, None)
                    blobs = read_pack_header(local)
                except SnapshotError as error:
                    _logger.warning("removing unreadable orphan pack %s: %s", pack_id, error)
                    continue
                self._copy(writer, local, blobs, chosen)
            new_files = writer.finish()
            self.report.packs_written = writer.packs
            self.report.bytes_written = writer.stored_bytes
        self.report.missing = len(self.live) - len(chosen)
        if kept.packs:
            new_files.append(kept.upload(self.storage, self.paths, self.options.codec))
        else:
            kept.discard()
        return new_files

    def _copy(
        self,
        writer: PackWriter,
        local: Path,
        blobs: tuple[BlobRecord, ...] | list[BlobRecord],
        chosen: IdSet,
    ) -> None:
        with local.open("rb") as pack:
            for blob in blobs:
                if self._chosen(chosen, blob):
                    pack.seek(blob.offset)
                    writer.add(blob.id, blob.plain_length, pack.read(blob.length), blob.flags)
        local.unlink()

    def commit(self, new_files: list[str]) -> None:
        """Delete the replaced index files, then the dead, repacked and orphan packs."""
        for path in self.index_files:
            if path not in new_files:
                self.storage.delete(path)
        for pack_id in self.doomed:
            self.storage.delete(self.paths.pack(pack_id))


def collect_garbage(
    storage: SnapshotStorage,
    options: PoolOptions | None = None,
    *,
    fetch: ArtifactFetcher = fetch_plain_artifact,
    wait: float = 0.0,
    max_unused: float = 0.0,
) -> GarbageReport:
    """Free the content of ``options``'s pool that no remaining snapshot references.

    Waits up to ``wait`` seconds for backups, restores and verifications using the pool;
    if one still runs, nothing is collected and ``skipped`` says which. A pack whose
    unreferenced bytes are at most ``max_unused`` (a fraction, default 0: free
    everything) of its content is kept whole rather than rewritten. Expected
    failures (a corrupt pack, an unreadable snapshot) are reported in ``skipped``
    too, never raised: the snapshots themselves are already deleted.
    """
    options = options if options is not None else PoolOptions()
    paths = PoolPaths(options.name)
    report = GarbageReport(options.name)
    try:
        if read_config(storage, paths) is None:
            report.skipped = "the pool does not exist"
            return report
        lock = PoolLock(storage, paths, "exclusive", wait=wait)
        lock.acquire()
    except SnapshotLockedError as error:
        report.skipped = f"nothing collected: {error}"
        return report
    except SnapshotError as error:
        report.skipped = f"nothing collected: {error}"
        return report
    try:
        with scratch_folder("pool") as scratch:
            work = _Collection(storage, paths, options, scratch, report, max_unused)
            if work.mark(fetch) and work.plan():
                work.commit(work.write())
    except SnapshotError as error:
        report.skipped = f"collection stopped: {error}"
    finally:
        lock.release()
    return report


def collect_all_garbage(
    storage: SnapshotStorage,
    known: Sequence[PoolOptions] = (DEFAULT_POOL_OPTIONS,),
    *,
    fetch: ArtifactFetcher = fetch_plain_artifact,
    wait: float = 0.0,
    max_unused: float = 0.0,
) -> list[GarbageReport]:
    """Collect every pool in ``storage``; return one report per pool, sorted by name.

    ``known`` are the options this project can open pools with (the configured ones;
    the plain default is always safe to include). A pool none of them names (written
    with another key or codec) is left untouched while a snapshot names it (reported
    as skipped); once none does, its objects are deleted without being read
    (:func:`drop_unnamed_pool`).
    """
    by_name = {options.name: options for options in known}
    reports: list[GarbageReport] = []
    for name in list_pools(storage):
        options = by_name.get(name)
        if options is None:
            reports.append(drop_unnamed_pool(storage, name, wait=wait))
            continue
        reports.append(
            collect_garbage(storage, options, fetch=fetch, wait=wait, max_unused=max_unused)
        )
    return reports


def _why_kept(storage: SnapshotStorage, pool: str) -> str | None:
    """Return why pool ``pool`` may still be needed (a manifest names it or is unreadable)."""
    for name, state in sorted(layout.scan(storage).items()):
        for location in state.locations:
            try:
                snapshot = layout.read_manifest(storage, location)
            except SnapshotError as error:
                return f"nothing collected: snapshot {name}: {error}"
            if any(record.metadata.get("pool") == pool for record in snapshot.artifacts):
                return "needs the key and codec that wrote it"
    return None


def drop_unnamed_pool(storage: SnapshotStorage, name: str, *, wait: float = 0.0) -> GarbageReport:
    """Delete the packs and index files of pool ``name`` if no snapshot names it any more.

    Needs no key: nothing is read but the manifests. Under the pool's ``exclusive``
    lock (so no backup is adding to it); a snapshot that names the pool, or whose
    manifest cannot be read, leaves it untouched (``skipped`` says why). Index files go
    first, so a kill leaves orphan packs that the next call removes.
    """
    paths = PoolPaths(name)
    report = GarbageReport(name)
    lock = PoolLock(storage, paths, "exclusive", wait=wait)
    try:
        lock.acquire()
    except SnapshotError as error:
        report.skipped = f"nothing collected: {error}"
        return report
    try:
        report.skipped = _why_kept(storage, name)
        if report.skipped is None:
            for path in list_index_files(storage, paths):
                storage.delete(path)
            for path in storage.list(paths.packs):
                if paths.pack_id(path) is not None:
                    report.bytes_deleted += stored_size(storage, path) or 0
                    storage.delete(path)
                    report.packs_deleted += 1
    except SnapshotError as error:
        report.skipped = f"collection stopped: {error}"
    finally:
        lock.release()
    return report
