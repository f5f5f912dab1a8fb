"""Read a tree back from the pool: fetch and verify its packs, then stream its files.

:func:`fetch_tree` takes a ``shared`` pool lock, reads the index, checks that every
content id of the file list is indexed, and downloads each needed pack once into a
local cache, verifying its stored size and sha256 (in parallel, so a remote storage is
read at full speed). The lock is released once the cache is complete: from then on
nothing reads the storage, and every problem with the snapshot's content has already
been found before anything is restored. :meth:`FetchedTree.entries` then yields the
file list's entries with a stream of each file's content, every chunk checked against
its content id.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

from django_snapshots.exceptions import (
    SnapshotEncryptionError,
    SnapshotIntegrityError,
    SnapshotNotFoundError,
)
from django_snapshots.pool.filelist import FileEntry, FileListReader
from django_snapshots.pool.index import PoolIndex, load_index
from django_snapshots.pool.layout import PoolPaths, read_config
from django_snapshots.pool.locks import PoolLock
from django_snapshots.pool.options import PoolOptions
from django_snapshots.pool.packs import decode_blob, fetch_pack
from django_snapshots.safetar import TreeWriter
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["ContentReader", "FetchedTree", "check_pool_matches", "fetch_tree"]

_OPEN_PACKS: Final = 32

ContentReader = Callable[[], Iterator[bytes]]
"""Return a fresh iterator over one file's plain content."""


def check_pool_matches(header_pool: str, header_ids: str, options: PoolOptions, what: str) -> None:
    """Raise unless a file list's pool is the one ``options`` designate."""
    if header_pool == options.name:
        return
    if header_ids != "sha256" or options.ids.name != "sha256":
        raise SnapshotEncryptionError(
            f"{what} refers to pool {header_pool!r}, but the configured key and codec "
            f"give pool {options.name!r}; configure the key that wrote it"
        )
    raise SnapshotIntegrityError(
        f"{what} refers to pool {header_pool!r}, not {options.name!r} (another pool codec)"
    )


class FetchedTree:
    """A file list whose content is cached locally and verified."""

    def __init__(
        self, file_list: Path, index: PoolIndex, cache: Path, options: PoolOptions
    ) -> None:
        """Serve ``file_list``'s content from the packs cached in ``cache``."""
        self.file_list: Path = file_list
        self.index: PoolIndex = index
        self.cache: Path = cache
        self.options: PoolOptions = options
        self._open: OrderedDict[int, IO[bytes]] = OrderedDict()

    def _pack(self, number: int) -> IO[bytes]:
        handle = self._open.get(number)
        if handle is not None:
            self._open.move_to_end(number)
            return handle
        if len(self._open) >= _OPEN_PACKS:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        handle = self._open[number] = (self.cache / self.index.locations.packs[number]).open("rb")
        return handle

    def content(self, entry: FileEntry) -> Iterator[bytes]:
        """Yield the plain content of the file ``entry``, chunk by verified chunk."""
        for blob_id in entry.ids:
            location = self.index.locations.get(bytes.fromhex(blob_id))
            if location is None:  # pragma: no cover - fetch_tree checked every id
                raise SnapshotNotFoundError(f"pool content {blob_id} of {entry.path!r} is missing")
            handle = self._pack(location.pack)
            handle.seek(location.offset)
            data = handle.read(location.length)
            key = (blob_id, location.length, location.plain_length, location.flags)
            try:
                yield decode_blob(self.options.ids, key, data)
            except SnapshotIntegrityError as error:
                raise SnapshotIntegrityError(f"media file {entry.path!r}: {error}") from None

    def entries(self) -> Iterator[tuple[FileEntry, ContentReader | None]]:
        """Yield every entry of the file list with a content reader for files."""
        with self.file_list.open("rb") as stream:
            for entry in FileListReader(stream):
                if entry.kind == "file":
                    yield entry, _bind(self.content, entry)
                else:
                    yield entry, None

    def files(self) -> Iterator[tuple[str, int, ContentReader]]:
        """Yield ``(path, size, content reader)`` for every file (directories, links skipped)."""
        for entry, content in self.entries():
            if content is not None:
                yield entry.path, entry.size, content

    def materialize(self, dest: Path) -> None:
        """Create the whole tree inside the empty directory ``dest`` (modes, times, links)."""
        writer = TreeWriter(dest, "media file list entry")
        for entry, content in self.entries():
            parts = tuple(entry.path.split("/"))
            if entry.kind == "dir":
                mode = entry.mode if entry.mode is not None else 0o755
                writer.directory(parts, mode, entry.mtime_ns, entry.path)
            elif entry.kind == "link":
                writer.symlink(parts, entry.target or "", entry.path)
            else:
                assert content is not None
                mode = entry.mode if entry.mode is not None else 0o644
                size = writer.file(parts, content(), mode, entry.mtime_ns, entry.path)
                if size != entry.size:
                    raise SnapshotIntegrityError(
                        f"media file {entry.path!r} has {size} bytes, its entry says {entry.size}"
                    )
        writer.finish()

    def close(self) -> None:
        """Close the cached packs."""
        for handle in self._open.values():
            handle.close()
        self._open.clear()


def _bind(read: Callable[[FileEntry], Iterator[bytes]], entry: FileEntry) -> ContentReader:
    return lambda: read(entry)


def _needed_packs(file_list: Path, index: PoolIndex, what: str) -> list[int]:
    """Return the pack numbers the file list needs, in first-use order; refuse missing ids."""
    needed: dict[int, None] = {}
    with file_list.open("rb") as stream:
        for entry in FileListReader(stream, what):
            for blob_id in entry.ids:
                location = index.locations.get(bytes.fromhex(blob_id))
                if location is None:
                    raise SnapshotNotFoundError(
                        f"{what}: the content of {entry.path!r} is missing from the pool "
                        f"(content id {blob_id})"
                    )
                needed.setdefault(location.pack)
    return list(needed)


@contextmanager
def fetch_tree(
    storage: SnapshotStorage,
    options: PoolOptions,
    file_list: Path,
    *,
    what: str = "media file list",
    workers: int = 4,
) -> Generator[FetchedTree, None, None]:
    """Fetch and verify every pack ``file_list`` needs; yield the tree to restore from.

    Raise :class:`SnapshotNotFoundError` for content missing from the pool and
    :class:`SnapshotIntegrityError` for a corrupt pack, before yielding.
    """
    with file_list.open("rb") as stream:
        header = FileListReader(stream, what).header
    check_pool_matches(header.pool, header.ids, options, what)
    paths = PoolPaths(options.name)
    with scratch_folder("pool") as scratch:
        cache = scratch / "packs"
        cache.mkdir()
        with PoolLock(storage, paths, "shared", wait=options.lock_wait):
            exists = read_config(storage, paths) is not None
            index = load_index(storage, paths, options.codec, scratch) if exists else PoolIndex()
            needed = _needed_packs(file_list, index, what)

            def fetch(number: int) -> None:
                pack_id = index.locations.packs[number]
                record = index.pack_record(pack_id)
                fetch_pack(storage, paths, options.codec, record, cache / pack_id, pack_id)

            with ThreadPoolExecutor(max(1, workers), thread_name_prefix="snapshot-fetch") as pool:
                for _ in pool.map(fetch, needed):
                    pass
        tree = FetchedTree(file_list, index, cache, options)
        try:
            yield tree
        finally:
            with contextlib.suppress(OSError):
                tree.close()
