"""Pool codecs: the transform every stored pool object (pack, index) passes through.

A codec works on whole streams, the same shape as the engine's stream stages: an
*encoding reader* wraps the plain object for upload, a *decoding writer* turns the
stored bytes back into the plain object. Content inside a pack is already compressed
blob by blob, so the default codec is :class:`IdentityCodec`; :class:`ZstdCodec`
exists for storages that gain from it and as a working example of a transforming codec.
An encryption codec (``encrypting_reader`` / ``decrypting_writer``) has the same shape.
"""

from __future__ import annotations

import io
import re
from typing import IO, Any, Final, cast

import zstandard
from typing_extensions import Protocol, runtime_checkable

__all__ = ["IdentityCodec", "PoolCodec", "ZstdCodec", "check_codec_name"]

_NAME: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CHUNK: Final = 1024 * 1024


@runtime_checkable
class PoolCodec(Protocol):
    """A reversible transform of whole pool objects (compression, encryption)."""

    name: str
    """Recorded in the pool's ``config.json``; lowercase letters, digits and ``-``."""

    def encoding_reader(self, source: IO[bytes]) -> IO[bytes]:
        """Return a stream whose reads are ``source`` encoded."""
        ...

    def decoding_writer(self, sink: IO[bytes]) -> IO[bytes]:
        """Return a stream that decodes what is written into ``sink``.

        Closing it flushes the rest and must raise if the input was incomplete or
        corrupt; ``sink`` stays open.
        """
        ...


def check_codec_name(name: str) -> str:
    """Return ``name`` if it is a valid codec name, else raise ``ValueError``."""
    if _NAME.fullmatch(name) is None:
        raise ValueError(f"pool codec name {name!r} must be lowercase letters, digits and '-'")
    return name


class _Passthrough(io.RawIOBase):
    """Forward writes to ``sink``; closing does not close it."""

    def __init__(self, sink: IO[bytes]) -> None:
        super().__init__()
        self._sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._sink.write(view)
        return len(view)


class IdentityCodec:
    """Store pool objects as they are."""

    def __init__(self) -> None:
        """Create the codec."""
        self.name: str = "identity"

    def __repr__(self) -> str:
        """Return ``IdentityCodec()``."""
        return "IdentityCodec()"

    def encoding_reader(self, source: IO[bytes]) -> IO[bytes]:
        """Return ``source`` itself."""
        return source

    def decoding_writer(self, sink: IO[bytes]) -> IO[bytes]:
        """Return a stream forwarding to ``sink`` (closing it leaves ``sink`` open)."""
        return cast("IO[bytes]", _Passthrough(sink))


class _ZstdDecoder(io.RawIOBase):
    """Decompress one zstd stream written to it into ``sink``; refuse a truncated one."""

    def __init__(self, sink: IO[bytes]) -> None:
        super().__init__()
        self._sink = sink
        self._decompressor: Any = zstandard.ZstdDecompressor().decompressobj()
        self._finished = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if self._finished and len(view):
            raise zstandard.ZstdError("data after the end of the zstd stream")
        out = self._decompressor.decompress(bytes(view))
        if out:
            self._sink.write(out)
        self._finished = bool(self._decompressor.eof)
        return len(view)

    def close(self) -> None:
        if not self.closed:
            complete = self._finished
            super().close()
            if not complete:
                raise zstandard.ZstdError("the zstd stream is truncated")


class ZstdCodec:
    """Compress whole pool objects with zstd (level 3 by default)."""

    def __init__(self, level: int = 3) -> None:
        """Compress at ``level``."""
        self.name: str = "zstd"
        self.level: int = level

    def __repr__(self) -> str:
        """Return ``ZstdCodec(level)``."""
        return f"ZstdCodec({self.level})"

    def encoding_reader(self, source: IO[bytes]) -> IO[bytes]:
        """Return a stream of ``source`` compressed."""
        compressor = zstandard.ZstdCompressor(level=self.level)
        reader = compressor.stream_reader(source, read_size=_CHUNK, closefd=False)
        return cast("IO[bytes]", reader)

    def decoding_writer(self, sink: IO[bytes]) -> IO[bytes]:
        """Return a stream decompressing into ``sink``; closing checks the stream ended."""
        return cast("IO[bytes]", _ZstdDecoder(sink))
