"""A bounded FIFO of byte chunks between two threads, and the worker's end of it.

:mod:`~django_snapshots.encryption.pump` connects a worker thread running a blocking
copy function to the caller through a :class:`Channel`: the worker writes to a
:class:`ChannelWriter`, the caller takes chunks, and memory stays bounded by
:data:`DEPTH` chunks whatever the size of the stream.
"""

from __future__ import annotations

import io
import threading
from collections import deque
from typing import Any, Final

from django_snapshots.streams import CHUNK_SIZE

__all__ = ["DEPTH", "Channel", "ChannelWriter", "Stopped"]

DEPTH: Final = 2
"""Chunks the queue between the threads holds at most."""


class Stopped(Exception):
    """The other end of a channel went away."""


class Channel:
    """A bounded FIFO of byte chunks between two threads, closable from either end."""

    def __init__(self) -> None:
        """Start empty and open at both ends."""
        self._items: deque[bytes] = deque()
        self._condition = threading.Condition()
        self._finished = False
        self._abandoned = False

    def put(self, chunk: bytes) -> None:
        """Queue ``chunk``, waiting while full; raise :class:`Stopped` if abandoned."""
        with self._condition:
            while len(self._items) >= DEPTH and not self._abandoned:
                self._condition.wait()
            if self._abandoned:
                raise Stopped
            self._items.append(chunk)
            self._condition.notify_all()

    def get(self) -> bytes:
        """Return the next chunk, waiting for one; ``b""`` once finished and drained."""
        with self._condition:
            while not self._items and not self._finished and not self._abandoned:
                self._condition.wait()
            if self._items:
                chunk = self._items.popleft()
                self._condition.notify_all()
                return chunk
            if self._abandoned:
                raise Stopped
            return b""

    def finish(self) -> None:
        """Mark that no chunk will be put any more (the producer is done)."""
        with self._condition:
            self._finished = True
            self._condition.notify_all()

    def abandon(self) -> None:
        """Drop queued chunks and wake both ends: the consumer went away."""
        with self._condition:
            self._abandoned = True
            self._items.clear()
            self._condition.notify_all()


class ChannelWriter(io.RawIOBase):
    """Collect what the worker writes into chunks of CHUNK_SIZE and queue them."""

    def __init__(self, channel: Channel) -> None:
        """Queue into ``channel``."""
        super().__init__()
        self._channel = channel
        self._buffer = bytearray()

    def writable(self) -> bool:
        """Return True: the worker writes to this end."""
        return True

    def write(self, data: Any) -> int:
        """Buffer ``data``, queueing each full chunk (waiting while the channel is full)."""
        view = memoryview(data).cast("B")
        self._buffer += view
        if len(self._buffer) >= CHUNK_SIZE:
            self._channel.put(bytes(self._buffer))
            self._buffer.clear()
        return len(view)

    def flush(self) -> None:
        """Queue what is buffered (the worker calls this once its copy succeeded)."""
        if self._buffer:
            self._channel.put(bytes(self._buffer))
            self._buffer.clear()

    def close(self) -> None:
        """Close without flushing: bytes still buffered belong to a failed copy."""
        self._buffer.clear()
        super().close()
