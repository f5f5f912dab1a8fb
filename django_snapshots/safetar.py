"""Safe writing and reading of directory tar archives, the same on every Python.

:func:`write_tree` archives a directory as an uncompressed tar whose members all live
under one top-level directory; :func:`extract_tree` extracts such an archive into an
empty directory. Extraction does not rely on :mod:`tarfile`'s extraction filters
(their fixes differ between patch releases): it creates every file and directory
itself, never follows a symbolic link while writing, and checks every link once the
whole tree exists. Anything that could write outside the target, or that is not a
plain file, directory or link inside the tree, raises
:class:`~django_snapshots.SnapshotIntegrityError` naming the member.
"""

from __future__ import annotations

import logging
import os
import stat
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Final

from django_snapshots.exceptions import SnapshotIntegrityError

__all__ = [
    "CHUNK_SIZE",
    "TreeWriter",
    "extract_tree",
    "link_target_inside",
    "tree_path_parts",
    "walk_tree",
    "write_tree",
]

CHUNK_SIZE: Final = 1024 * 1024
"""Bytes copied at a time between a member and its file."""

_PERMISSIONS: Final = 0o777
"""Mode bits kept on extraction: never setuid, setgid or sticky."""

_logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- writing


def _inside(path: str, root: str) -> bool:
    """Return True if the absolute ``path`` is ``root`` or lies beneath it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def walk_tree(root: Path) -> Iterator[tuple[Path, PurePosixPath]]:
    """Yield ``(path, relative name)`` for everything under ``root``, sorted, top-down."""
    stack: list[tuple[Path, PurePosixPath]] = [(root, PurePosixPath())]
    while stack:
        directory, relative = stack.pop()
        with os.scandir(directory) as entries:
            names = sorted(entry.name for entry in entries)
        children: list[tuple[Path, PurePosixPath]] = []
        for name in names:
            path = directory / name
            yield path, relative / name
            if stat.S_ISDIR(path.lstat().st_mode):
                children.append((path, relative / name))
        stack.extend(reversed(children))


def _info(name: str, st: os.stat_result) -> tarfile.TarInfo:
    """Return a member header with anonymous owner and permission bits only."""
    info = tarfile.TarInfo(name)
    info.mode = st.st_mode & _PERMISSIONS
    info.mtime = int(st.st_mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def link_target_inside(path: Path, relative: PurePosixPath, real_root: str) -> str | None:
    """Return the link's target if it is relative and stays in the tree, else None."""
    target = os.readlink(path)
    if os.path.isabs(target):
        return None
    lexical = os.path.normpath(os.path.join(str(relative.parent), target))
    if lexical == ".." or lexical.startswith(".." + os.sep) or os.path.isabs(lexical):
        return None
    if not _inside(os.path.realpath(path), real_root):
        return None
    return target


def write_tree(directory: Path, out: IO[bytes], root_name: str) -> int:
    """Write ``directory`` as an uncompressed tar to ``out``; return the members skipped.

    Every member lives under ``root_name/``. Members come in sorted, top-down order;
    owners are dropped and modes keep permission bits only. Regular files,
    directories and relative symbolic links that stay inside the tree are archived;
    anything else (sockets, FIFOs, devices, links leaving the tree) is skipped with a
    warning. A missing ``directory`` is archived as an empty one.
    """
    real_root = os.path.realpath(directory)
    skipped = 0
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        if not os.path.isdir(real_root):
            info = tarfile.TarInfo(root_name)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
            return 0
        root_info = _info(root_name, os.stat(real_root))
        root_info.type = tarfile.DIRTYPE
        tar.addfile(root_info)
        for path, relative in walk_tree(Path(real_root)):
            st = path.lstat()
            name = f"{root_name}/{relative.as_posix()}"
            info = _info(name, st)
            if stat.S_ISDIR(st.st_mode):
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif stat.S_ISREG(st.st_mode):
                info.type = tarfile.REGTYPE
                info.size = st.st_size
                with path.open("rb") as content:
                    tar.addfile(info, content)
            elif (
                stat.S_ISLNK(st.st_mode)
                and (target := link_target_inside(path, relative, real_root)) is not None
            ):
                info.type = tarfile.SYMTYPE
                info.linkname = target
                tar.addfile(info)
            else:
                skipped += 1
                _logger.warning("not archiving %s: not a file, directory or link inside", path)
    return skipped


# --------------------------------------------------------------------------- reading


def tree_path_parts(name: str, what: str = "tar member") -> tuple[str, ...]:
    """Return the components of the relative ``/``-separated path ``name``, validated.

    Refused, with :class:`~django_snapshots.SnapshotIntegrityError` naming ``what``:
    absolute names (``/x``, ``\\x``, ``C:x``), ``..``, backslashes and NUL bytes. Empty
    and ``.`` components are dropped; a name with nothing left is refused too. Tar
    members, media file lists and storage keys are all checked by this one rule.
    """
    if name.startswith(("/", "\\")) or ":" in name[:2]:
        raise SnapshotIntegrityError(f"{what} {name!r} has an absolute name")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if not parts:
        raise SnapshotIntegrityError(f"{what} {name!r} has an empty name")
    if ".." in parts or any("\\" in part or "\0" in part for part in parts):
        raise SnapshotIntegrityError(f"{what} {name!r} leaves the archive root")
    return parts


def _member_parts(member: tarfile.TarInfo, root: str | None) -> tuple[str, ...] | None:
    """Return the member's path below the archive's root, validated, or None for the root."""
    name = member.name
    parts = tree_path_parts(name)
    if root is not None:
        if parts[0] != root:
            raise SnapshotIntegrityError(
                f"tar member {name!r} is not under the archive's top-level directory {root!r}"
            )
        parts = parts[1:]
    return parts or None


class TreeWriter:
    """Create a tree of files, directories and links inside the empty directory ``dest``.

    Every entry is created by this object: files with ``O_EXCL | O_NOFOLLOW``, missing
    parents as real directories, and nothing is ever written through a link or over an
    existing entry. Links must be relative and lexically inside the tree; once the tree
    is complete, :meth:`finish` checks that each resolves inside ``dest`` and applies
    directory modes and times. Problems raise
    :class:`~django_snapshots.SnapshotIntegrityError` naming ``what`` and the entry.
    """

    def __init__(self, dest: Path, what: str = "tar member") -> None:
        """Write into ``dest``; messages call entries ``what`` (``"tar member"``)."""
        self.dest: Path = dest
        self.what: str = what
        self._directories: list[tuple[Path, int, int | None]] = []
        self._links: list[tuple[Path, str]] = []
        self._real_dirs: set[tuple[str, ...]] = set()

    def path_of(self, parts: tuple[str, ...], name: str, *, create: bool = True) -> Path:
        """Return the path of ``parts`` under ``dest``, checking that no parent is a link.

        Missing parents are created (as directories) if ``create``, else refused.
        Parents already checked are remembered: only this writer creates entries here.
        """
        parent = str(self.dest)
        for depth in range(1, len(parts)):
            parent = os.path.join(parent, parts[depth - 1])
            if parts[:depth] in self._real_dirs:
                continue
            try:
                mode = os.lstat(parent).st_mode
            except FileNotFoundError:
                if not create:
                    missing = "/".join(parts)
                    raise SnapshotIntegrityError(
                        f"{self.what} {name!r} refers to {missing!r}, which is not in the archive"
                    ) from None
                os.mkdir(parent, 0o755)
                self._real_dirs.add(parts[:depth])
                continue
            if not stat.S_ISDIR(mode):
                raise SnapshotIntegrityError(
                    f"{self.what} {name!r} would be written through a link or file"
                )
            self._real_dirs.add(parts[:depth])
        return Path(parent, parts[-1])

    def directory(self, parts: tuple[str, ...], mode: int, mtime_ns: int | None, name: str) -> None:
        """Create the directory ``parts`` (or accept an existing one) with ``mode`` at the end."""
        path = self.path_of(parts, name)
        try:
            existing = path.lstat().st_mode
        except FileNotFoundError:
            path.mkdir(mode=0o700)
        else:
            if not stat.S_ISDIR(existing):
                raise SnapshotIntegrityError(f"{self.what} {name!r} appears twice")
        self._directories.append((path, mode, mtime_ns))

    def file(
        self,
        parts: tuple[str, ...],
        chunks: Iterable[bytes],
        mode: int,
        mtime_ns: int | None,
        name: str,
    ) -> int:
        """Create the new regular file ``parts`` from ``chunks``; return its size."""
        path = self.path_of(parts, name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except FileExistsError:
            raise SnapshotIntegrityError(f"{self.what} {name!r} appears twice") from None
        size = 0
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                size += len(chunk)
            os.fchmod(handle.fileno(), mode & _PERMISSIONS)
        if mtime_ns is not None:
            os.utime(path, ns=(mtime_ns, mtime_ns))
        return size

    def symlink(self, parts: tuple[str, ...], target: str, name: str) -> None:
        """Create a relative link ``parts`` -> ``target`` that must stay inside the tree."""
        path = self.path_of(parts, name)
        if not target or os.path.isabs(target) or target.startswith("\\"):
            raise SnapshotIntegrityError(f"{self.what} {name!r} links to an absolute path")
        lexical = os.path.normpath(os.path.join(*parts[:-1], target) if parts[:-1] else target)
        if lexical == ".." or lexical.startswith(".." + os.sep):
            raise SnapshotIntegrityError(f"{self.what} {name!r} links outside the archive root")
        try:
            os.symlink(target, path)
        except FileExistsError:
            raise SnapshotIntegrityError(f"{self.what} {name!r} appears twice") from None
        self._links.append((path, name))

    def finish(self) -> None:
        """Check every link resolves inside the tree; apply directory modes and times."""
        real_dest = os.path.realpath(self.dest)
        for path, name in self._links:
            if not _inside(os.path.realpath(path), real_dest):
                raise SnapshotIntegrityError(f"{self.what} {name!r} links outside the archive root")
        for path, mode, mtime_ns in reversed(self._directories):
            os.chmod(path, mode & _PERMISSIONS | stat.S_IRWXU)
            if mtime_ns is not None:
                os.utime(path, ns=(mtime_ns, mtime_ns))


def _chunks(content: IO[bytes] | None) -> Iterator[bytes]:
    while content is not None and (chunk := content.read(CHUNK_SIZE)):
        yield chunk


def _extract_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    writer: TreeWriter,
    parts: tuple[str, ...],
    root: str | None,
) -> None:
    """Materialise one validated member through ``writer``."""
    name = member.name
    mtime_ns = round(member.mtime * 1_000_000_000)
    if member.isdir():
        writer.directory(parts, member.mode, mtime_ns, name)
    elif member.isreg():
        writer.file(parts, _chunks(tar.extractfile(member)), member.mode, mtime_ns, name)
    elif member.issym():
        writer.symlink(parts, member.linkname, name)
    elif member.islnk():
        try:
            source_parts = _member_parts(tarfile.TarInfo(member.linkname), root)
        except SnapshotIntegrityError:
            raise SnapshotIntegrityError(
                f"tar member {name!r} hard-links {member.linkname!r}, outside the archive root"
            ) from None
        if source_parts is None:
            raise SnapshotIntegrityError(f"tar member {name!r} hard-links a directory")
        source = writer.path_of(source_parts, name, create=False)
        try:
            source_mode = source.lstat().st_mode
        except FileNotFoundError:
            raise SnapshotIntegrityError(
                f"tar member {name!r} hard-links {member.linkname!r}, which is not in the archive"
            ) from None
        if not stat.S_ISREG(source_mode):
            raise SnapshotIntegrityError(
                f"tar member {name!r} hard-links {member.linkname!r}, which is not a regular file"
            )
        with source.open("rb") as content:
            writer.file(parts, _chunks(content), source_mode, None, name)
    else:
        raise SnapshotIntegrityError(f"tar member {name!r} is a device, FIFO or other special file")


def extract_tree(src: Path, dest: Path) -> None:
    """Extract the tar at ``src`` into the empty directory ``dest``, safely.

    The archive's members must all live under one top-level directory (the layout
    :func:`write_tree` and django-snapshots 0.1.0b1 produce): its contents become the
    contents of ``dest``. An archive without members yields an empty ``dest``.
    Absolute names, ``..``, devices, FIFOs, links that leave the tree (directly or
    through a chain of links) and writes through a link raise
    :class:`~django_snapshots.SnapshotIntegrityError`; setuid, setgid and sticky bits
    are dropped. On error ``dest`` may hold part of the tree: extract into a
    staging directory.
    """
    writer = TreeWriter(dest)
    root: str | None = None
    try:
        with tarfile.open(src, mode="r|") as tar:
            for member in tar:
                if root is None:
                    first = _member_parts(member, None)
                    if first is None or len(first) != 1 or not member.isdir():
                        raise SnapshotIntegrityError(
                            f"tar member {member.name!r} is not a top-level directory"
                        )
                    root = first[0]
                    continue
                parts = _member_parts(member, root)
                if parts is None:
                    continue
                _extract_member(tar, member, writer, parts, root)
    except tarfile.TarError as error:
        raise SnapshotIntegrityError(f"{src.name} is not a readable tar archive: {error}") from None
    writer.finish()
