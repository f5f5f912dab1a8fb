"""Read a tree back from the pool and stream its files, every chunk verified.

:func:`fetch_tree` takes a ``shared`` pool lock (held until the tree is closed, so no
garbage collection moves a pack meanwhile), reads the index and checks that every
content id of the file list is indexed, so missing content is reported before anything
is restored. Packs are then read in one of two ways:

* **direct**: when the pool codec is the identity and the storage hands back seekable
  streams (a local disk), blobs are read in place, with no copy;
* **cached**: otherwise each needed pack is downloaded once, in parallel, into a local
  cache, its stored size and sha256 checked, in the order the file list needs them;
  the tree is served as packs arrive, or only once all have arrived and been
  checked (``prefetch_all``, for targets that cannot stage a restore).

:meth:`FetchedTree.entries` yields the file list's entries with a stream of each file's
content; every chunk is checked against its content id as it is read.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final, cast

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
_READ_AHEAD: Final = 8
"""Chunks (at most a chunk size each) decoded ahead of the writer."""

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


class _Packs:
    """Open packs by number: in place (direct) or from the local cache."""

    def __init__(
        self,
        storage: SnapshotStorage,
        paths: PoolPaths,
        options: PoolOptions,
        index: PoolIndex,
        cache: Path | None,
    ) -> None:
        self.storage = storage
        self.paths = paths
        self.options = options
        self.index = index
        self.cache = cache
        self.futures: dict[int, Future[None]] = {}
        self._open: OrderedDict[int, IO[bytes]] = OrderedDict()

    def fetch(self, number: int) -> None:
        """Download pack ``number`` into the cache, verified."""
        assert self.cache is not None
        pack_id = self.index.locations.packs[number]
        record = self.index.pack_record(pack_id)
        fetch_pack(
            self.storage, self.paths, self.options.codec, record, self.cache / pack_id, pack_id
        )

    def open(self, number: int) -> IO[bytes]:
        """Return a seekable stream of the decoded pack ``number`` (kept open, LRU)."""
        handle = self._open.get(number)
        if handle is not None:
            self._open.move_to_end(number)
            return handle
        if len(self._open) >= _OPEN_PACKS:
            _, oldest = self._open.popitem(last=False)
            oldest.close()
        pack_id = self.index.locations.packs[number]
        if self.cache is None:
            handle = self.storage.read(self.paths.pack(pack_id))
        else:
            self.futures[number].result()
            handle = (self.cache / pack_id).open("rb")
        self._open[number] = handle
        return handle

    def close(self) -> None:
        """Close every open pack."""
        for handle in self._open.values():
            with contextlib.suppress(OSError):
                handle.close()
        self._open.clear()


class FetchedTree:
    """A file list whose content can be read from the pool, chunk by verified chunk."""

    def __init__(self, file_list: Path, packs: _Packs) -> None:
        """Serve ``file_list``'s content from ``packs``."""
        self.file_list: Path = file_list
        self.index: PoolIndex = packs.index
        self.options: PoolOptions = packs.options
        self.direct: bool = packs.cache is None
        """True when blobs are read in place from the storage (no local copy)."""
        self._packs = packs
        self._reading = threading.Lock()

    def content(self, entry: FileEntry) -> Iterator[bytes]:
        """Yield the plain content of the file ``entry``, chunk by verified chunk."""
        for blob_id in entry.ids:
            location = self.index.locations.get(bytes.fromhex(blob_id))
            if location is None:  # pragma: no cover - fetch_tree checked every id
                raise SnapshotNotFoundError(f"pool content {blob_id} of {entry.path!r} is missing")
            with self._reading:  # content may be read from several threads at once
                handle = self._packs.open(location.pack)
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

    def read_ahead(self) -> Iterator[tuple[FileEntry, Iterator[bytes] | None]]:
        """Yield entries with their content, read and verified by a thread ahead of use.

        Each file's chunk iterator must be consumed before the next entry is asked for.
        Decoding (reads, zstd, hashing) then overlaps with writing the files.
        """
        items: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=_READ_AHEAD)
        stop = threading.Event()

        def put(item: tuple[str, object]) -> None:
            while not stop.is_set():
                with contextlib.suppress(queue.Full):
                    items.put(item, timeout=0.1)
                    return

        def produce() -> None:
            try:
                for entry, content in self.entries():
                    put(("entry", entry))
                    for chunk in content() if content is not None else ():
                        put(("chunk", chunk))
                    put(("end", None))
                put(("done", None))
            except BaseException as error:  # noqa: BLE001 - re-raised by the consumer
                put(("error", error))

        def chunks() -> Iterator[bytes]:
            while True:
                kind, value = items.get()
                if kind == "error":
                    raise cast("BaseException", value)
                if kind == "end":
                    return
                yield cast("bytes", value)

        worker = threading.Thread(target=produce, name="snapshot-read-ahead", daemon=True)
        worker.start()
        try:
            while True:
                kind, value = items.get()
                if kind == "error":
                    raise cast("BaseException", value)
                if kind == "done":
                    return
                entry = cast("FileEntry", value)
                if entry.kind == "file":
                    yield entry, chunks()
                else:
                    for _ in chunks():
                        pass
                    yield entry, None
        finally:
            stop.set()
            worker.join()

    def materialize(self, dest: Path) -> None:
        """Create the whole tree inside the empty directory ``dest`` (modes, times, links)."""
        writer = TreeWriter(dest, "media file list entry")
        for entry, content in self.read_ahead():
            parts = tuple(entry.path.split("/"))
            if entry.kind == "dir":
                mode = entry.mode if entry.mode is not None else 0o755
                writer.directory(parts, mode, entry.mtime_ns, entry.path)
            elif entry.kind == "link":
                writer.symlink(parts, entry.target or "", entry.path)
            else:
                assert content is not None
                mode = entry.mode if entry.mode is not None else 0o644
                size = writer.file(parts, content, mode, entry.mtime_ns, entry.path)
                if size != entry.size:
                    raise SnapshotIntegrityError(
                        f"media file {entry.path!r} has {size} bytes, its entry says {entry.size}"
                    )
        writer.finish()

    def close(self) -> None:
        """Close the packs opened so far."""
        self._packs.close()


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


def _seekable_packs(
    storage: SnapshotStorage, paths: PoolPaths, index: PoolIndex, first: int
) -> bool:
    """Return True if packs can be read in place: the storage's streams are seekable."""
    try:
        with storage.read(paths.pack(index.locations.packs[first])) as stream:
            return bool(stream.seekable())
    except (SnapshotNotFoundError, OSError, AttributeError, ValueError):
        return False


@contextmanager
def fetch_tree(
    storage: SnapshotStorage,
    options: PoolOptions,
    file_list: Path,
    *,
    what: str = "media file list",
    prefetch_all: bool = False,
    workers: int = 4,
) -> Generator[FetchedTree, None, None]:
    """Yield the tree of ``file_list``, its content readable from the pool (see above).

    Raise :class:`SnapshotNotFoundError` for content missing from the pool before
    yielding; with ``prefetch_all``, also :class:`SnapshotIntegrityError` for a corrupt
    pack (otherwise that surfaces while the content is read).
    """
    with file_list.open("rb") as stream:
        header = FileListReader(stream, what).header
    check_pool_matches(header.pool, header.ids, options, what)
    paths = PoolPaths(options.name)
    with (
        scratch_folder("pool") as scratch,
        PoolLock(storage, paths, "shared", wait=options.lock_wait),
        ThreadPoolExecutor(max(1, workers), thread_name_prefix="snapshot-fetch") as pool,
    ):
        exists = read_config(storage, paths) is not None
        index = load_index(storage, paths, options.codec, scratch) if exists else PoolIndex()
        needed = _needed_packs(file_list, index, what)
        direct = (
            not prefetch_all
            and options.codec.name == "identity"
            and bool(needed)
            and _seekable_packs(storage, paths, index, needed[0])
        )
        packs = _Packs(storage, paths, options, index, None if direct else scratch / "packs")
        if packs.cache is not None:
            packs.cache.mkdir()
            packs.futures = {number: pool.submit(packs.fetch, number) for number in needed}
            if prefetch_all:
                for future in packs.futures.values():
                    future.result()
        tree = FetchedTree(file_list, packs)
        try:
            yield tree
        finally:
            for future in packs.futures.values():
                future.cancel()
            tree.close()
