"""Small storage helpers the pool modules share: store a stream, learn a stored size."""

from __future__ import annotations

import contextlib
import io
from typing import IO

from django_snapshots.storage.protocols import AdvancedSnapshotStorage, SnapshotStorage
from django_snapshots.streams import iter_chunks

__all__ = ["put", "put_bytes", "stored_size"]


def put(storage: SnapshotStorage, path: str, stream: IO[bytes]) -> None:
    """Store everything readable from ``stream`` at ``path`` (atomically where possible)."""
    if isinstance(storage, AdvancedSnapshotStorage):
        storage.stream_write(path, iter_chunks(stream))
    else:
        storage.write(path, stream)


def put_bytes(storage: SnapshotStorage, path: str, data: bytes) -> None:
    """Store ``data`` at ``path``."""
    put(storage, path, io.BytesIO(data))


def stored_size(storage: SnapshotStorage, path: str) -> int | None:
    """Return the size of the stored file at ``path`` without reading it, if the backend tells.

    Uses the stream's ``size`` (Django files) or a seek to its end; None when the stream
    offers neither. Raise :class:`~django_snapshots.SnapshotNotFoundError` if it is missing.
    """
    with storage.read(path) as stream:
        size = getattr(stream, "size", None)
        if isinstance(size, int) and not isinstance(size, bool):
            return size
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if stream.seekable():
                return stream.seek(0, io.SEEK_END)
    return None
