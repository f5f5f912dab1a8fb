"""Where media comes from: a local directory, or any Django storage (``STORAGES`` alias).

Both are :class:`~django_snapshots.pool.source.TreeSource` objects: they walk their files
in canonical order (a depth-first walk, names sorted, one stat per entry) and open
them. :class:`DirectoryMediaSource` also records modes, inodes, directories and links
that stay inside the tree; :class:`StorageMediaSource` lists the storage with
``listdir`` (which django-storages paginates) and asks ``size`` and
``get_modified_time`` for each file, several files at a time (or, for
django-storages' ``S3Storage``, takes both from the listing: :mod:`.media_s3`). Names
a tar member could not carry (``..``, backslashes, absolute) and in-progress temporary
files are skipped with a warning.
:func:`write_source_tar` archives any source as the media tar.
"""

from __future__ import annotations

import logging
import os
import stat
import tarfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO

from django.core.files.storage import FileSystemStorage, Storage, storages

from django_snapshots.artifacts.media_s3 import S3MediaAccess, s3_access
from django_snapshots.artifacts.media_workers import (
    DEFAULT_STORAGE_WORKERS,
    media_file_error,
    ordered_map,
)
from django_snapshots.exceptions import SnapshotError, SnapshotNotFoundError
from django_snapshots.pool.filelist import FileEntry
from django_snapshots.pool.source import TreeSource
from django_snapshots.safetar import link_target_inside, tree_path_parts
from django_snapshots.storage._paths import TEMP_PREFIX

__all__ = [
    "DirectoryMediaSource",
    "StorageMediaSource",
    "default_media_storage",
    "resolve_storage",
    "storage_identity",
    "write_source_tar",
]

_logger = logging.getLogger(__name__)

_Stats = dict[str, tuple[int, int | None]]
"""A folder listing's ``name: (size, mtime_ns)``, when the listing has them."""


def resolve_storage(storage: Storage | str) -> tuple[Storage, str | None]:
    """Return ``(storage, alias)`` for a ``Storage`` or a ``STORAGES`` alias.

    Raise :class:`~django_snapshots.SnapshotNotFoundError` naming an unknown alias.
    """
    if isinstance(storage, str):
        try:
            return storages[storage], storage
        except Exception as error:  # noqa: BLE001 - Django raises InvalidStorageError
            raise SnapshotNotFoundError(f"no storage {storage!r} in STORAGES: {error}") from None
    return storage, None


def default_media_storage() -> str | None:
    """Return ``"default"`` if ``STORAGES["default"]`` is not a ``FileSystemStorage``, else None.

    The default of ``SNAPSHOTS["MEDIA_STORAGE"]``: media kept in object storage is
    backed up through the storage; media on local disk through ``MEDIA_ROOT`` (None).
    """
    try:
        default = storages["default"]
    except Exception:  # noqa: BLE001 - no usable default storage: keep MEDIA_ROOT
        return None
    return None if isinstance(default, FileSystemStorage) else "default"


def storage_identity(storage: Storage, alias: str | None) -> str:
    """Return what a storage holds, for file list headers and metadata."""
    if alias is not None:
        return f"storage:{alias}"
    kind = type(storage)
    where = getattr(storage, "location", "") or getattr(storage, "bucket_name", "")
    return f"storage:{kind.__module__}.{kind.__qualname__}:{where}"


def _safe_name(name: str, where: str, *, warn: bool = True) -> bool:
    """Return True if a listed name can be a tree path component (warn if it cannot)."""
    if name.startswith(TEMP_PREFIX):
        return False
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name or ":" in name[:2]:
        if warn:
            _logger.warning(
                "not backing up %r in %s: its name cannot be restored safely", name, where
            )
        return False
    return True


class DirectoryMediaSource:
    """The files of a local directory (a missing directory is an empty tree)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        """Walk ``directory`` (a link to a directory is followed, once)."""
        self.directory: Path = Path(directory)
        self.root: Path = Path(os.path.realpath(self.directory))
        self.identity: str = f"directory:{self.root}"
        self.has_inodes: bool = True

    def walk(self) -> Iterator[FileEntry]:
        """Yield every file, directory and inner relative link, depth first, names sorted."""
        if not self.root.is_dir():
            return
        real_root = str(self.root)
        stack: list[tuple[str, str, Iterator[str]]] = [
            (real_root, "", iter(sorted(os.listdir(real_root))))
        ]
        while stack:
            folder, prefix, names = stack[-1]
            name = next(names, None)
            if name is None:
                stack.pop()
                continue
            if not _safe_name(name, folder):
                continue
            path, relative = os.path.join(folder, name), prefix + name
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            mode, mtime = st.st_mode & 0o7777, st.st_mtime_ns
            if stat.S_ISREG(st.st_mode):
                yield FileEntry(relative, "file", st.st_size, mode & 0o777, mtime, st.st_ino)
            elif stat.S_ISDIR(st.st_mode):
                yield FileEntry(relative, "dir", mode=mode & 0o777, mtime_ns=mtime)
                try:
                    children = sorted(os.listdir(path))
                except FileNotFoundError:
                    children = []
                stack.append((path, relative + "/", iter(children)))
            elif stat.S_ISLNK(st.st_mode) and (
                target := link_target_inside(Path(path), PurePosixPath(relative), real_root)
            ):
                yield FileEntry(relative, "link", mode=mode & 0o777, mtime_ns=mtime, target=target)
            else:
                _logger.warning("not backing up %s: not a file, directory or link inside", path)

    def open(self, path: str) -> IO[bytes]:
        """Open the regular file ``path`` without following a link at its place."""
        target = self.root.joinpath(*tree_path_parts(path, "media file"))
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise SnapshotError(f"media file {path!r} is no longer a regular file")
        return os.fdopen(fd, "rb")


def _mtime_ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    whole = moment.replace(microsecond=0)
    return int(whole.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


class StorageMediaSource:
    """The files of a Django storage, by ``STORAGES`` alias or instance.

    Each folder is listed once (``listdir``); the files' ``size`` and
    ``get_modified_time`` are asked ``workers`` files at a time (see
    :mod:`.media_workers`). An unmodified django-storages ``S3Storage`` is listed with
    sizes and times and read with one request per file instead (:mod:`.media_s3`).
    """

    def __init__(
        self, storage: Storage | str, *, workers: int = DEFAULT_STORAGE_WORKERS, fast: bool = True
    ) -> None:
        """Walk ``storage`` (an alias is looked up in ``STORAGES`` now).

        ``fast=False`` uses the ``Storage`` API only, even for an ``S3Storage``.
        """
        self.storage: Storage
        self.alias: str | None
        self.storage, self.alias = resolve_storage(storage)
        self.identity: str = storage_identity(self.storage, self.alias)
        self.has_inodes: bool = False
        self.workers: int = workers
        self.s3: S3MediaAccess | None = s3_access(self.storage) if fast else None
        """The S3 fast path, or None when the storage is used through its API only."""

    @property
    def where(self) -> str:
        """Return the storage's alias or class name, for messages."""
        return self.alias or type(self.storage).__name__

    def _stat(self, name: str) -> tuple[int, int | None]:
        size = self.storage.size(name)
        try:
            moment = self.storage.get_modified_time(name)
        except (NotImplementedError, OSError, ValueError):
            return size, None
        return size, _mtime_ns(moment)

    def _listdir(self, folder: str) -> tuple[list[str], list[str], _Stats]:
        if self.s3 is not None:
            folders, files, stats = self.s3.listdir(folder)
            return folders, files, {k: (size, _mtime_ns(when)) for k, (size, when) in stats.items()}
        try:
            folders, files = self.storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return [], [], {}
        return list(folders), list(files), {}

    def _files(self, *, warn: bool = True) -> Iterator[tuple[str, tuple[int, int | None] | None]]:
        """Yield every file's path (and its stat when the listing gave it), in order."""
        where = self.identity
        stack: list[tuple[str, Iterator[tuple[str, bool, bool]], _Stats]] = []

        def listing(prefix: str) -> tuple[str, Iterator[tuple[str, bool, bool]], _Stats]:
            folders, files, stats = self._listdir(prefix.rstrip("/"))
            dirs, plain = set(folders), set(files)
            names = ((name, name in plain, name in dirs) for name in sorted(dirs | plain))
            return prefix, names, stats

        stack.append(listing(""))
        while stack:
            prefix, names, stats = stack[-1]
            item = next(names, None)
            if item is None:
                stack.pop()
                continue
            name, is_file, is_dir = item
            if not _safe_name(name, where, warn=warn):
                continue
            if is_file:
                yield prefix + name, stats.get(name)
            if is_dir:
                stack.append(listing(f"{prefix}{name}/"))

    def names(self) -> Iterator[str]:
        """Yield every file's path in canonical order, without asking sizes or times."""
        for path, _ in self._files(warn=False):
            yield path

    def walk(self) -> Iterator[FileEntry]:
        """Yield every file, depth first, names sorted (storages have no directories)."""

        def entry(item: tuple[str, tuple[int, int | None] | None]) -> FileEntry | None:
            path, known = item
            try:
                size, mtime = known if known is not None else self._stat(path)
            except FileNotFoundError:
                return None
            except SnapshotError:
                raise
            except Exception as error:
                raise media_file_error("reading", path, self.where, error) from error
            return FileEntry(path, "file", size, mtime_ns=mtime)

        workers = 1 if self.s3 is not None else self.workers
        for found in ordered_map(entry, self._files(), workers=workers):
            if found is not None:
                yield found

    def open(self, path: str) -> IO[bytes]:
        """Open the stored file ``path``."""
        try:
            if self.s3 is not None and self.s3.fast_reads:
                return self.s3.open(path)
            stream: IO[bytes] = self.storage.open(path, "rb")
        except (FileNotFoundError, SnapshotError):
            raise
        except Exception as error:
            raise media_file_error("opening", path, self.where, error) from error
        return stream


def write_source_tar(source: TreeSource, out: IO[bytes], root_name: str) -> None:
    """Write ``source`` as the media tar (members under ``root_name/``, owners dropped)."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        top = tarfile.TarInfo(root_name)
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        for entry in source.walk():
            info = tarfile.TarInfo(f"{root_name}/{entry.path}")
            info.mode = entry.mode if entry.mode is not None else 0o644
            info.mtime = (entry.mtime_ns or 0) // 1_000_000_000
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif entry.kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, entry.target or ""
                tar.addfile(info)
            else:
                try:
                    stream = source.open(entry.path)
                except FileNotFoundError:
                    _logger.warning("%s vanished during the backup", entry.path)
                    continue
                with stream:
                    info.size = entry.size
                    tar.addfile(info, stream)
