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
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Final

from django_snapshots.exceptions import SnapshotIntegrityError

__all__ = ["CHUNK_SIZE", "extract_tree", "write_tree"]

CHUNK_SIZE: Final = 1024 * 1024
"""Bytes copied at a time between a member and its file."""

_PERMISSIONS: Final = 0o777
"""Mode bits kept on extraction: never setuid, setgid or sticky."""

_logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- writing


def _inside(path: str, root: str) -> bool:
    """Return True if the absolute ``path`` is ``root`` or lies beneath it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _walk(root: Path) -> Iterator[tuple[Path, PurePosixPath]]:
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


def _link_target_inside(path: Path, relative: PurePosixPath, real_root: str) -> str | None:
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
        for path, relative in _walk(Path(real_root)):
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
                and (target := _link_target_inside(path, relative, real_root)) is not None
            ):
                info.type = tarfile.SYMTYPE
                info.linkname = target
                tar.addfile(info)
            else:
                skipped += 1
                _logger.warning("not archiving %s: not a file, directory or link inside", path)
    return skipped


# --------------------------------------------------------------------------- reading


def _member_parts(member: tarfile.TarInfo, root: str | None) -> tuple[str, ...] | None:
    """Return the member's path below the archive's root, validated, or None for the root."""
    name = member.name
    if name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute() or ":" in name[:2]:
        raise SnapshotIntegrityError(f"tar member {name!r} has an absolute name")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if not parts:
        raise SnapshotIntegrityError(f"tar member {name!r} has an empty name")
    if ".." in parts or any("\\" in part or "\0" in part for part in parts):
        raise SnapshotIntegrityError(f"tar member {name!r} leaves the archive root")
    if root is not None:
        if parts[0] != root:
            raise SnapshotIntegrityError(
                f"tar member {name!r} is not under the archive's top-level directory {root!r}"
            )
        parts = parts[1:]
    return parts or None


def _parent_is_real(dest: Path, parts: tuple[str, ...], name: str, create: bool) -> Path:
    """Return the path of ``parts`` under ``dest``, checking that no parent is a link.

    Missing parents are created (as directories) if ``create``, else refused.
    """
    parent = dest
    for part in parts[:-1]:
        parent = parent / part
        try:
            mode = parent.lstat().st_mode
        except FileNotFoundError:
            if not create:
                missing = "/".join(parts)
                raise SnapshotIntegrityError(
                    f"tar member {name!r} refers to {missing!r}, which is not in the archive"
                ) from None
            parent.mkdir(mode=0o755)
            continue
        if not stat.S_ISDIR(mode):
            raise SnapshotIntegrityError(
                f"tar member {name!r} would be written through a link or file"
            )
    return parent / parts[-1]


def _write_file(path: Path, content: IO[bytes] | None, mode: int, name: str) -> None:
    """Create the new regular file ``path`` from ``content`` without following links."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise SnapshotIntegrityError(f"tar member {name!r} appears twice") from None
    with os.fdopen(fd, "wb") as handle:
        while content is not None and (chunk := content.read(CHUNK_SIZE)):
            handle.write(chunk)
        os.fchmod(handle.fileno(), mode & _PERMISSIONS)


def _extract_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    dest: Path,
    parts: tuple[str, ...],
    root: str | None,
    directories: list[tuple[Path, tarfile.TarInfo]],
    links: list[tuple[Path, str]],
) -> None:
    """Materialise one validated member under ``dest``."""
    name = member.name
    path = _parent_is_real(dest, parts, name, create=True)
    if member.isdir():
        try:
            existing = path.lstat().st_mode
        except FileNotFoundError:
            path.mkdir(mode=0o700)
        else:
            if not stat.S_ISDIR(existing):
                raise SnapshotIntegrityError(f"tar member {name!r} appears twice")
        directories.append((path, member))
    elif member.isreg():
        _write_file(path, tar.extractfile(member), member.mode, name)
        os.utime(path, (member.mtime, member.mtime))
    elif member.issym():
        target = member.linkname
        if not target or os.path.isabs(target) or target.startswith("\\"):
            raise SnapshotIntegrityError(f"tar member {name!r} links to an absolute path")
        lexical = os.path.normpath(os.path.join(*parts[:-1], target) if parts[:-1] else target)
        if lexical == ".." or lexical.startswith(".." + os.sep):
            raise SnapshotIntegrityError(f"tar member {name!r} links outside the archive root")
        try:
            os.symlink(target, path)
        except FileExistsError:
            raise SnapshotIntegrityError(f"tar member {name!r} appears twice") from None
        links.append((path, name))
    elif member.islnk():
        try:
            source_parts = _member_parts(tarfile.TarInfo(member.linkname), root)
        except SnapshotIntegrityError:
            raise SnapshotIntegrityError(
                f"tar member {name!r} hard-links {member.linkname!r}, outside the archive root"
            ) from None
        if source_parts is None:
            raise SnapshotIntegrityError(f"tar member {name!r} hard-links a directory")
        source = _parent_is_real(dest, source_parts, name, create=False)
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
            _write_file(path, content, source_mode, name)
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
    directories: list[tuple[Path, tarfile.TarInfo]] = []
    links: list[tuple[Path, str]] = []
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
                _extract_member(tar, member, dest, parts, root, directories, links)
    except tarfile.TarError as error:
        raise SnapshotIntegrityError(f"{src.name} is not a readable tar archive: {error}") from None
    real_dest = os.path.realpath(dest)
    for path, name in links:
        if not _inside(os.path.realpath(path), real_dest):
            raise SnapshotIntegrityError(f"tar member {name!r} links outside the archive root")
    for path, member in reversed(directories):
        os.chmod(path, member.mode & _PERMISSIONS | stat.S_IRWXU)
        os.utime(path, (member.mtime, member.mtime))
