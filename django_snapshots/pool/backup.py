"""Store a tree in the pool and write its file list: the incremental media backup.

The source is walked once. Each file's entry is compared with the parent snapshot's
entry for the same path, read side by side from the parent's file list (both are in
canonical order, so this costs no memory): when size, mtime (and inode, on a local
disk) match and every content id is still indexed, the ids are reused and the file is
not opened. Other files are read in chunks by worker threads; each chunk's content id
is looked up in the index, and only new chunks are compressed and packed. Entries are
written to the file list in walk order. The pool is held under a ``backup`` lock from
before the index is read until the engine's snapshot lock is released, so garbage
collection cannot remove content this backup references.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Final

import zstandard

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.pool.filelist import (
    FileEntry,
    FileListHeader,
    FileListReader,
    FileListWriter,
    path_key,
)
from django_snapshots.pool.index import load_ids
from django_snapshots.pool.layout import ensure_config
from django_snapshots.pool.locks import PoolLock
from django_snapshots.pool.options import PoolOptions
from django_snapshots.pool.packs import encode_blob
from django_snapshots.pool.source import TreeSource
from django_snapshots.pool.tables import IdSet
from django_snapshots.pool.writer import PackWriter
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["RACY_SECONDS", "StoreStats", "store_tree"]

RACY_SECONDS: Final = 2
"""A file modified this close to the backup's start is re-read by the next backup."""

_WINDOW: Final = 64
"""Entries waiting for their worker before the walk pauses."""

_logger = logging.getLogger(__name__)


@dataclass
class StoreStats:
    """What one backup of a tree did."""

    files: int = 0
    bytes: int = 0
    """Plain bytes of every file in the tree."""
    reused_files: int = 0
    """Files whose content ids came from the parent without reading them."""
    read_bytes: int = 0
    new_blobs: int = 0
    new_bytes: int = 0
    """Plain bytes of the chunks the pool did not have yet."""
    stored_bytes: int = 0
    """Bytes of packs written (after compression and the codec)."""
    packs: int = 0
    index_files: list[str] = field(default_factory=list[str])


class _ParentCursor:
    """Walk the parent's file list alongside the source, by canonical key."""

    def __init__(self, entries: Iterator[tuple[tuple[str, ...], FileEntry]] | None) -> None:
        self._entries = entries
        self._key: tuple[str, ...] | None = None
        self._current: FileEntry | None = None
        self._advance()

    def _advance(self) -> None:
        if self._entries is None:
            self._key = self._current = None
            return
        try:
            self._key, self._current = next(self._entries, (None, None))
        except SnapshotIntegrityError as error:
            _logger.warning("not reusing the parent snapshot's file list further: %s", error)
            self._entries = self._key = self._current = None

    def find(self, path: str) -> FileEntry | None:
        """Return the parent's entry for ``path``, or None."""
        key = path_key(path)
        while (current_key := self._key) is not None and current_key < key:
            self._advance()
        current = self._current
        return current if current is not None and current.path == path else None


class _Store:
    """One backup's shared state: the index, the blobs added, the pack writer."""

    def __init__(
        self, source: TreeSource, options: PoolOptions, indexed: IdSet, packs: PackWriter
    ) -> None:
        self.source = source
        self.options = options
        self.indexed = indexed
        self.packs = packs
        self.fresh = IdSet()
        self.stats = StoreStats()
        self._lock = threading.Lock()
        self._local = threading.local()

    def known(self, blob_id: str) -> bool:
        """Return True if the pool (or this backup) has the content id."""
        key = bytes.fromhex(blob_id)
        with self._lock:
            return key in self.indexed or (len(self.fresh) > 0 and key in self.fresh)

    def _compressor(self) -> zstandard.ZstdCompressor:
        compressor: zstandard.ZstdCompressor | None = getattr(self._local, "compressor", None)
        if compressor is None:
            compressor = self._local.compressor = zstandard.ZstdCompressor(level=3)
        return compressor

    def read(self, entry: FileEntry) -> FileEntry | None:
        """Read, hash and store a file's new chunks; return its entry (None: it vanished)."""
        ids: list[str] = []
        size = 0
        try:
            stream = self.source.open(entry.path)
        except FileNotFoundError:
            _logger.warning("%s vanished during the backup; it is not in the snapshot", entry.path)
            return None
        with stream:
            while chunk := _read_chunk(stream, self.options.chunk_size):
                size += len(chunk)
                hasher = self.options.ids.hasher()
                hasher.update(chunk)
                blob_id = hasher.hexdigest()
                key = bytes.fromhex(blob_id)
                with self._lock:
                    new = key not in self.indexed and self.fresh.add(key)
                if new:
                    data, flags = encode_blob(self._compressor(), chunk)
                    self.packs.add(blob_id, len(chunk), data, flags)
                    with self._lock:
                        self.stats.new_blobs += 1
                        self.stats.new_bytes += len(chunk)
                ids.append(blob_id)
        with self._lock:
            self.stats.read_bytes += size
        if size != entry.size:
            entry.racy = True
        entry.size, entry.ids = size, tuple(ids)
        return entry


def _read_chunk(stream: IO[bytes], size: int) -> bytes:
    """Read up to ``size`` bytes, looping over short reads; b"" at the end."""
    data = stream.read(size)
    if not data or len(data) == size:
        return data
    parts = [data]
    got = len(data)
    while got < size and (more := stream.read(size - got)):
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _reusable(entry: FileEntry, parent: FileEntry | None, store: _Store, full: bool) -> bool:
    if full or parent is None or parent.kind != "file" or parent.racy:
        return False
    if entry.mtime_ns is None or parent.mtime_ns != entry.mtime_ns or parent.size != entry.size:
        return False
    if store.source.has_inodes and parent.inode != entry.inode:
        return False
    return all(store.known(blob_id) for blob_id in parent.ids)


def _parent_entries(
    parent: IO[bytes] | None, source: TreeSource, options: PoolOptions
) -> Iterator[tuple[tuple[str, ...], FileEntry]] | None:
    if parent is None:
        return None
    try:
        reader = FileListReader(parent, "parent media file list")
    except SnapshotIntegrityError as error:
        _logger.warning("not reusing the parent snapshot's media: %s", error)
        return None
    header = reader.header
    if (header.pool, header.ids, header.source) != (
        options.name,
        options.ids.name,
        source.identity,
    ):
        return None
    return reader.keyed()


def store_tree(
    source: TreeSource,
    out: IO[bytes],
    *,
    storage: SnapshotStorage,
    options: PoolOptions,
    snapshot_name: str,
    parent: IO[bytes] | None = None,
    full: bool = False,
) -> StoreStats:
    """Store ``source``'s new content in the pool and write its file list to ``out``.

    ``parent`` is the previous snapshot's file list (any, or None): entries of the same
    source are reused as described in the module docstring unless ``full``. The
    caller must hold the snapshot lock of ``snapshot_name`` until the snapshot's
    manifest is written (the engine does). Packs and index files are stored before
    this returns; on failure they are left for garbage collection.
    """
    paths = ensure_config(storage, options)
    started_ns = time.time_ns()
    racy_after = started_ns - RACY_SECONDS * 1_000_000_000
    with (
        PoolLock(storage, paths, "backup", snapshot=snapshot_name, wait=options.lock_wait),
        scratch_folder("pool") as scratch,
    ):
        indexed = load_ids(storage, paths, options.codec, scratch)
        with PackWriter(storage, paths, options, scratch) as packs:
            store = _Store(source, options, indexed, packs)
            header = FileListHeader(
                options.name, options.ids.name, source.identity, options.chunk_size
            )
            writer = FileListWriter(out, header)
            cursor = _ParentCursor(_parent_entries(parent, source, options))
            pending: deque[tuple[FileEntry, Future[FileEntry | None] | None]] = deque()

            def emit(entry: FileEntry | None) -> None:
                if entry is None:
                    return
                if entry.kind == "file":
                    if entry.mtime_ns is not None and entry.mtime_ns >= racy_after:
                        entry.racy = True
                    store.stats.files += 1
                    store.stats.bytes += entry.size
                writer.add(entry)

            with ThreadPoolExecutor(options.workers, thread_name_prefix="snapshot-pool") as pool:
                try:
                    for entry in source.walk():
                        previous = cursor.find(entry.path)
                        if entry.kind == "file" and _reusable(entry, previous, store, full):
                            assert previous is not None
                            entry.ids = previous.ids
                            store.stats.reused_files += 1
                            pending.append((entry, None))
                        elif entry.kind == "file":
                            pending.append((entry, pool.submit(store.read, entry)))
                        else:
                            pending.append((entry, None))
                        while pending and (
                            len(pending) > _WINDOW or pending[0][1] is None or pending[0][1].done()
                        ):
                            head, future = pending.popleft()
                            emit(head if future is None else future.result())
                    while pending:
                        head, future = pending.popleft()
                        emit(head if future is None else future.result())
                except BaseException:
                    for _, future in pending:
                        if future is not None:
                            future.cancel()
                    raise
            stats = store.stats
            stats.index_files = packs.finish()
            stats.packs, stats.stored_bytes = packs.packs, packs.stored_bytes
            writer.finish()
    return stats
