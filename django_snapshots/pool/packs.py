"""Packs: many blobs in one stored object, so tiny files do not become tiny objects.

A *blob* is one chunk of a file's content, zstd-compressed on its own (or kept as is
when compression does not shrink it). A decoded pack is::

    <blob 1 bytes><blob 2 bytes>...<header><u32 header length, big endian>b"DSP1"

where the header is zstd-compressed JSON ``{"blobs": [[id, offset, length,
plain_length, flags], ...]}``, the same records the index holds, so a pack describes
itself and a lost index can be rebuilt from the packs. The decoded pack passes through
the pool codec when stored; the stored object's size and sha256 are kept in the index,
so a fetch verifies a pack before anything uses it. Pack ids are random: names reveal
nothing, and two backups never write the same pack path.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, NamedTuple, cast

import zstandard

from django_snapshots.exceptions import SnapshotIntegrityError, SnapshotNotFoundError
from django_snapshots.pool.codec import PoolCodec
from django_snapshots.pool.ids import ContentIds, is_content_id
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.storeio import put
from django_snapshots.storage.protocols import SnapshotStorage
from django_snapshots.streams import HashingReader, HashingWriter, binary, iter_chunks

__all__ = [
    "COMPRESSED",
    "BlobRecord",
    "PackBuilder",
    "PackRecord",
    "decode_blob",
    "encode_blob",
    "fetch_pack",
    "new_object_id",
    "read_pack_header",
    "upload_pack",
]

COMPRESSED: Final = 1
"""Blob flag: the stored bytes are a zstd frame of the plain content."""

_MAGIC: Final = b"DSP1"
_FOOTER: Final = struct.Struct(">I4s")


class BlobRecord(NamedTuple):
    """One blob of a pack: its content id and where its bytes are."""

    id: str
    offset: int
    length: int
    """Stored length (after compression)."""
    plain_length: int
    flags: int

    def to_json(self) -> list[Any]:
        """Return the record as the JSON array packs and index files hold."""
        return [self.id, self.offset, self.length, self.plain_length, self.flags]

    @classmethod
    def from_json(cls, data: object, where: str) -> BlobRecord:
        """Parse a JSON array written by :meth:`to_json`; refuse anything malformed."""
        fast: list[Any] = data if type(data) is list else []  # pyright: ignore[reportUnknownVariableType]
        if len(fast) == 5:
            blob_id, offset, length, plain, flags = fast
            if (
                type(offset) is int
                and type(length) is int
                and type(plain) is int
                and type(flags) is int
                and min(offset, length, plain, flags) >= 0
                and is_content_id(blob_id)
            ):
                return cls(blob_id, offset, length, plain, flags)
        items = cast("list[object]", data) if isinstance(data, list) else []
        if len(items) == 5 and is_content_id(items[0]):
            numbers = [n for n in items[1:] if isinstance(n, int) and not isinstance(n, bool)]
            if len(numbers) == 4 and min(numbers) >= 0:
                offset, length, plain_length, flags = numbers
                return cls(str(items[0]), offset, length, plain_length, flags)
        raise SnapshotIntegrityError(f"{where}: malformed blob record {data!r}")


@dataclass(frozen=True)
class PackRecord:
    """A stored pack: its id, stored size and sha256, and its blobs."""

    pack_id: str
    size: int
    """Bytes stored (after the codec)."""
    sha256: str
    """``sha256:<hex>`` of the stored bytes."""
    blobs: tuple[BlobRecord, ...]


def new_object_id() -> str:
    """Return a fresh random id for a pack or index file (32 hex digits)."""
    return secrets.token_hex(16)


def encode_blob(compressor: zstandard.ZstdCompressor, data: bytes) -> tuple[bytes, int]:
    """Return the bytes to store for ``data`` and their flags (compressed only if smaller)."""
    packed = compressor.compress(data)
    if len(packed) < len(data):
        return packed, COMPRESSED
    return data, 0


def decode_blob(
    ids: ContentIds, blob: BlobRecord | tuple[str, int, int, int], data: bytes
) -> bytes:
    """Return the plain content of a stored blob, checking its length and content id.

    ``blob`` is ``(id, stored length, plain length, flags)`` or a :class:`BlobRecord`.
    """
    if isinstance(blob, BlobRecord):
        blob_id, length, plain_length, flags = blob.id, blob.length, blob.plain_length, blob.flags
    else:
        blob_id, length, plain_length, flags = blob
    if len(data) != length:
        raise SnapshotIntegrityError(f"pool blob {blob_id} is cut short")
    if flags & COMPRESSED:
        try:
            plain = zstandard.ZstdDecompressor().decompress(data, max_output_size=plain_length)
        except zstandard.ZstdError as error:
            raise SnapshotIntegrityError(
                f"pool blob {blob_id} cannot be decompressed: {error}"
            ) from None
    else:
        plain = data
    hasher = ids.hasher()
    hasher.update(plain)
    if len(plain) != plain_length or hasher.hexdigest() != blob_id:
        raise SnapshotIntegrityError(f"pool blob {blob_id} does not match its content id")
    return plain


class PackBuilder:
    """Collect blobs into a local file until the pack is sealed."""

    def __init__(self, folder: Path) -> None:
        """Start a pack in a new file inside ``folder``."""
        fd, name = tempfile.mkstemp(prefix="pack-", dir=folder)
        self.path: Path = Path(name)
        self._out: IO[bytes] = os.fdopen(fd, "wb")
        self.size: int = 0
        """Blob bytes written so far."""
        self.blobs: list[BlobRecord] = []

    def add(self, blob_id: str, plain_length: int, data: bytes, flags: int) -> None:
        """Append one blob's stored bytes."""
        self._out.write(data)
        self.blobs.append(BlobRecord(blob_id, self.size, len(data), plain_length, flags))
        self.size += len(data)

    def seal(self) -> Path:
        """Write the header and footer, close the file and return its path."""
        body = json.dumps({"blobs": [blob.to_json() for blob in self.blobs]}, separators=(",", ":"))
        header = zstandard.ZstdCompressor(level=3).compress(body.encode())
        self._out.write(header)
        self._out.write(_FOOTER.pack(len(header), _MAGIC))
        self._out.close()
        return self.path

    def discard(self) -> None:
        """Close and remove the local file."""
        self._out.close()
        self.path.unlink(missing_ok=True)


def upload_pack(
    storage: SnapshotStorage,
    paths: PoolPaths,
    codec: PoolCodec,
    local: Path,
    blobs: list[BlobRecord],
) -> PackRecord:
    """Store the sealed pack ``local`` under a new id through ``codec``; return its record."""
    pack_id = new_object_id()
    with local.open("rb") as source:
        reader = HashingReader(codec.encoding_reader(source))
        put(storage, paths.pack(pack_id), binary(reader))
    return PackRecord(pack_id, reader.size, reader.checksum, tuple(blobs))


def fetch_pack(
    storage: SnapshotStorage,
    paths: PoolPaths,
    codec: PoolCodec,
    record: PackRecord | None,
    dest: Path,
    pack_id: str,
) -> tuple[int, str]:
    """Download and decode pack ``pack_id`` into ``dest``; return its stored size and sha256.

    The stored bytes are checked against ``record`` when one is given.

    With ``record`` None (a pack no index knows) only the codec's own checks apply.
    Raise :class:`SnapshotNotFoundError` when the pack is missing and
    :class:`SnapshotIntegrityError` when its size or sha256 differ or it cannot be decoded.
    """
    path = paths.pack(pack_id)
    try:
        source = storage.read(path)
    except SnapshotNotFoundError:
        raise SnapshotNotFoundError(f"pool pack {path!r} is missing") from None
    try:
        with source, dest.open("wb") as out:
            decoder = codec.decoding_writer(out)
            hasher = HashingWriter(decoder)
            for chunk in iter_chunks(source):
                hasher.write(chunk)
                if record is not None and hasher.size > record.size:
                    break
            decoder.close()
    except SnapshotIntegrityError:
        raise
    except (ValueError, OSError, zstandard.ZstdError) as error:
        raise SnapshotIntegrityError(f"pool pack {path!r} cannot be decoded: {error}") from None
    if record is not None and (hasher.size, hasher.checksum) != (record.size, record.sha256):
        raise SnapshotIntegrityError(
            f"pool pack {path!r} is corrupt: {hasher.size} bytes with {hasher.checksum}, "
            f"the index records {record.size} bytes with {record.sha256}"
        )
    return hasher.size, hasher.checksum


def read_pack_header(local: Path) -> list[BlobRecord]:
    """Return the blob records a decoded pack's own header lists."""
    where = f"pool pack {local.name}"
    with local.open("rb") as pack:
        end = pack.seek(0, os.SEEK_END)
        if end < _FOOTER.size:
            raise SnapshotIntegrityError(f"{where} is too short to be a pack")
        pack.seek(end - _FOOTER.size)
        length, magic = _FOOTER.unpack(pack.read(_FOOTER.size))
        if magic != _MAGIC or length > end - _FOOTER.size:
            raise SnapshotIntegrityError(f"{where} has no pack footer")
        pack.seek(end - _FOOTER.size - length)
        raw = pack.read(length)
    try:
        data = json.loads(zstandard.ZstdDecompressor().decompress(raw))
    except (zstandard.ZstdError, ValueError):
        raise SnapshotIntegrityError(f"{where} has an unreadable header") from None
    items = cast("dict[str, object]", data).get("blobs") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SnapshotIntegrityError(f"{where} has a malformed header")
    blobs = [BlobRecord.from_json(item, where) for item in cast("list[object]", items)]
    limit = end - _FOOTER.size - length
    if any(blob.offset + blob.length > limit for blob in blobs):
        raise SnapshotIntegrityError(f"{where} lists a blob beyond its data")
    return blobs
