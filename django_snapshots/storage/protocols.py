"""The storage contract: what a backend must do to hold snapshots.

Two tiers. :class:`SnapshotStorage` is the small basic tier every backend provides;
:class:`AdvancedSnapshotStorage` adds streaming, atomic moves and server-side copies.
Backends conform structurally: no inheritance is needed, only matching methods.

Two optional *capabilities* sit beside the tiers, discovered with ``isinstance``:
:class:`ExclusiveCreateStorage` (create a file only if none is there, which the lock
uses) and :class:`MultipartUploadStorage` (find and abort unfinished uploads, which
object stores keep invisibly after a killed write).

Paths are always relative, ``/``-separated, and never empty; a backend must refuse
any path that would leave its root with :class:`~django_snapshots.SnapshotPathError`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import IO

from typing_extensions import Protocol, runtime_checkable

from django_snapshots.exceptions import SnapshotStorageCapabilityError

__all__ = [
    "AdvancedSnapshotStorage",
    "ExclusiveCreateStorage",
    "MultipartUploadStorage",
    "SnapshotStorage",
    "requires_advanced_storage",
]


@runtime_checkable
class SnapshotStorage(Protocol):
    """The basic tier every storage backend implements."""

    def read(self, path: str) -> IO[bytes]:
        """Open ``path`` for binary reading; the caller closes the stream.

        Raise :class:`~django_snapshots.SnapshotNotFoundError` when it does not exist.
        """
        ...

    def write(self, path: str, content: IO[bytes]) -> None:
        """Store everything readable from ``content`` at ``path``, replacing any file.

        Read ``content`` in chunks (never all at once). A failed write must leave the
        previous file, if any, in place. Parent folders are created as needed.
        """
        ...

    def list(self, prefix: str) -> builtins.list[str]:
        """Return every stored file path that starts with ``prefix``, sorted.

        ``""`` lists everything. The match is on the string, so ``"a"`` matches
        ``"a/x"`` and ``"ab"``; folders themselves are not listed.
        """
        ...

    def delete(self, path: str) -> None:
        """Delete the file at ``path``; deleting a missing file is not an error."""
        ...

    def exists(self, path: str) -> bool:
        """Return True if a file is stored at ``path``."""
        ...


@runtime_checkable
class AdvancedSnapshotStorage(SnapshotStorage, Protocol):
    """The advanced tier: streaming, atomic moves and prefix copies."""

    def stream_read(self, path: str) -> Iterator[bytes]:
        """Yield the bytes at ``path`` in bounded chunks.

        Raise :class:`~django_snapshots.SnapshotNotFoundError` when it does not exist.
        """
        ...

    def stream_write(self, path: str, chunks: Iterator[bytes]) -> None:
        """Store the concatenated ``chunks`` at ``path`` atomically.

        Readers see either the old file or the complete new one, never a partial one.
        """
        ...

    def atomic_move(self, src: str, dst: str) -> None:
        """Move the file ``src`` to ``dst`` in one step, replacing ``dst``."""
        ...

    def recursive_list(self, prefix: str) -> builtins.list[str]:
        """Return every file below the folder ``prefix`` (``""``: all), sorted."""
        ...

    def sync(self, src_prefix: str, dst_prefix: str) -> None:
        """Copy every file below ``src_prefix`` to the same relative path below ``dst_prefix``."""
        ...


@runtime_checkable
class ExclusiveCreateStorage(Protocol):
    """Optional capability: create a file only if nothing is stored at its path.

    Offer it only when the create is atomic on the server: of any number of
    concurrent callers for one path, exactly one gets True.
    """

    def can_create_exclusive(self) -> bool:
        """Return True if :meth:`create_exclusive` works on this storage.

        May ask the server once (and remember the answer); never raises for a
        server that lacks the feature, it returns False.
        """
        ...

    def create_exclusive(self, path: str, content: bytes) -> bool:
        """Store ``content`` at ``path`` unless a file is there; return False if one is.

        The file appears whole or not at all. Raise
        :class:`~django_snapshots.SnapshotStorageCapabilityError` when
        :meth:`can_create_exclusive` is False.
        """
        ...


@runtime_checkable
class MultipartUploadStorage(Protocol):
    """Optional capability: see and abort uploads that a killed writer left unfinished.

    Object stores keep the parts of an unfinished multipart upload (and bill for
    them) without listing them; these methods make that debris visible.
    """

    def incomplete_uploads(self, prefix: str) -> builtins.list[str]:
        """Return the storage paths, sorted, with an unfinished upload below ``prefix``.

        ``prefix`` matches as in :meth:`SnapshotStorage.list`; a path with several
        unfinished uploads is listed once.
        """
        ...

    def abort_incomplete_uploads(self, path: str) -> int:
        """Abort the unfinished uploads of file ``path`` and of files below folder ``path``.

        ``"snap/"`` and ``"snap"`` mean the file ``snap`` and the folder ``snap``, not
        ``snap2``; ``""`` means everything. Return how many uploads were aborted. Only
        call this while no writer of those paths can be running (hold the snapshot's
        lock): it aborts uploads still in progress too.
        """
        ...


def requires_advanced_storage(backend: SnapshotStorage, operation: str) -> None:
    """Raise :class:`SnapshotStorageCapabilityError` unless ``backend`` is advanced.

    ``operation`` names what needed the advanced tier, for the error message.
    """
    if not isinstance(backend, AdvancedSnapshotStorage):
        raise SnapshotStorageCapabilityError(
            f"{operation} needs an AdvancedSnapshotStorage, but "
            f"{type(backend).__module__}.{type(backend).__qualname__} only provides "
            "the basic SnapshotStorage tier"
        )
