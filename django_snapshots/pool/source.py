"""What a pool backup reads: a tree of files walked in canonical order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from typing_extensions import Protocol, runtime_checkable

from django_snapshots.pool.filelist import FileEntry

__all__ = ["TreeSource"]


@runtime_checkable
class TreeSource(Protocol):
    """A tree of files to back up: a local directory, a Django storage, ...

    :meth:`walk` yields every entry with its metadata from one stat (no content read,
    ``ids`` empty), in canonical order (:func:`~django_snapshots.pool.filelist.path_key`:
    a depth-first walk with names sorted), paths checked like tar members.
    """

    identity: str
    """What the tree is (``"directory:/srv/media"``, ``"storage:default"``); a parent
    snapshot's entries are reused only when it describes the same tree."""

    has_inodes: bool
    """True when entries carry inode numbers that change when a file is replaced."""

    def walk(self) -> Iterator[FileEntry]:
        """Yield every file, directory and link of the tree in canonical order."""
        ...

    def open(self, path: str) -> IO[bytes]:
        """Open the file at ``path`` (as :meth:`walk` gave it) for reading."""
        ...
