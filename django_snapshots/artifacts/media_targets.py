"""Restoring media into a Django storage, with every change undone on failure.

A storage cannot rename, so a restore cannot stage and swap as the directory importer
does. :class:`StorageMediaTarget` instead keeps a local copy of every file it is about
to overwrite or delete, in a journal, and undoes the journal in reverse if anything
fails: the storage ends with exactly the snapshot's files or exactly its old ones. In
order:

1. every incoming path is checked (as strictly as tar members) and must come in
   canonical order, before anything is written;
2. each snapshot file is written through the storage API, unless an existing file of
   the same size already has the same content (nothing is written then); which files
   exist is learnt from one walk of the storage's names, and several files are
   written at a time;
3. in ``replace`` mode only, once all new content is in place, every stored file the
   snapshot does not have (found by names alone, no stats) is deleted;
4. on failure, written files are deleted or put back from their copies, deleted files
   are written back. If even that fails, the copies are kept in a folder the error
   names.

A process killed midway (SIGKILL) cannot undo: run the restore again.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.core.files.base import File
from django.core.files.storage import Storage

from django_snapshots.artifacts.directory import RestoreMode
from django_snapshots.artifacts.media_sources import StorageMediaSource, resolve_storage
from django_snapshots.artifacts.media_workers import (
    DEFAULT_STORAGE_WORKERS,
    media_file_error,
    ordered_map,
)
from django_snapshots.exceptions import SnapshotError, SnapshotIntegrityError
from django_snapshots.pool.filelist import path_key
from django_snapshots.safetar import tree_path_parts
from django_snapshots.scratch import scratch_folder
from django_snapshots.storage._paths import TEMP_PREFIX
from django_snapshots.streams import CHUNK_SIZE, IteratorReader, binary, iter_chunks

__all__ = ["IncomingFile", "StorageMediaTarget", "StorageRestoreStats"]

IncomingFile = tuple[str, int, Callable[[], Iterator[bytes]]]
"""``(path, size, content)``: one snapshot file; ``content()`` yields its bytes afresh."""


@dataclass
class StorageRestoreStats:
    """What a restore into a storage changed."""

    written: int = 0
    unchanged: int = 0
    """Files already holding the snapshot's content (not written)."""
    deleted: int = 0


def _same_content(local: Path, incoming: Iterator[bytes]) -> bool:
    """Return True if the file ``local`` holds exactly the bytes ``incoming`` yields."""
    with local.open("rb") as old:
        for chunk in incoming:
            if old.read(len(chunk)) != chunk:
                return False
        return old.read(1) == b""


if TYPE_CHECKING:
    _BytesFile = File[bytes]
else:  # Django's File is generic only in its type stubs.
    _BytesFile = File


class _ChunkFile(_BytesFile):
    """A Django ``File`` over a stream of unknown size, always read in chunks."""

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield the rest of the stream."""
        stream = self.file
        if stream is not None:
            yield from iter_chunks(stream, chunk_size or CHUNK_SIZE)

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        """Return True: the size is not known in advance."""
        return True


class _Journal:
    """Changes made so far, on disk so a large restore costs no memory (thread-safe)."""

    def __init__(self, folder: Path, read: Callable[[str], IO[bytes]]) -> None:
        self.folder = folder
        self.path = folder / "journal"
        self._read = read
        self._out: IO[str] = self.path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self.copies = 0

    def keep(self, path: str) -> Path:
        """Copy the stored file ``path`` into the folder; return the copy."""
        with self._lock:
            self.copies += 1
            copy = self.folder / f"old-{self.copies}"
        with self._read(path) as source, copy.open("wb") as out:
            for chunk in iter_chunks(source, CHUNK_SIZE):
                out.write(chunk)
        return copy

    def record(self, action: str, path: str, copy: Path | None) -> None:
        with self._lock:
            self._out.write(json.dumps([action, path, copy.name if copy else None]) + "\n")
            self._out.flush()

    def entries(self) -> list[tuple[str, str, Path | None]]:
        self._out.close()
        lines = self.path.read_text(encoding="utf-8").splitlines()
        found: list[tuple[str, str, Path | None]] = []
        for line in lines:
            action, path, copy = json.loads(line)
            found.append((action, path, self.folder / copy if copy else None))
        return found


class _SortedNames:
    """Membership in a stream of paths in canonical order, asked in canonical order."""

    def __init__(self, names: Iterator[str]) -> None:
        self._names = names
        self._current: tuple[tuple[str, ...], str] | None = None
        self._advance()

    def _advance(self) -> None:
        name = next(self._names, None)
        self._current = None if name is None else (path_key(name), name)

    def __contains__(self, path: str) -> bool:
        key = path_key(path)
        while self._current is not None and self._current[0] < key:
            self._advance()
        return self._current is not None and self._current[1] == path


class StorageMediaTarget:
    """Restore media files into a Django storage (by ``STORAGES`` alias or instance).

    Which snapshot files already exist is learnt from one walk of the storage's names
    (``listdir``), beside the incoming files; files are compared, written and deleted
    ``workers`` at a time (see :mod:`.media_workers`). Into an unmodified
    django-storages ``S3Storage``, small files are written with one ``put_object``
    and stored files read with one ``get_object`` (:mod:`.media_s3`).
    """

    def __init__(
        self,
        storage: Storage | str,
        mode: RestoreMode = "replace",
        *,
        workers: int = DEFAULT_STORAGE_WORKERS,
        fast: bool = True,
    ) -> None:
        """Restore into ``storage``, replacing (default) or merging.

        ``fast=False`` uses the ``Storage`` API only, even for an ``S3Storage``.
        """
        self.storage: Storage
        self.alias: str | None
        self.storage, self.alias = resolve_storage(storage)
        self.mode: RestoreMode = mode
        self.workers: int = workers
        self._source = StorageMediaSource(self.storage, workers=workers, fast=fast)

    @property
    def name(self) -> str:
        """Return the storage's alias or class name, for messages."""
        return self.alias or type(self.storage).__name__

    def _check(self, files: Iterable[IncomingFile]) -> None:
        last: tuple[str, ...] | None = None
        for path, _, _ in files:
            parts = tree_path_parts(path, "media file")
            if "/".join(parts) != path or any(part.startswith(TEMP_PREFIX) for part in parts):
                raise SnapshotIntegrityError(f"media file {path!r} is not a plain relative path")
            key = path_key(path)
            if last is not None and key <= last:
                raise SnapshotIntegrityError(f"media file {path!r} is out of order or repeated")
            last = key

    def restore(self, files: Callable[[], Iterator[IncomingFile]]) -> StorageRestoreStats:
        """Make the storage hold the files ``files()`` yields (canonical order, re-iterable)."""
        self._check(files())
        stats = StorageRestoreStats()
        with scratch_folder("media") as scratch:
            journal = _Journal(scratch, self._source.open)
            try:
                self._write(files(), journal, stats)
                if self.mode == "replace":
                    self._delete_others(files(), journal, stats)
            except BaseException as error:
                self._undo(journal, error)
                raise
        return stats

    def _put(self, path: str, chunks: Iterator[bytes], existed: bool, size: int) -> None:
        """Store ``chunks`` at ``path`` (the old file, if any, has been copied aside)."""
        s3 = self._source.s3
        if s3 is not None and s3.fast_writes and size < s3.put_limit:
            data = b"".join(chunks)
            if s3.put(path, data):
                return
            chunks = iter((data,))
        if existed and self.storage.get_available_name(path) != path:
            self.storage.delete(path)
        stream = binary(IteratorReader(chunks))
        saved = self.storage.save(path, _ChunkFile(stream, name=path))
        if saved != path:
            self.storage.delete(saved)
            raise SnapshotError(
                f"storage {self.name!r} stored media file {path!r} as {saved!r} "
                "(another writer created it meanwhile)"
            )

    def _write_one(self, journal: _Journal, item: tuple[IncomingFile, bool]) -> bool:
        """Write one snapshot file unless it is already right; return True if written."""
        (path, size, content), existed = item
        try:
            copy: Path | None = None
            if existed:
                copy = journal.keep(path)
                if copy.stat().st_size == size and _same_content(copy, content()):
                    copy.unlink()
                    return False
            journal.record("replaced" if copy else "created", path, copy)
            self._put(path, content(), existed, size)
        except SnapshotError:
            raise
        except Exception as error:
            raise media_file_error("writing", path, self.name, error) from error
        return True

    def _write(
        self, files: Iterator[IncomingFile], journal: _Journal, stats: StorageRestoreStats
    ) -> None:
        stored = _SortedNames(self._source.names())
        items = ((item, item[0] in stored) for item in files)
        for written in ordered_map(partial(self._write_one, journal), items, workers=self.workers):
            if written:
                stats.written += 1
            else:
                stats.unchanged += 1

    def _delete_one(self, journal: _Journal, path: str) -> None:
        try:
            copy = journal.keep(path)
            journal.record("deleted", path, copy)
            self.storage.delete(path)
        except Exception as error:
            raise media_file_error("deleting", path, self.name, error) from error

    def _delete_others(
        self, files: Iterator[IncomingFile], journal: _Journal, stats: StorageRestoreStats
    ) -> None:
        wanted = _SortedNames(path for path, _, _ in files)
        extra = (path for path in self._source.names() if path not in wanted)
        for _ in ordered_map(partial(self._delete_one, journal), extra, workers=self.workers):
            stats.deleted += 1

    def _undo(self, journal: _Journal, cause: BaseException) -> None:
        try:
            for action, path, copy in reversed(journal.entries()):
                if action == "created":
                    if self.storage.exists(path):
                        self.storage.delete(path)
                elif action == "deleted" and self.storage.exists(path):
                    continue  # the delete itself failed: the file is still there
                else:
                    assert copy is not None
                    with copy.open("rb") as old:
                        existed = self.storage.exists(path)
                        self._put(path, iter_chunks(old), existed, copy.stat().st_size)
        except Exception as error:
            kept = Path(tempfile.mkdtemp(prefix="django-snapshots-media-undo-"))
            for item in journal.folder.iterdir():
                os.replace(item, kept / item.name)
            raise SnapshotError(
                f"restoring media into storage {self.name!r} failed ({cause}) and could not "
                f"be undone ({error}); the previous files are kept in {kept}"
            ) from error


def files_of(
    read: Callable[[str], IO[bytes]], entries: Iterable[tuple[str, int]]
) -> Iterator[IncomingFile]:
    """Yield :data:`IncomingFile` items for ``(path, size)`` pairs read with ``read``."""
    for path, size in entries:
        yield path, size, _reader(read, path)


def _reader(read: Callable[[str], IO[bytes]], path: str) -> Callable[[], Iterator[bytes]]:
    def content() -> Iterator[bytes]:
        with read(path) as stream:
            yield from iter_chunks(stream)

    return content
