"""Turn a blocking ``copy(reader, writer)`` function into a pulled stream.

pyrage encrypts with ``encrypt_io(reader, writer, ...)``: the call reads its input to
the end and writes its output, and only returns when done. A backup needs the other
shape: it hands storage a *readable* stream of ciphertext (storage pulls it).
:class:`PumpReader` runs the copy function in a worker thread and connects it to the
caller through a bounded queue of chunks, so memory stays bounded (a few
:data:`~django_snapshots.streams.CHUNK_SIZE` chunks) whatever the size of the stream.
(Decryption needs no thread: :mod:`~django_snapshots.encryption.agedecrypt` is pushed.)

Exceptions raised by the caller's source inside the worker come back to the caller
unchanged; the copy function's own errors are handed to an ``on_error`` callback that
turns them into the exception to raise. Closing the stream early stops the worker.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import IO, Any

from django_snapshots.encryption.channel import Channel, ChannelWriter, Stopped
from django_snapshots.streams import CHUNK_SIZE, binary

__all__ = ["CopyFunction", "PumpReader"]

CopyFunction = Callable[[IO[bytes], IO[bytes]], None]
"""Read the first stream to its end and write the transformed bytes to the second."""


class _Guarded(io.RawIOBase):
    """Read a caller's stream in CHUNK_SIZE pieces, remembering its first exception.

    pyrage reads 8 KiB at a time; batching the caller's stream into 1 MiB calls keeps
    the per-call cost of its stages (zstd, hashing, file I/O) low.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self.stream: IO[bytes] = stream
        self.error: BaseException | None = None
        self._pending = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._offset >= len(self._pending):
            try:
                self._pending = self.stream.read(CHUNK_SIZE) or b""
            except BaseException as error:
                self.error = self.error or error
                raise
            self._offset = 0
        end = len(self._pending) if size is None or size < 0 else self._offset + size
        data = self._pending[self._offset : end]
        self._offset += len(data)
        return data


class _Outcome:
    """What the worker thread left behind: its error, if any."""

    def __init__(self) -> None:
        self.error: BaseException | None = None


def _run(
    copy: CopyFunction,
    reader: IO[bytes],
    writer: IO[bytes],
    outcome: _Outcome,
    done: Callable[[], None],
) -> None:
    """Thread body: run ``copy``, flush, record any error, then call ``done``."""
    try:
        copy(reader, writer)
        writer.flush()
    except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
        outcome.error = error
    finally:
        done()


def _resolve(
    outcome: _Outcome, guarded: _Guarded, on_error: Callable[[BaseException], BaseException]
) -> BaseException | None:
    """Return the exception the caller should see, or None if the copy succeeded."""
    if guarded.error is not None:
        return guarded.error
    if outcome.error is not None:
        return on_error(outcome.error)
    return None


class PumpReader(io.RawIOBase):
    """A readable stream of what ``copy(source, ...)`` writes, run in a worker thread.

    Read it to the end (``b""``): only then has the copy finished successfully; any
    failure is raised by the read that would otherwise have returned the end. Close it
    to stop the worker early. ``source`` is read by the worker thread only.
    """

    def __init__(
        self,
        copy: CopyFunction,
        source: IO[bytes],
        on_error: Callable[[BaseException], BaseException],
        *,
        name: str = "pump",
    ) -> None:
        """Start copying ``source``; ``on_error`` maps the copy function's own errors."""
        super().__init__()
        self._channel = Channel()
        self._source = _Guarded(source)
        self._outcome = _Outcome()
        self._on_error = on_error
        self._pending = b""
        self._offset = 0
        # The thread must not hold a reference to self, so an abandoned reader is
        # garbage-collected, and closing it stops the worker.
        self._thread = threading.Thread(
            target=_run,
            args=(
                copy,
                binary(self._source),
                binary(ChannelWriter(self._channel)),
                self._outcome,
                self._channel.finish,
            ),
            name=name,
            daemon=True,
        )
        self._thread.start()

    def readable(self) -> bool:
        """Return True: this stream is read from."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes (the next chunk if negative); ``b""`` at the end."""
        if self.closed:
            raise ValueError("read from a closed stream")
        if self._offset >= len(self._pending):
            self._pending, self._offset = self._next_chunk(), 0
            if not self._pending:
                return b""
        end = len(self._pending) if size is None or size < 0 else self._offset + size
        data = self._pending[self._offset : end]
        self._offset += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes; return how many."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def _next_chunk(self) -> bytes:
        """Return the next queued chunk, or raise the copy's failure at its end."""
        try:
            chunk = self._channel.get()
        except Stopped:
            raise ValueError("read from a closed stream") from None
        if chunk:
            return chunk
        self._thread.join()
        error = _resolve(self._outcome, self._source, self._on_error)
        if error is not None:
            raise error
        return b""

    def close(self) -> None:
        """Stop the worker (if still copying) and close the stream."""
        if not self.closed:
            self._channel.abandon()
            self._thread.join()
        super().close()
