"""Storage path rules shared by the built-in backends (private).

A storage path is relative, ``/``-separated and never empty; no component is empty,
``.`` or ``..``; it holds no backslash and no NUL. A *prefix* follows the same rules,
except that ``""`` is allowed and it may end in ``/`` (its last component is a plain
string prefix). :func:`walk_prefix` lists the files matching a prefix while only
descending into folders that can hold a match.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Final

from django_snapshots.exceptions import SnapshotPathError
from django_snapshots.streams import CHUNK_SIZE

__all__ = [
    "CHUNK_SIZE",
    "TEMP_PREFIX",
    "check_folder",
    "check_path",
    "check_prefix",
    "fsync_path",
    "is_temp_name",
    "replace_file",
    "walk_prefix",
]


TEMP_PREFIX: Final = ".snapshots-tmp-"
"""File names starting with this are in-progress writes, never listed."""


def _check_parts(parts: list[str], original: str, what: str) -> None:
    """Raise :class:`SnapshotPathError` if any component is unsafe."""
    if "\\" in original or "\x00" in original:
        raise SnapshotPathError(f"{what} {original!r} contains a backslash or NUL byte")
    if original.startswith("/"):
        raise SnapshotPathError(f"{what} {original!r} is absolute; storage paths are relative")
    for part in parts:
        if part in ("", ".", ".."):
            raise SnapshotPathError(f"{what} {original!r} has an empty, '.' or '..' component")
        if part.startswith(TEMP_PREFIX):
            raise SnapshotPathError(
                f"{what} {original!r} uses the reserved temporary name prefix {TEMP_PREFIX!r}"
            )


def check_path(path: str) -> str:
    """Return ``path`` if it is a safe storage path; raise :class:`SnapshotPathError` if not."""
    if not path:
        raise SnapshotPathError("storage path is empty")
    _check_parts(path.split("/"), path, "storage path")
    return path


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is a safe listing prefix; raise :class:`SnapshotPathError` if not."""
    if not prefix:
        return prefix
    parts = prefix.split("/")
    if parts[-1] == "":
        parts.pop()  # a trailing "/" is allowed
    elif parts[-1] == ".":
        parts.pop()  # "a/." may prefix "a/.hidden"
    _check_parts(parts, prefix, "storage prefix")
    return prefix


def check_folder(prefix: str) -> str:
    """Return the folder a folder-style prefix names, without trailing ``/``.

    ``"a/b/"`` and ``"a/b"`` both give ``"a/b"``; ``""`` is the root. Raise
    :class:`SnapshotPathError` if the folder is not a safe storage path.
    """
    if prefix.startswith("/"):
        raise SnapshotPathError(
            f"storage folder {prefix!r} is absolute; storage paths are relative"
        )
    folder = prefix[:-1] if prefix.endswith("/") else prefix
    if folder:
        _check_parts(folder.split("/"), prefix, "storage folder")
    return folder


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Flush a file's data or a folder's entries to disk, where the platform allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_file(
    temporary: str | os.PathLike[str], target: str | os.PathLike[str], path: str
) -> None:
    """Move the finished ``temporary`` over ``target``, then flush the folder.

    On failure ``temporary`` is removed; a ``target`` that is a folder is reported as
    a :class:`SnapshotPathError` naming the storage ``path``.
    """
    try:
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, IsADirectoryError):
            raise SnapshotPathError(f"storage path {path!r} names a folder") from None
        raise
    fsync_path(os.path.dirname(target))


def is_temp_name(name: str) -> bool:
    """Return True if the file name is an in-progress write of a built-in backend."""
    return name.startswith(TEMP_PREFIX)


Lister = Callable[[str], "tuple[list[str], list[str]] | None"]
"""Return ``(folders, files)`` directly inside a folder (``""``: the root), or None."""


def walk_prefix(prefix: str, listdir: Lister) -> list[str]:
    """Return every file path starting with ``prefix``, sorted, visiting few folders.

    The walk starts at the deepest folder ``prefix`` pins down (everything before
    its last ``/``) and only enters a sub-folder that can contain a match, so a
    prefix naming a folder never visits its siblings.
    """
    start = prefix.rpartition("/")[0]
    found: list[str] = []
    pending = [start]
    while pending:
        folder = pending.pop()
        listing = listdir(folder)
        if listing is None:
            continue
        folders, files = listing
        base = f"{folder}/" if folder else ""
        for name in files:
            path = base + name
            if path.startswith(prefix) and not is_temp_name(name):
                found.append(path)
        for name in folders:
            path = base + name + "/"
            if path.startswith(prefix) or prefix.startswith(path):
                pending.append(base + name)
    found.sort()
    return found
