"""The default storage backend: a folder on the local file system (advanced tier).

Every path is confined to the backend's location: relative paths only, no ``..``,
and no symlink that resolves outside the location (see :mod:`._paths` for the path
rules). Writes go to a hidden temporary file in the target folder, are flushed to
disk and renamed over the target, so readers and crashes see either the old file or
the complete new one. Stale temporary files left by a crash are never listed.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import IO, Final

from django_snapshots.exceptions import (
    SnapshotNotFoundError,
    SnapshotPathError,
    SnapshotStorageError,
)
from django_snapshots.storage._paths import (
    CHUNK_SIZE,
    TEMP_PREFIX,
    check_folder,
    check_path,
    check_prefix,
    fsync_path,
    replace_file,
    walk_prefix,
)

__all__ = ["LocalFileSystemBackend"]

_FOLDER_MODE: Final = 0o700
_CREATE_ATTEMPTS: Final = 3


def _read_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """Yield ``stream`` in :data:`CHUNK_SIZE` pieces, closing it at the end."""
    with stream:
        yield from iter(partial(stream.read, CHUNK_SIZE), b"")


class LocalFileSystemBackend:
    """Store snapshots in a folder, created on demand (files ``0600``, folders ``0700``).

    Writes create the location; reads, listings and ``exists`` never do, and raise
    :class:`~django_snapshots.SnapshotStorageError` when it does not exist.
    """

    def __init__(self, location: str | os.PathLike[str]) -> None:
        """Use ``location`` (made absolute now) as the storage root."""
        self.location: Path = Path(os.path.abspath(location))
        """The storage root; every stored path lives below it."""

    def __repr__(self) -> str:
        """Return ``LocalFileSystemBackend('<location>')``."""
        return f"{type(self).__name__}({str(self.location)!r})"

    # -- path confinement -------------------------------------------------------

    def _root(self) -> Path:
        """Return the location with every symlink resolved."""
        return Path(os.path.realpath(self.location))

    def _existing_root(self) -> Path:
        """Return :meth:`_root`, raising :class:`SnapshotStorageError` if it is not a folder.

        Reads call this: a mistyped location must not look like an empty storage,
        and nothing is created on a read.
        """
        root = self._root()
        if not root.is_dir():
            what = "is not a folder" if root.exists() else "does not exist"
            raise SnapshotStorageError(f"storage location {str(self.location)!r} {what}")
        return root

    def _holds_location(self, folder: Path) -> bool:
        """Return True if ``folder`` is the location or one of its parents."""
        return any(
            folder == root or root.is_relative_to(folder) for root in (self.location, self._root())
        )

    def _cannot_create(self, folder: Path, path: str, error: OSError) -> SnapshotStorageError:
        """Return the error for a folder that could not be created while writing ``path``."""
        reason = error.strerror or type(error).__name__
        if self._holds_location(folder):
            return SnapshotStorageError(
                f"cannot create storage location {str(self.location)!r}: {reason}"
            )
        return SnapshotStorageError(
            f"cannot create the folder for storage path {path!r} in "
            f"{str(self.location)!r}: {reason}"
        )

    def _confine(self, root: Path, relative: str, original: str) -> Path:
        """Return ``root/relative`` resolved, if it lies inside ``root``."""
        candidate = root.joinpath(*relative.split("/")) if relative else root
        resolved = Path(os.path.realpath(candidate))
        if resolved != root and not resolved.is_relative_to(root):
            raise SnapshotPathError(
                f"storage path {original!r} resolves outside {str(self.location)!r} "
                "through a symlink"
            )
        return resolved

    def _target(self, path: str) -> Path:
        """Return the file system path of a storage path, refusing escapes."""
        root = self._root()
        resolved = self._confine(root, check_path(path), path)
        if resolved == root:
            raise SnapshotPathError(f"storage path {path!r} resolves to the storage root")
        return resolved

    def _make_folders(self, folder: Path, path: str) -> None:
        """Create ``folder`` and its missing parents with mode ``0700``."""
        missing: builtins.list[Path] = []
        current = folder
        while not current.is_dir():
            # Re-check is_dir: a concurrent writer may have just created the folder.
            if (current.exists() or current.is_symlink()) and not current.is_dir():
                if self._holds_location(current):
                    raise SnapshotStorageError(
                        f"cannot create storage location {str(self.location)!r}: "
                        f"{str(current)!r} is a file, not a folder"
                    )
                raise SnapshotPathError(
                    f"storage path {path!r} needs a folder where a file is: {str(current)!r}"
                )
            missing.append(current)
            current = current.parent
        for created in reversed(missing):
            try:
                os.mkdir(created, _FOLDER_MODE)
            except FileExistsError:
                pass
            except OSError as error:
                raise self._cannot_create(created, path, error) from None
            fsync_path(created.parent)

    def _prune_folders(self, folder: Path) -> None:
        """Remove ``folder`` and its parents while empty, stopping at the root."""
        root = self._root()
        while folder != root and folder.is_relative_to(root):
            try:
                os.rmdir(folder)
            except OSError:
                return
            folder = folder.parent

    def _store(self, path: str, chunks: Iterable[bytes]) -> None:
        """Write ``chunks`` to ``path`` atomically: temp file, fsync, rename, fsync folder."""
        target = self._target(path)
        folder = target.parent
        for attempt in range(_CREATE_ATTEMPTS):
            self._make_folders(folder, path)
            try:
                fd, temporary = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
                break
            except FileNotFoundError:
                # A concurrent delete pruned the folder between mkdir and mkstemp.
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise
            except PermissionError as error:
                raise SnapshotStorageError(
                    f"cannot write storage path {path!r} in {str(self.location)!r}: "
                    f"{error.strerror}"
                ) from None
        else:  # pragma: no cover - the loop either breaks or raises
            raise AssertionError("unreachable")
        # mkstemp creates the file with mode 0600 whatever the umask.
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        replace_file(temporary, target, path)

    def _listdir(
        self, root: Path, folder: str
    ) -> tuple[builtins.list[str], builtins.list[str]] | None:
        """Return ``(folders, files)`` inside ``folder``; symlinked folders are not entered."""
        directory = root.joinpath(*folder.split("/")) if folder else root
        folders: builtins.list[str] = []
        files: builtins.list[str] = []
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.name)
                    elif entry.is_file(follow_symlinks=False):
                        files.append(entry.name)
                    elif entry.is_symlink():
                        resolved = Path(os.path.realpath(entry.path))
                        if resolved.is_relative_to(root) and resolved.is_file():
                            files.append(entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return folders, files

    # -- basic tier ---------------------------------------------------------------

    def read(self, path: str) -> IO[bytes]:
        """Open ``path`` for binary reading; the caller closes the stream."""
        target = self._target(path)
        self._existing_root()
        try:
            return open(target, "rb", buffering=CHUNK_SIZE)
        except (FileNotFoundError, NotADirectoryError):
            raise SnapshotNotFoundError(f"no file at storage path {path!r}") from None
        except IsADirectoryError:
            raise SnapshotNotFoundError(f"storage path {path!r} is a folder, not a file") from None

    def write(self, path: str, content: IO[bytes]) -> None:
        """Store everything readable from ``content`` at ``path`` atomically, in chunks."""
        self._store(path, iter(partial(content.read, CHUNK_SIZE), b""))

    def list(self, prefix: str) -> builtins.list[str]:
        """Return every stored file path that starts with ``prefix``, sorted."""
        check_prefix(prefix)
        root = self._existing_root()
        start = prefix.rpartition("/")[0]
        if start:
            self._confine(root, start, prefix)
        return walk_prefix(prefix, partial(self._listdir, root))

    def delete(self, path: str) -> None:
        """Delete the file at ``path`` (a missing file is fine) and prune empty folders."""
        target = self._target(path)
        try:
            os.unlink(target)
        except (FileNotFoundError, NotADirectoryError):
            return
        except IsADirectoryError:
            raise SnapshotPathError(f"storage path {path!r} names a folder, not a file") from None
        except PermissionError:
            if target.is_dir():
                raise SnapshotPathError(
                    f"storage path {path!r} names a folder, not a file"
                ) from None
            raise
        fsync_path(target.parent)
        self._prune_folders(target.parent)

    def exists(self, path: str) -> bool:
        """Return True if a file is stored at ``path``."""
        target = self._target(path)
        self._existing_root()
        return target.is_file()

    # -- advanced tier ------------------------------------------------------------

    def stream_read(self, path: str) -> Iterator[bytes]:
        """Yield the bytes at ``path`` in 1 MiB chunks; a missing file raises at once."""
        return _read_chunks(self.read(path))

    def stream_write(self, path: str, chunks: Iterator[bytes]) -> None:
        """Store the concatenated ``chunks`` at ``path`` atomically."""
        self._store(path, chunks)

    def atomic_move(self, src: str, dst: str) -> None:
        """Rename the file ``src`` to ``dst`` in one step, replacing ``dst``."""
        source = self._target(src)
        target = self._target(dst)
        self._existing_root()
        if not source.is_file():
            raise SnapshotNotFoundError(f"no file at storage path {src!r} to move")
        if source == target:
            return
        self._make_folders(target.parent, dst)
        try:
            os.replace(source, target)
        except IsADirectoryError:
            raise SnapshotPathError(f"storage path {dst!r} names a folder") from None
        fsync_path(target.parent)
        if source.parent != target.parent:
            fsync_path(source.parent)
            self._prune_folders(source.parent)

    def recursive_list(self, prefix: str) -> builtins.list[str]:
        """Return every file below the folder ``prefix`` (``"a"`` or ``"a/"``; ``""``: all)."""
        folder = check_folder(prefix)
        return self.list(f"{folder}/" if folder else "")

    def sync(self, src_prefix: str, dst_prefix: str) -> None:
        """Copy every file below folder ``src_prefix`` to the same place below ``dst_prefix``.

        Both are folders (a trailing ``/`` is optional, ``""`` is the root). Each copy
        is an atomic write; files already below ``dst_prefix`` but not in the source
        are left alone.
        """
        source = check_folder(src_prefix)
        destination = check_folder(dst_prefix)
        root = self._root()
        self._confine(root, destination, dst_prefix)
        for path in self.recursive_list(source):
            relative = path[len(source) + 1 :] if source else path
            copy = f"{destination}/{relative}" if destination else relative
            if copy == path:
                continue
            self._store(copy, _read_chunks(self.read(path)))
