"""The archive format's tar stream: ``manifest.json`` first, then the artifact files."""

from __future__ import annotations

import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from django_snapshots.exceptions import SnapshotIntegrityError
from django_snapshots.layout.paths import archive_path
from django_snapshots.manifest import MANIFEST_FILENAME
from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage
from django_snapshots.streams import IteratorReader, binary, iter_chunks

__all__ = ["write_archive"]

_TAR_BLOCK: Final = 512
_TAR_RECORD: Final = 20 * _TAR_BLOCK


def _tar_header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


def _padding(size: int) -> bytes:
    return b"\0" * (-size % _TAR_BLOCK)


def _tar_chunks(manifest: bytes, files: list[tuple[str, Path]]) -> Iterator[bytes]:
    """Yield an uncompressed PAX tar: ``manifest.json`` first, then ``files``."""
    now = time.time()
    header = _tar_header(MANIFEST_FILENAME, len(manifest), now)
    yield header + manifest + _padding(len(manifest))
    written = len(header) + len(manifest) + len(_padding(len(manifest)))
    for arcname, path in files:
        with open(path, "rb") as source:
            size = path.stat().st_size
            header = _tar_header(arcname, size, now)
            yield header
            copied = 0
            for chunk in iter_chunks(source):
                copied += len(chunk)
                if copied > size:
                    raise SnapshotIntegrityError(f"{arcname!r} grew while it was archived")
                yield chunk
            if copied != size:
                raise SnapshotIntegrityError(f"{arcname!r} shrank while it was archived")
            yield _padding(size)
            written += len(header) + size + len(_padding(size))
    end = b"\0" * (2 * _TAR_BLOCK)
    written += len(end)
    yield end + b"\0" * (-written % _TAR_RECORD)


def write_archive(
    storage: SnapshotStorage, name: str, manifest: bytes, files: list[tuple[str, Path]]
) -> None:
    """Store archive ``<name>.tar`` holding ``manifest`` first, then each ``(arcname, file)``.

    The tar is generated while it is stored (never built on disk first). The
    advanced tier replaces an old archive atomically; the basic tier's ``write``
    contract keeps the old one if the write fails.
    """
    chunks = _tar_chunks(manifest, files)
    if isinstance(storage, AdvancedSnapshotStorage):
        storage.stream_write(archive_path(name), chunks)
    else:
        storage.write(archive_path(name), binary(IteratorReader(chunks)))
