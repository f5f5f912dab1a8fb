"""Writing, publishing, recovering and deleting a snapshot's files in storage.

A backup writes through a :class:`SnapshotWriter` (:func:`open_writer` picks the
format's): it stores artifact files as they are produced and publishes the snapshot
in :meth:`~SnapshotWriter.commit`, or leaves everything as it was in
:meth:`~SnapshotWriter.abort`.

An overwrite of a directory snapshot stages its new files in ``N/.staging/``; the
staged manifest is the commit point. Publishing deletes the old manifest, moves each
staged file over the old one (``atomic_move`` on the advanced tier, copy then delete
on the basic tier) and moves the staged manifest last. Until the move is over, a
committed staging is itself a readable snapshot (each artifact is read from its staged
copy while that exists, else from its published place), so every crash point leaves
either the old snapshot or the new one readable. The next lock holder of ``N`` rolls
a committed staging forward and removes any uncommitted debris (:func:`recover`).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from typing_extensions import Protocol

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.layout.archive import write_archive
from django_snapshots.layout.paths import (
    LOCK_FOLDER,
    STAGING_FOLDER,
    SnapshotFormat,
    archive_path,
    artifact_path,
    folder_prefix,
    manifest_path,
    staged_manifest_path,
    staged_path,
)
from django_snapshots.layout.reading import Location, read_manifest, recorded_filename
from django_snapshots.manifest import MANIFEST_FILENAME
from django_snapshots.storage.protocols import (
    AdvancedSnapshotStorage,
    MultipartUploadStorage,
    SnapshotStorage,
)
from django_snapshots.streams import iter_chunks

__all__ = [
    "SnapshotWriter",
    "abort_uploads",
    "delete_files",
    "move",
    "open_writer",
    "publish_staged",
    "put",
    "recover",
]


def put(storage: SnapshotStorage, path: str, stream: IO[bytes]) -> None:
    """Store everything readable from ``stream`` at ``path`` (atomically where possible)."""
    if isinstance(storage, AdvancedSnapshotStorage):
        storage.stream_write(path, iter_chunks(stream))
    else:
        storage.write(path, stream)


def move(storage: SnapshotStorage, src: str, dst: str) -> None:
    """Move a stored file: ``atomic_move`` if advanced, else copy then delete."""
    if isinstance(storage, AdvancedSnapshotStorage):
        storage.atomic_move(src, dst)
        return
    with storage.read(src) as stream:
        storage.write(dst, stream)
    storage.delete(src)


def _inside(name: str, path: str) -> str:
    """Return ``path`` relative to snapshot ``name``'s folder."""
    return path[len(folder_prefix(name)) :]


def abort_uploads(storage: SnapshotStorage, name: str) -> None:
    """Abort unfinished uploads of snapshot ``name`` that a killed writer left behind.

    Object stores keep (and bill) the parts of a multipart upload that was never
    completed without listing them. Call only while holding the name's lock.
    """
    if isinstance(storage, MultipartUploadStorage):
        storage.abort_incomplete_uploads(name)
        storage.abort_incomplete_uploads(archive_path(name))


def delete_files(storage: SnapshotStorage, name: str, *, archive: bool = True) -> None:
    """Delete every file of snapshot ``name`` but its lock entries.

    ``archive=False`` keeps ``<name>.tar`` (only the directory format's files go).
    Manifests go first, so an interrupted delete never leaves something that looks
    complete. Lock entries stay for their holders to remove; unfinished uploads go too.
    """
    if archive:
        abort_uploads(storage, name)
    storage.delete(manifest_path(name))
    storage.delete(staged_manifest_path(name))
    if archive:
        storage.delete(archive_path(name))
    for path in storage.list(folder_prefix(name)):
        if not _inside(name, path).startswith(f"{LOCK_FOLDER}/"):
            storage.delete(path)


def publish_staged(storage: SnapshotStorage, name: str) -> None:
    """Roll a committed staging of ``name`` forward into ``name/`` (idempotent).

    Does nothing when no staged manifest exists. Call only while holding the lock.
    """
    staged_manifest = staged_manifest_path(name)
    if not storage.exists(staged_manifest):
        return
    snapshot = read_manifest(storage, Location(name, "directory", staged=True))
    storage.delete(manifest_path(name))
    wanted = {MANIFEST_FILENAME}
    for record in snapshot.artifacts:
        filename = recorded_filename(record.filename, name)
        wanted.add(filename)
        source = staged_path(name, filename)
        if storage.exists(source):
            move(storage, source, artifact_path(name, filename))
    move(storage, staged_manifest, manifest_path(name))
    for path in storage.list(folder_prefix(name)):
        rest = _inside(name, path)
        if rest not in wanted and not rest.startswith(f"{LOCK_FOLDER}/"):
            storage.delete(path)


def recover(storage: SnapshotStorage, name: str) -> None:
    """Bring ``name`` to a clean state after a killed backup; call while holding the lock.

    A committed staging is published; uncommitted staged files are removed; so are
    the files of a directory snapshot whose manifest was never written, and uploads a
    killed backup never finished.
    """
    abort_uploads(storage, name)
    try:
        publish_staged(storage, name)
    except SnapshotIntegrityError:
        # A staged manifest that cannot be read was never a valid commit.
        storage.delete(staged_manifest_path(name))
    complete = storage.exists(manifest_path(name))
    for path in storage.list(folder_prefix(name)):
        rest = _inside(name, path)
        if rest.startswith(f"{LOCK_FOLDER}/") or rest == MANIFEST_FILENAME:
            continue
        if rest.startswith(f"{STAGING_FOLDER}/") or not complete:
            storage.delete(path)


class SnapshotWriter(Protocol):
    """Stores one new snapshot's files and publishes them; call only while holding its lock."""

    def put(self, filename: str, stream: IO[bytes]) -> None:
        """Store everything readable from ``stream`` as artifact ``filename`` (thread-safe)."""
        ...

    def commit(self, manifest: bytes, filenames: Sequence[str]) -> None:
        """Publish the snapshot: ``manifest`` and the artifacts ``filenames``, in that order."""
        ...

    def abort(self) -> None:
        """Undo what was written, leaving any previous snapshot of the name as it was."""
        ...


class _DirectoryWriter:
    """Writes ``N/`` directly, or stages in ``N/.staging/`` when a directory ``N`` exists."""

    def __init__(self, storage: SnapshotStorage, name: str, previous: Sequence[Location]) -> None:
        self.storage = storage
        self.name = name
        self.staged = any(location.format == "directory" for location in previous)
        self.replaces_archive = any(location.format == "archive" for location in previous)

    def _path(self, filename: str) -> str:
        if self.staged:
            return staged_path(self.name, filename)
        return artifact_path(self.name, filename)

    def put(self, filename: str, stream: IO[bytes]) -> None:
        put(self.storage, self._path(filename), stream)

    def commit(self, manifest: bytes, filenames: Sequence[str]) -> None:
        # The manifest last: it is the commit point; publishing then replaces the old files.
        put(self.storage, self._path(MANIFEST_FILENAME), io.BytesIO(manifest))
        publish_staged(self.storage, self.name)
        if self.replaces_archive:
            self.storage.delete(archive_path(self.name))

    def abort(self) -> None:
        recover(self.storage, self.name)


class _ArchiveWriter:
    """Keeps artifact files in scratch, then streams ``N.tar`` with the manifest first."""

    def __init__(
        self, storage: SnapshotStorage, name: str, previous: Sequence[Location], scratch: Path
    ) -> None:
        self.storage = storage
        self.name = name
        self.scratch = scratch
        self.replaces_directory = any(location.format == "directory" for location in previous)
        self._files: dict[str, Path] = {}
        self._guard = threading.Lock()

    def put(self, filename: str, stream: IO[bytes]) -> None:
        local = self.scratch / filename
        with open(local, "wb") as out:
            for chunk in iter_chunks(stream):
                out.write(chunk)
        with self._guard:
            self._files[filename] = local

    def commit(self, manifest: bytes, filenames: Sequence[str]) -> None:
        files = [(filename, self._files[filename]) for filename in filenames]
        write_archive(self.storage, self.name, manifest, files)
        if self.replaces_directory:
            delete_files(self.storage, self.name, archive=False)

    def abort(self) -> None:
        recover(self.storage, self.name)


def open_writer(
    storage: SnapshotStorage,
    name: str,
    snapshot_format: SnapshotFormat,
    previous: Sequence[Location],
    scratch: Path,
) -> SnapshotWriter:
    """Return the writer of a new snapshot ``name`` replacing the ``previous`` copies.

    ``scratch`` is a private folder the archive format keeps its files in until commit.
    """
    if snapshot_format == "directory":
        return _DirectoryWriter(storage, name, previous)
    return _ArchiveWriter(storage, name, previous, scratch)
