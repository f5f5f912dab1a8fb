"""The pack writer: gathers new blobs into packs, uploads them, and indexes them.

Worker threads hand blobs to :meth:`PackWriter.add`; a pack is sealed once its blobs
reach the pack size and uploaded in the background (at most ``uploads`` at a time, so
local disk and memory stay bounded) while the next one fills. Each uploaded pack's
record goes into an index file that is stored every :data:`INDEX_EVERY` packs and at
:meth:`PackWriter.finish`: a pack is only ever indexed after it is stored.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Final

from django_snapshots.pool.index import IndexBuilder
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.options import PoolOptions
from django_snapshots.pool.packs import BlobRecord, PackBuilder, PackRecord, upload_pack
from django_snapshots.storage.protocols import SnapshotStorage

__all__ = ["INDEX_EVERY", "PackWriter"]

INDEX_EVERY: Final = 256
"""Packs per index file written during a backup (about 4 GiB of content)."""


class PackWriter:
    """Pack, upload and index blobs for one backup or one garbage collection."""

    def __init__(
        self,
        storage: SnapshotStorage,
        paths: PoolPaths,
        options: PoolOptions,
        scratch: Path,
        *,
        uploads: int = 2,
    ) -> None:
        """Write packs of ``paths``'s pool, staging them in ``scratch``."""
        self.storage: SnapshotStorage = storage
        self.paths: PoolPaths = paths
        self.options: PoolOptions = options
        self.scratch: Path = scratch
        self.packs: int = 0
        """Packs stored so far."""
        self.stored_bytes: int = 0
        """Bytes of packs stored so far (after the codec)."""
        self.index_files: list[str] = []
        """Storage paths of the index files written."""
        self._lock = threading.Lock()
        self._current: PackBuilder | None = None
        self._slots = threading.BoundedSemaphore(uploads)
        self._executor = ThreadPoolExecutor(uploads, thread_name_prefix="snapshot-pool-upload")
        self._pending: list[Future[PackRecord]] = []
        self._index: IndexBuilder | None = None
        self._failure: BaseException | None = None

    def add(self, blob_id: str, plain_length: int, data: bytes, flags: int) -> None:
        """Add one blob's stored bytes to the current pack; seal it when full."""
        with self._lock:
            self._raise_failure()
            if self._current is None:
                self._current = PackBuilder(self.scratch)
            self._current.add(blob_id, plain_length, data, flags)
            if self._current.size < self.options.pack_size:
                return
            sealed, self._current = self._current, None
        self._submit(sealed)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _submit(self, builder: PackBuilder) -> None:
        local = builder.seal()
        blobs = list(builder.blobs)
        self._slots.acquire()
        try:
            future = self._executor.submit(self._upload, local, blobs)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        with self._lock:
            self._pending.append(future)

    def _upload(self, local: Path, blobs: list[BlobRecord]) -> PackRecord:
        try:
            record = upload_pack(self.storage, self.paths, self.options.codec, local, blobs)
        except BaseException as error:
            with self._lock:
                self._failure = self._failure or error
            raise
        finally:
            local.unlink(missing_ok=True)
        with self._lock:
            self.packs += 1
            self.stored_bytes += record.size
            if self._index is None:
                self._index = IndexBuilder(self.scratch)
            self._index.add(record)
            full = self._index if self._index.packs >= INDEX_EVERY else None
            if full is not None:
                self._index = None
        if full is not None:
            self.index_files.append(full.upload(self.storage, self.paths, self.options.codec))
        return record

    def finish(self) -> list[str]:
        """Seal and upload the last pack, store the last index file; return all index files."""
        with self._lock:
            last, self._current = self._current, None
        if last is not None and last.blobs:
            self._submit(last)
        elif last is not None:
            last.discard()
        for future in list(self._pending):
            future.result()
        self._executor.shutdown()
        with self._lock:
            index, self._index = self._index, None
        if index is not None:
            self.index_files.append(index.upload(self.storage, self.paths, self.options.codec))
        return self.index_files

    def abort(self) -> None:
        """Stop: wait for running uploads and drop local files (stored packs stay as debris)."""
        with self._lock:
            last, self._current = self._current, None
        if last is not None:
            last.discard()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._index is not None:
            self._index.discard()
            self._index = None

    def __enter__(self) -> PackWriter:
        """Return the writer."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Abort on an exception (call :meth:`finish` yourself on success)."""
        if exc_type is not None:
            self.abort()
