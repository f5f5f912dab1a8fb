"""A readable binary stream over an iterator of chunks (private)."""

from __future__ import annotations

import io
from collections.abc import Iterator

from typing_extensions import Buffer

__all__ = ["ChunkStream"]


class ChunkStream(io.RawIOBase):
    """Serve ``read`` calls from an iterator of byte chunks, holding one chunk at a time.

    Closing the stream closes the iterator (a generator's ``finally`` runs then).
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        """Read from ``chunks``."""
        super().__init__()
        self._chunks: Iterator[bytes] = chunks
        self._pending: memoryview = memoryview(b"")

    def readable(self) -> bool:
        """Return True: the stream is readable."""
        return True

    def readinto(self, buffer: Buffer) -> int:
        """Fill ``buffer`` from the current chunk (fetching the next when empty)."""
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        target = memoryview(buffer).cast("B")
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        """Close the stream and the chunk iterator."""
        if not self.closed:
            close = getattr(self._chunks, "close", None)
            if callable(close):
                close()
            self._pending = memoryview(b"")
        super().close()
