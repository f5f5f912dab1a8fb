"""Small composable stream stages: compress, decompress, hash, (encrypt).

A backup pulls an artifact through *reader* stages: the plain file is wrapped by
:func:`compressing_reader`, then by :class:`HashingReader`, and the storage backend
reads the result, so the file is compressed, hashed and stored in one pass with
bounded memory. A restore pushes the stored bytes through *writer* stages:
:class:`HashingWriter` counts and hashes what storage holds, then forwards it to
:func:`decompressing_writer`, which writes the plain file.

Encryption slots in as one more stage on each side (a reader that encrypts between
compression and hashing; a writer that decrypts between hashing and decompression),
without touching artifacts, which only ever see plain files.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final, Literal, cast

import zstandard

from django_snapshots.exceptions import SnapshotIntegrityError

__all__ = [
    "CHUNK_SIZE",
    "CODEC_SUFFIXES",
    "Codec",
    "ExportPipe",
    "HashingReader",
    "HashingWriter",
    "IteratorReader",
    "binary",
    "compressing_reader",
    "decompressing_writer",
    "detect_codec",
    "iter_chunks",
    "sniff_codec",
]

CHUNK_SIZE: Final = 1024 * 1024
"""Bytes moved at a time by every stage (1 MiB)."""

Codec = Literal["zstd", "gzip", "none"]
"""How a stored artifact is compressed."""

CODEC_SUFFIXES: Final[Mapping[Codec, str]] = {"zstd": ".zst", "gzip": ".gz", "none": ""}
"""File name suffix of each codec."""

ZSTD_LEVEL: Final = 3
"""zstd level used for new artifacts: fast, and close to gzip -6 in ratio."""

_MAGIC: Final[tuple[tuple[bytes, Codec], ...]] = (
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x1f\x8b", "gzip"),
)

ProgressHook = Callable[[int], None]
"""Receives the number of bytes handled so far."""


def binary(stream: io.RawIOBase) -> IO[bytes]:
    """Return ``stream`` typed as the ``IO[bytes]`` that storage backends accept.

    The stages here implement the part of ``IO[bytes]`` that streaming code uses
    (``read``/``readinto`` or ``write``, ``close``), but are ``io.RawIOBase`` subclasses.
    """
    return cast("IO[bytes]", stream)


def iter_chunks(stream: IO[bytes], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield ``stream`` in pieces of at most ``size`` bytes until it is exhausted."""
    while chunk := stream.read(size):
        yield chunk


def sniff_codec(head: bytes) -> Codec:
    """Return the codec that the first bytes of a stored file announce."""
    for magic, codec in _MAGIC:
        if head.startswith(magic):
            return codec
    return "none"


def detect_codec(metadata: Mapping[str, Any], head: bytes) -> Codec:
    """Return the codec recorded in artifact ``metadata``, else the one ``head`` shows.

    django-snapshots 0.1.0b1 recorded no codec: its ``.gz`` files are recognised by
    their magic bytes, and anything unrecognised is taken as uncompressed.
    """
    recorded = metadata.get("compression")
    if recorded in ("zstd", "gzip", "none"):
        return recorded  # type: ignore[no-any-return]
    if recorded is not None:
        raise SnapshotIntegrityError(f"unknown compression {recorded!r} in artifact metadata")
    return sniff_codec(head)


class HashingReader(io.RawIOBase):
    """Pass reads through from ``source`` while counting and sha256-hashing them."""

    def __init__(
        self, source: IO[bytes], progress: ProgressHook | None = None, *, hashing: bool = True
    ) -> None:
        """Wrap ``source``; ``progress`` gets the byte count; ``hashing=False`` only counts."""
        super().__init__()
        self.source: IO[bytes] = source
        """The stream read from."""
        self.size: int = 0
        """Bytes read so far."""
        self._hash = hashlib.sha256()
        self._hashing = hashing
        self._progress = progress

    @property
    def checksum(self) -> str:
        """Return ``"sha256:<hex>"`` of everything read so far."""
        return f"sha256:{self._hash.hexdigest()}"

    def readable(self) -> bool:
        """Return True: this stage is read from."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all if negative) from the source, hashing them."""
        data = self.source.read(CHUNK_SIZE if size is None or size < 0 else size)
        if data:
            if self._hashing:
                self._hash.update(data)
            self.size += len(data)
            if self._progress is not None:
                self._progress(self.size)
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the source, hashing the bytes."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class HashingWriter(io.RawIOBase):
    """Count and sha256-hash what is written, then forward it to ``sink``."""

    def __init__(
        self, sink: IO[bytes] | io.RawIOBase, progress: ProgressHook | None = None
    ) -> None:
        """Forward to ``sink``; ``progress`` is called with the running byte count."""
        super().__init__()
        self.sink: IO[bytes] | io.RawIOBase = sink
        """The stream written to."""
        self.size: int = 0
        """Bytes written so far."""
        self._hash = hashlib.sha256()
        self._progress = progress

    @property
    def checksum(self) -> str:
        """Return ``"sha256:<hex>"`` of everything written so far."""
        return f"sha256:{self._hash.hexdigest()}"

    def writable(self) -> bool:
        """Return True: this stage is written to."""
        return True

    def write(self, data: Any) -> int:
        """Hash and forward ``data``; return its length."""
        view = memoryview(data).cast("B")
        self._hash.update(view)
        self.size += len(view)
        self.sink.write(view)
        if self._progress is not None:
            self._progress(self.size)
        return len(view)


class IteratorReader(io.RawIOBase):
    """A readable stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        """Read from ``chunks``, which is consumed lazily."""
        super().__init__()
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        """Return True: this stage is read from."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes (the next chunk if negative); b"" at the end."""
        if not self._pending:
            self._pending = next(self._chunks, b"")
        if size is None or size < 0 or size >= len(self._pending):
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class ExportPipe:
    """A named pipe at ``path`` that one producer writes while this process reads it.

    The reading end and a spare writing end are opened up front, so the reader never
    blocks on ``open`` and sees end-of-file only after :meth:`close_writer` is called
    (once the producer is done, whether it opened the pipe or not). Use as a context
    manager; leaving it closes both ends and removes the pipe.
    """

    def __init__(self, path: Path) -> None:
        """Create the pipe at ``path`` (which must not exist)."""
        self.path: Path = path
        os.mkfifo(path, 0o600)
        read_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._spare_writer: int | None = os.open(path, os.O_WRONLY)
        os.set_blocking(read_fd, True)
        with contextlib.suppress(OSError, ImportError, AttributeError):
            import fcntl

            # Larger pipe buffers mean fewer switches between producer and reader.
            fcntl.fcntl(read_fd, fcntl.F_SETPIPE_SZ, CHUNK_SIZE)
        self.reader: IO[bytes] = os.fdopen(read_fd, "rb", buffering=CHUNK_SIZE)
        """The reading end."""
        self._lock = threading.Lock()

    def close_writer(self) -> None:
        """Drop the spare writing end: the reader sees EOF once the producer closes too."""
        with self._lock:
            fd, self._spare_writer = self._spare_writer, None
        if fd is not None:
            os.close(fd)

    def drain(self) -> None:
        """Read and drop everything until end-of-file, so a producer never blocks."""
        while self.reader.read(CHUNK_SIZE):
            pass

    def __enter__(self) -> ExportPipe:
        """Return the pipe."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close both ends and remove the pipe."""
        self.close_writer()
        self.reader.close()
        self.path.unlink(missing_ok=True)


ZSTD_WORKERS: Final = 2
"""zstd worker threads per artifact: enough to keep compression off the critical path."""

ZSTD_JOB_BYTES: Final = 2 * 1024 * 1024
"""Input handed to one zstd worker at a time; small jobs keep memory bounded."""


def _zstd_parameters() -> zstandard.ZstdCompressionParameters:
    """Return level-3 parameters with a bounded number of workers and job size."""
    workers = min(ZSTD_WORKERS, os.cpu_count() or 1)
    return zstandard.ZstdCompressionParameters(
        compression_level=ZSTD_LEVEL, threads=workers if workers > 1 else 0, job_size=ZSTD_JOB_BYTES
    )


def compressing_reader(source: IO[bytes], codec: Codec) -> IO[bytes]:
    """Return a stream whose reads are ``source`` compressed with ``codec``.

    zstd runs on at most :data:`ZSTD_WORKERS` threads with :data:`ZSTD_JOB_BYTES` jobs,
    so memory stays bounded (about 20 MB per artifact) whatever the file size.
    """
    if codec == "none":
        return source
    if codec == "zstd":
        compressor = zstandard.ZstdCompressor(compression_params=_zstd_parameters())
        reader = compressor.stream_reader(source, read_size=CHUNK_SIZE, closefd=False)
        return cast("IO[bytes]", reader)
    raise ValueError(f"cannot write {codec!r} artifacts; use 'zstd' or 'none'")


class _GzipWriter(io.RawIOBase):
    """Decompress gzip (one or more members) written to it into ``sink``."""

    def __init__(self, sink: IO[bytes]) -> None:
        super().__init__()
        self._sink = sink
        self._inflate = zlib.decompressobj(wbits=31)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        pending = bytes(data)
        size = len(pending)
        while True:
            # Cap each step's output so a small input cannot expand without bound.
            out = self._inflate.decompress(pending, CHUNK_SIZE)
            self._sink.write(out)
            if self._inflate.eof:
                # A concatenated member may follow: start a fresh decompressor.
                pending = self._inflate.unused_data
                self._inflate = zlib.decompressobj(wbits=31)
                if not pending:
                    break
                continue
            pending = self._inflate.unconsumed_tail
            if not pending and len(out) < CHUNK_SIZE:
                break
        return size

    def close(self) -> None:
        if not self.closed and not self._sink.closed:  # see _ZstdWriter.close
            self._sink.write(self._inflate.flush())
        super().close()


_INFLATED_WRITE_SIZE: Final = 256 * 1024
"""Bytes of plain output per write into the sink when decompressing zstd.

Measured (benchmarks/encryption_bench.py): 1 MiB writes fed by 1 MiB inputs make
zstd's decompression about 3x slower in a fresh process than 256 KiB ones.
"""


class _ZstdWriter(io.RawIOBase):
    """Decompress zstd (one or more frames) written to it into ``sink``."""

    def __init__(self, sink: IO[bytes]) -> None:
        super().__init__()
        self._sink = sink
        self._decompressor = zstandard.ZstdDecompressor()
        self._writer: Any = self._decompressor.stream_writer(
            sink, write_size=_INFLATED_WRITE_SIZE, closefd=False
        )

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._writer.write(data)
        return len(memoryview(data).cast("B"))

    def close(self) -> None:
        # A sink closed first means the writer was abandoned on an error path (closed
        # again by the garbage collector): there is nowhere left to flush to.
        if not self.closed and not self._sink.closed:
            self._writer.flush()
            self._writer.close()
        super().close()


def decompressing_writer(sink: IO[bytes], codec: Codec) -> IO[bytes]:
    """Return a stream that decompresses what is written to it into ``sink``.

    Close the returned stream to flush it; ``sink`` stays open. Corrupt input raises
    ``zstandard.ZstdError`` or ``zlib.error`` (callers turn them into integrity errors).
    """
    if codec == "none":
        return sink
    if codec == "zstd":
        return binary(_ZstdWriter(sink))
    return binary(_GzipWriter(sink))
