"""A basic-tier backend over any Django ``Storage`` (FileSystemStorage, S3, ...).

Content always streams: writes hand Django a :class:`~django.core.files.File` that
reads the source in 1 MiB chunks, reads return the storage's own file object.

**Replacing a file.** Django storages cannot rename, and ``Storage.save`` picks a new
name rather than overwrite. :meth:`DjangoStorageBackend.write` therefore:

1. saves the new content under a hidden temporary name next to the target
   (``.snapshots-tmp-<random>``); if that fails, the temporary file is removed and
   the old file is untouched — this covers failures of the source stream and of the
   upload, by far the most likely ones;
2. puts it in place, in the best way the storage allows:

   * a ``FileSystemStorage`` (or subclass keeping its files at ``path()``): an
     ``os.replace`` rename, atomic — the old file is never missing;
   * a storage that overwrites on save (``get_available_name`` keeps the name, e.g.
     django-storages S3/GCS with ``file_overwrite=True``): the temporary file is
     copied over the target; object stores replace an object only once the new one
     is complete;
   * any other storage: the old file is deleted, then the temporary file copied to
     the target.

**Limits.** In the last two cases the content crosses this process twice (upload,
then copy). In the last case only, a failure during the copy of step 2 leaves no
file at the target; the complete new content is then kept at the temporary name,
which the raised :class:`~django_snapshots.SnapshotError` names. Temporary names are
never listed.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import secrets
from collections.abc import Iterator
from functools import partial
from typing import IO, TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, InvalidStorageError, Storage, storages

from django_snapshots.exceptions import SnapshotError, SnapshotNotFoundError
from django_snapshots.storage._paths import (
    CHUNK_SIZE,
    TEMP_PREFIX,
    check_path,
    check_prefix,
    fsync_path,
    replace_file,
    walk_prefix,
)

__all__ = ["DjangoStorageBackend"]


if TYPE_CHECKING:
    _BytesFile = File[bytes]
else:  # Django's File is generic only in its type stubs.
    _BytesFile = File


class _ChunkedReads:
    """A stream proxy that reads its source in chunks and never returns short reads.

    ``read(n)`` returns ``n`` bytes unless the source ends first (some storages take
    a short read for the end: s3transfer does), and ``read()`` without a size, which
    some storages use to finish an upload, still asks the source for at most
    :data:`CHUNK_SIZE` bytes at a time.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream: IO[bytes] = stream

    def read(self, size: int | None = -1) -> bytes:
        """Return ``size`` bytes (fewer only at the end), or everything left if negative."""
        if size is None or size < 0:
            return b"".join(iter(partial(self._stream.read, CHUNK_SIZE), b""))
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0:
            piece = self._stream.read(min(wanted, CHUNK_SIZE))
            if not piece:
                break
            pieces.append(piece)
            wanted -= len(piece)
        return b"".join(pieces)

    def seekable(self) -> bool:
        """Return False: the source is read once, front to back."""
        return False

    def readable(self) -> bool:
        """Return True: the proxy only reads."""
        return True

    @property
    def closed(self) -> bool:
        """Return True if the source stream is closed."""
        return bool(getattr(self._stream, "closed", False))

    def close(self) -> None:
        """Leave the source open: its owner closes it."""


class _StreamFile(_BytesFile):
    """A Django ``File`` reading its stream from the current position, in chunks."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        """Read ``stream`` (through :class:`_ChunkedReads`) under the file name ``name``."""
        super().__init__(cast("IO[bytes]", _ChunkedReads(stream)), name=name)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """Yield the rest of the stream in ``chunk_size`` (default 1 MiB) pieces."""
        stream = self.file
        if stream is None:
            return
        yield from iter(partial(stream.read, chunk_size or CHUNK_SIZE), b"")

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        """Return True: the size is unknown, so always stream."""
        return True


def _resolve_alias(alias: str) -> Storage:
    """Return the storage ``STORAGES[alias]`` names; one-line error if there is none."""
    try:
        return storages[alias]
    except InvalidStorageError:
        known = ", ".join(repr(name) for name in storages.backends) or "none"
        raise ImproperlyConfigured(
            f"DjangoStorageBackend: no storage alias {alias!r} in settings.STORAGES "
            f"(configured: {known})"
        ) from None


class DjangoStorageBackend:
    """Store snapshots in any Django ``Storage`` (basic tier only)."""

    def __init__(self, storage: Storage | str) -> None:
        """Wrap ``storage``, or the ``STORAGES`` alias it names; its own settings apply.

        An alias is resolved now, through ``django.core.files.storage.storages``; an
        unknown one raises ``ImproperlyConfigured`` naming it.
        """
        self.alias: str | None = storage if isinstance(storage, str) else None
        """The ``STORAGES`` alias given, or None when a storage object was."""
        self.storage: Storage = _resolve_alias(storage) if isinstance(storage, str) else storage
        """The wrapped Django storage."""

    def __repr__(self) -> str:
        """Return ``DjangoStorageBackend(<storage>)`` (or ``('<alias>')``)."""
        shown = repr(self.alias) if self.alias is not None else repr(self.storage)
        return f"{type(self).__name__}({shown})"

    def _local_path(self, name: str) -> str | None:
        """Return the local file system path of ``name`` for a ``FileSystemStorage``, else None.

        Other storages may implement ``path()`` without keeping their files there
        (``InMemoryStorage`` does), so only a ``FileSystemStorage`` is trusted.
        """
        if not isinstance(self.storage, FileSystemStorage):
            return None
        return self.storage.path(name)

    def _listdir(self, folder: str) -> tuple[builtins.list[str], builtins.list[str]] | None:
        """Return ``(folders, files)`` inside ``folder``, or None if it does not exist."""
        try:
            folders, files = self.storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return builtins.list(folders), builtins.list(files)

    def _is_file(self, path: str) -> bool:
        """Return True if ``path`` exists and is a file (not a folder)."""
        if not self.storage.exists(path):
            return False
        local = self._local_path(path)
        if local is not None:
            return os.path.isfile(local)
        folder, _, name = path.rpartition("/")
        listing = self._listdir(folder)
        return listing is not None and name in listing[1]

    def _put_in_place(self, temporary: str, path: str) -> None:
        """Move the saved ``temporary`` file to ``path`` (see the module docstring)."""
        source = self._local_path(temporary)
        target = self._local_path(path)
        if source is not None and target is not None and os.path.isfile(source):
            fsync_path(source)
            replace_file(source, target, path)
            return
        deleted_old = False
        if self.storage.exists(path) and self.storage.get_available_name(path) != path:
            self.storage.delete(path)
            deleted_old = True
        try:
            with self.storage.open(temporary, "rb") as stream:
                saved = self.storage.save(path, _StreamFile(stream, name=path))
        except Exception as error:
            if not deleted_old:
                with contextlib.suppress(Exception):
                    self.storage.delete(temporary)
                raise
            raise SnapshotError(
                f"storing {path!r} failed after its old file was deleted "
                f"({type(error).__name__}: {error}); the new content is kept at {temporary!r}"
            ) from error
        if saved != path:
            self.storage.delete(saved)
            raise SnapshotError(
                f"storage saved {path!r} as {saved!r} (another writer created it meanwhile); "
                f"the new content is kept at {temporary!r}"
            )
        self.storage.delete(temporary)

    # -- basic tier ---------------------------------------------------------------

    def read(self, path: str) -> IO[bytes]:
        """Open ``path`` for binary reading; the caller closes the stream."""
        if not self._is_file(check_path(path)):
            raise SnapshotNotFoundError(f"no file at storage path {path!r}")
        stream: File[Any] = self.storage.open(path, "rb")
        return stream

    def write(self, path: str, content: IO[bytes]) -> None:
        """Store everything readable from ``content`` at ``path``, in chunks.

        A failure while storing the new content leaves the old file in place; see the
        module docstring for the exact guarantee.
        """
        folder, _, _ = check_path(path).rpartition("/")
        wanted = f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        temporary = f"{folder}/{wanted}" if folder else wanted
        try:
            temporary = self.storage.save(temporary, _StreamFile(content, name=temporary))
        except BaseException:
            with contextlib.suppress(Exception):
                self.storage.delete(temporary)
            raise
        self._put_in_place(temporary, path)

    def list(self, prefix: str) -> builtins.list[str]:
        """Return every stored file path that starts with ``prefix``, sorted."""
        return walk_prefix(check_prefix(prefix), self._listdir)

    def delete(self, path: str) -> None:
        """Delete the file at ``path``; a missing file is not an error."""
        if self._is_file(check_path(path)):
            with contextlib.suppress(FileNotFoundError):
                self.storage.delete(path)

    def exists(self, path: str) -> bool:
        """Return True if a file is stored at ``path``."""
        return self._is_file(check_path(path))
