"""The media file list: a snapshot's media artifact when its content lives in the pool.

A file list is UTF-8 JSON Lines, written and read as a stream (never whole)::

    {"format": "django-snapshots-files", "version": 1, "pool": "sha256", "ids": "sha256",
     "source": "directory:/srv/media", "chunk_size": 4194304}
    {"p": "logo.svg", "k": "f", "s": 1843, "m": 420, "t": 1767225600000000000,
     "i": 1234, "c": ["<content id>", ...]}
    {"p": "uploads", "k": "d", "m": 493, "t": ...}
    {"p": "uploads/latest", "k": "l", "l": "2026/report.pdf"}
    {"end": true, "entries": 3, "files": 1, "bytes": 1843}

Keys: ``p`` path (relative, ``/``-separated, checked like a tar member), ``k`` kind
(``f`` file, ``d`` directory, ``l`` link), ``s`` size, ``m`` permission bits, ``t``
mtime in nanoseconds, ``i`` inode (local directories only), ``l`` link target, ``c``
the content ids of the file's consecutive chunks, ``r`` set when the file changed too
close to the backup for its mtime to be trusted next time. Entries come in canonical
order (by path components, which is a sorted depth-first walk) with no duplicates, so a
backup can walk its source and the parent's list side by side. The last line counts
the entries, so a truncated list is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Final, Literal, NoReturn

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.pool.ids import is_content_id
from django_snapshots.safetar import tree_path_parts

__all__ = [
    "FILE_LIST_FORMAT",
    "EntryKind",
    "FileEntry",
    "FileListHeader",
    "FileListReader",
    "FileListWriter",
    "is_file_list",
    "path_key",
]

FILE_LIST_FORMAT: Final = "django-snapshots-files"
"""The ``format`` of a file list's first line."""

_VERSION: Final = 1
_MAX_LINE: Final = 16 * 1024 * 1024

EntryKind = Literal["file", "dir", "link"]
"""What a file list entry is."""

_KIND_CODES: Final[dict[EntryKind, str]] = {"file": "f", "dir": "d", "link": "l"}
_CODE_KINDS: Final[dict[str, EntryKind]] = {code: kind for kind, code in _KIND_CODES.items()}


_encode = json.JSONEncoder(separators=(",", ":")).encode
_quote = _encode
_decode = json.JSONDecoder().decode


def _normal_path(path: str) -> bool:
    """Return True if ``path`` passes the tar member rule unchanged (the fast, usual case)."""
    if not path or path[0] == "/" or "\\" in path or "\0" in path or ":" in path[:2]:
        return False
    return not any(part in ("", ".", "..") for part in path.split("/"))


def path_key(path: str) -> tuple[str, ...]:
    """Return the canonical sort key of a tree path: its components."""
    return tuple(path.split("/"))


@dataclass(slots=True)
class FileEntry:
    """One entry of a tree: a file, a directory or a link."""

    path: str
    kind: EntryKind
    size: int = 0
    mode: int | None = None
    """Permission bits; None where the source has none (Django storages)."""
    mtime_ns: int | None = None
    inode: int | None = None
    """The inode on a local disk, else None."""
    target: str | None = None
    """A link's target."""
    ids: tuple[str, ...] = ()
    """Content ids of the file's chunks, in order."""
    racy: bool = False
    """The mtime was too close to the backup to prove the file unchanged later."""

    def to_line(self) -> bytes:
        """Return the entry's JSON line (the same object as :meth:`to_json`, built fast)."""
        parts = ['{"p":', _quote(self.path), ',"k":"', _KIND_CODES[self.kind], '"']
        if self.kind == "file":
            parts.append(f',"s":{self.size:d}')
        for key, value in (("m", self.mode), ("t", self.mtime_ns), ("i", self.inode)):
            if value is not None:
                parts.append(f',"{key}":{value:d}')
        if self.target is not None:
            parts += [',"l":', _quote(self.target)]
        if self.kind == "file":
            parts += [',"c":["', '","'.join(self.ids), '"]'] if self.ids else [',"c":[]']
        if self.racy:
            parts.append(',"r":1')
        parts.append("}\n")
        return "".join(parts).encode()

    def to_json(self) -> dict[str, Any]:
        """Return the entry's JSON object."""
        data: dict[str, Any] = {"p": self.path, "k": _KIND_CODES[self.kind]}
        if self.kind == "file":
            data["s"] = self.size
        if self.mode is not None:
            data["m"] = self.mode
        if self.mtime_ns is not None:
            data["t"] = self.mtime_ns
        if self.inode is not None:
            data["i"] = self.inode
        if self.target is not None:
            data["l"] = self.target
        if self.kind == "file":
            data["c"] = list(self.ids)
        if self.racy:
            data["r"] = 1
        return data


@dataclass(frozen=True)
class FileListHeader:
    """The first line of a file list: which pool and source it describes."""

    pool: str
    """The pool folder name the content ids refer to."""
    ids: str
    """The content-id scheme (``"sha256"``, ``"hmac-sha256"``)."""
    source: str
    """What was backed up (``"directory:<path>"``, ``"storage:<alias>"``)."""
    chunk_size: int
    extra: dict[str, Any] = field(default_factory=dict[str, Any])
    """Unknown keys, kept."""

    def to_json(self) -> dict[str, Any]:
        """Return the header's JSON object."""
        return {
            **self.extra,
            "format": FILE_LIST_FORMAT,
            "version": _VERSION,
            "pool": self.pool,
            "ids": self.ids,
            "source": self.source,
            "chunk_size": self.chunk_size,
        }


def _line(data: dict[str, Any]) -> bytes:
    return _encode(data).encode() + b"\n"


class FileListWriter:
    """Write a file list to ``out``, entry by entry, checking canonical order."""

    def __init__(self, out: IO[bytes], header: FileListHeader) -> None:
        """Write ``header`` to ``out`` at once."""
        self._out = out
        self._last: tuple[str, ...] | None = None
        self.entries: int = 0
        self.files: int = 0
        self.bytes: int = 0
        out.write(_line(header.to_json()))

    def add(self, entry: FileEntry) -> None:
        """Append ``entry``; it must sort after the previous one."""
        key = path_key(entry.path)
        if self._last is not None and key <= self._last:
            raise ValueError(f"file list entry {entry.path!r} is out of order")
        self._last = key
        self.entries += 1
        if entry.kind == "file":
            self.files += 1
            self.bytes += entry.size
        self._out.write(entry.to_line())

    def finish(self) -> None:
        """Write the closing line."""
        end = {"end": True, "entries": self.entries, "files": self.files, "bytes": self.bytes}
        self._out.write(_line(end))


def is_file_list(head: bytes) -> bool:
    """Return True if the first bytes of a file look like a file list."""
    return head.lstrip().startswith(b"{") and FILE_LIST_FORMAT.encode() in head[:256]


def _int(data: dict[str, Any], key: str, where: str, *, optional: bool = True) -> int | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SnapshotIntegrityError(f"{where}: {key!r} must be a non-negative integer")
    return value


class FileListReader:
    """Read and validate a file list from ``stream``; iterate it for its entries.

    The header is read at once. Every problem (bad JSON, unknown kind, unsafe path, out
    of order, bad content id, truncated list) raises
    :class:`~django_snapshots.SnapshotIntegrityError` naming ``what`` and the line.
    """

    def __init__(self, stream: IO[bytes], what: str = "media file list") -> None:
        """Read the header of the file list in ``stream``."""
        self._stream = stream
        self.what: str = what
        self._number = 0
        first = self._next_object()
        if first is None or first.get("format") != FILE_LIST_FORMAT:
            raise SnapshotIntegrityError(f"{what} does not start with a file list header")
        if first.get("version") != _VERSION:
            raise SnapshotIntegrityError(
                f"{what} has version {first.get('version')!r}; this release reads {_VERSION}"
            )
        where = f"{what} header"
        pool, ids, source = first.get("pool"), first.get("ids"), first.get("source")
        if not all(isinstance(value, str) and value for value in (pool, ids, source)):
            raise SnapshotIntegrityError(f"{where}: 'pool', 'ids' and 'source' must be strings")
        chunk_size = _int(first, "chunk_size", where, optional=False)
        known = {"format", "version", "pool", "ids", "source", "chunk_size"}
        self.header: FileListHeader = FileListHeader(
            str(pool),
            str(ids),
            str(source),
            int(chunk_size or 0),
            {key: value for key, value in first.items() if key not in known},
        )
        """The list's first line."""
        self.total_files: int | None = None
        self.total_bytes: int | None = None
        """Set from the closing line once iteration is complete."""

    def _next_object(self) -> dict[str, Any] | None:
        raw = self._stream.readline(_MAX_LINE + 1)
        if not raw:
            return None
        self._number += 1
        if len(raw) > _MAX_LINE:
            raise SnapshotIntegrityError(f"{self.what} line {self._number} is too long")
        try:
            data = _decode(raw.decode("utf-8"))
        except ValueError:
            raise SnapshotIntegrityError(f"{self.what} line {self._number} is not JSON") from None
        if not isinstance(data, dict):
            raise SnapshotIntegrityError(f"{self.what} line {self._number} is not an object")
        return data  # pyright: ignore[reportUnknownVariableType]

    def _entry(self, data: dict[str, Any]) -> FileEntry:
        path = data.get("p")
        if not isinstance(path, str):
            self._fail("'p' must be a path")
        if not _normal_path(path):
            self._bad_path(path)
        code = data.get("k")
        kind = _CODE_KINDS.get(code) if type(code) is str else None
        if kind is None:
            self._fail(f"unknown kind {data.get('k')!r}")
        size, mode, mtime, inode = data.get("s", 0), data.get("m"), data.get("t"), data.get("i")
        for key, value in (("s", size), ("m", mode), ("t", mtime), ("i", inode)):
            if value is not None and (type(value) is not int or value < 0):
                self._fail(f"{key!r} must be a non-negative integer")
        entry = FileEntry(path, kind, size or 0, mode, mtime, inode, racy=bool(data.get("r")))
        if kind == "link":
            target = data.get("l")
            if type(target) is not str or not target:
                self._fail(f"link {path!r} has no target")
            entry.target = target
        elif kind == "file":
            ids = data.get("c")
            if type(ids) is not list or not all(map(is_content_id, ids)):  # pyright: ignore[reportUnknownArgumentType]
                self._fail("'c' must be a list of content ids")
            if entry.size > 0 and not ids:
                self._fail(f"file {path!r} has content but no ids")
            entry.ids = tuple(ids)  # pyright: ignore[reportUnknownArgumentType]
        return entry

    def _fail(self, problem: str) -> NoReturn:
        raise SnapshotIntegrityError(f"{self.what} line {self._number}: {problem}")

    def _bad_path(self, path: str) -> None:
        if "/".join(tree_path_parts(path, f"{self.what} entry")) != path:
            self._fail(f"path {path!r} is not in normal form")

    def __iter__(self) -> Iterator[FileEntry]:
        """Yield every entry in order, then check the closing line."""
        for _, entry in self.keyed():
            yield entry

    def keyed(self) -> Iterator[tuple[tuple[str, ...], FileEntry]]:
        """Yield ``(path_key(entry.path), entry)`` for every entry, then check the end."""
        last: tuple[str, ...] | None = None
        entries = files = size = 0
        while (data := self._next_object()) is not None:
            if data.get("end") is True:
                counts = (data.get("entries"), data.get("files"), data.get("bytes"))
                if counts != (entries, files, size):
                    raise SnapshotIntegrityError(
                        f"{self.what} closing line counts {counts}, the list holds "
                        f"{(entries, files, size)}"
                    )
                if self._stream.readline(1):
                    raise SnapshotIntegrityError(f"{self.what} has data after its closing line")
                self.total_files, self.total_bytes = files, size
                return
            entry = self._entry(data)
            key = tuple(entry.path.split("/"))
            if last is not None and key <= last:
                self._fail(f"{entry.path!r} is out of order or repeated")
            last = key
            entries += 1
            if entry.kind == "file":
                files += 1
                size += entry.size
            yield key, entry
        raise SnapshotIntegrityError(f"{self.what} is truncated: it has no closing line")
