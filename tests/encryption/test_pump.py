"""The pump: a blocking copy function turned into a pulled stream."""

from __future__ import annotations

import gc
import io
import threading
import time
from typing import IO

import pytest

from django_snapshots.encryption.pump import PumpReader
from django_snapshots.streams import CHUNK_SIZE, binary, iter_chunks


class CopyFailed(Exception):
    """The copy function's own error."""


class Mapped(Exception):
    """What on_error turns a copy error into."""


def upper(reader: IO[bytes], writer: IO[bytes]) -> None:
    """Copy ``reader`` to ``writer`` in 8 KiB steps, upper-cased (like pyrage, in small reads)."""
    while chunk := reader.read(8192):
        writer.write(chunk.upper())


def fail_after_some(reader: IO[bytes], writer: IO[bytes]) -> None:
    """Copy a little, then fail as pyrage does on bad input."""
    writer.write(reader.read(10))
    raise CopyFailed("decryption error")


def mapped(error: BaseException) -> BaseException:
    """Wrap the copy's error."""
    return Mapped(f"mapped: {error}")


class Exploding(io.RawIOBase):
    """A stream that fails on the first read."""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        raise OSError("the disk went away")


def _workers() -> int:
    """Return how many pump threads are alive."""
    return sum(1 for thread in threading.enumerate() if thread.name.startswith("test-pump"))


DATA = b"abcdefghij" * 500_000


def test_reader_yields_the_transformed_stream_in_bounded_chunks() -> None:
    """Reading a PumpReader gives exactly the copy's output, never more than asked per read."""
    reader = PumpReader(upper, io.BytesIO(DATA), mapped, name="test-pump")
    pieces = list(iter_chunks(binary(reader), 1000))
    assert b"".join(pieces) == DATA.upper()
    assert max(map(len, pieces)) == 1000
    reader.close()
    assert _workers() == 0


def test_reader_whole_chunks_and_readinto() -> None:
    """read(-1) returns one queued chunk of at most CHUNK_SIZE; readinto fills a buffer."""
    reader = PumpReader(upper, io.BytesIO(DATA), mapped, name="test-pump")
    first = reader.read()
    assert 0 < len(first) <= CHUNK_SIZE
    buffer = bytearray(100)
    assert reader.readinto(buffer) == 100
    rest = b"".join(iter_chunks(binary(reader)))
    assert first + bytes(buffer) + rest == DATA.upper()


def test_reader_raises_the_mapped_copy_error_instead_of_the_end() -> None:
    """A copy that fails makes the read that would have ended raise on_error's exception."""
    reader = PumpReader(fail_after_some, io.BytesIO(DATA), mapped, name="test-pump")
    with pytest.raises(Mapped, match="mapped: decryption error"):
        b"".join(iter_chunks(binary(reader)))


def test_reader_passes_the_source_error_through_unchanged() -> None:
    """An exception of the caller's source reaches the reader as itself, not mapped."""
    reader = PumpReader(upper, binary(Exploding()), mapped, name="test-pump")
    with pytest.raises(OSError, match="the disk went away"):
        reader.read(10)


def test_closing_or_dropping_a_half_read_reader_stops_its_worker() -> None:
    """Closing a reader mid-stream, or dropping it, ends the worker thread."""
    endless = io.BytesIO(DATA * 20)
    reader = PumpReader(upper, endless, mapped, name="test-pump")
    assert reader.read(10) == b"ABCDEFGHIJ"
    reader.close()
    assert _workers() == 0
    with pytest.raises(ValueError, match="closed"):
        reader.read(10)
    dropped = PumpReader(upper, io.BytesIO(DATA * 20), mapped, name="test-pump")
    dropped.read(10)
    del dropped
    gc.collect()
    deadline = time.monotonic() + 10
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _workers() == 0
