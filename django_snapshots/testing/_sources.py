"""Test data for the encryption kits: generated plaintext and a source that must be streamed.

:class:`Source` serves chunks and fails any read that is unbounded (or larger than
16 MiB), so a backend that slurps its input fails the kit; :func:`generated` makes
large deterministic content on the fly, :func:`drain` reads a stream to its end and
:func:`damaged` spoils stored bytes in the ways a decoder must notice.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any, Final

__all__ = [
    "BINARY",
    "MARKER",
    "MIB",
    "Source",
    "SourceFailure",
    "damaged",
    "drain",
    "generated",
]

MIB: Final = 1024 * 1024
MARKER: Final = b"MARKER-7f3a9c-plaintext-must-not-leak"
"""Bytes that must never show in anything stored."""
BINARY: Final = bytes(range(256)) * 300 + MARKER
"""Every byte value, then the marker."""


class SourceFailure(Exception):
    """Raised by a source stream on purpose."""


class Source(io.RawIOBase):
    """A readable stream of generated chunks that must be read in bounded pieces."""

    def __init__(self, chunks: Iterator[bytes], fail_after: int | None = None) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""
        self._served = 0
        self._fail_after = fail_after

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > 16 * MIB:
            raise AssertionError(f"the source was read unbounded (size {size})")
        if self._fail_after is not None and self._served >= self._fail_after:
            raise SourceFailure("the source failed on purpose")
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending = chunk
        data, self._pending = self._pending[:size], self._pending[size:]
        self._served += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def generated(size: int) -> Iterator[bytes]:
    """Yield ``size`` deterministic bytes in 1 MiB chunks, made on the fly."""
    block = bytes(range(256)) * (MIB // 256)
    index = 0
    while index * MIB < size:
        yield (index.to_bytes(8, "big") + block[8:])[: size - index * MIB]
        index += 1


def drain(stream: IO[bytes]) -> bytes:
    """Read ``stream`` to its end in 1 MiB pieces."""
    return b"".join(iter(lambda: stream.read(MIB), b""))


def damaged(stored: bytes) -> dict[str, bytes]:
    """Return ``stored`` with a flipped byte, cut short, extended and emptied, by what was done."""
    flipped = bytearray(stored)
    flipped[len(flipped) // 2] ^= 0x01
    return {
        "a flipped byte": bytes(flipped),
        "the last byte cut": stored[:-1],
        "the second half cut": stored[: len(stored) // 2],
        "bytes appended": stored + b"appended",
        "nothing at all": b"",
    }
