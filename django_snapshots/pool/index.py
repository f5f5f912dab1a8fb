"""Index files: which blobs each pack holds, so nothing needs to open a pack to find one.

An index file is zstd-compressed JSON Lines, then passed through the pool codec::

    {"format": "django-snapshots-pool-index", "version": 1}
    {"pack": "<id>", "size": 16790321, "sha256": "sha256:<hex>", "blobs": [[id, offset,
     length, plain_length, flags], ...]}
    {"end": true, "packs": 1}

A backup writes one when it ends (and one per 256 packs on the way); garbage collection
replaces them all by one. A blob listed twice (two backups stored the same content at
once) is found at its first location; collection drops the other copy.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, cast

import zstandard

from django_snapshots.exceptions import SnapshotIntegrityError, SnapshotNotFoundError
from django_snapshots.pool.codec import PoolCodec
from django_snapshots.pool.layout import PoolPaths, is_object_id
from django_snapshots.pool.packs import BlobRecord, PackRecord, new_object_id
from django_snapshots.pool.storeio import put
from django_snapshots.pool.tables import BlobLocation, IdSet, LocationTable
from django_snapshots.storage.protocols import SnapshotStorage
from django_snapshots.streams import iter_chunks

__all__ = [
    "INDEX_FORMAT",
    "IndexBuilder",
    "PoolIndex",
    "download_index",
    "iter_index_file",
    "list_index_files",
    "load_ids",
    "load_index",
    "read_local_index",
]

INDEX_FORMAT: Final = "django-snapshots-pool-index"
_VERSION: Final = 1


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode() + b"\n"


class IndexBuilder:
    """Write pack records into a local index file; :meth:`upload` stores it."""

    def __init__(self, folder: Path) -> None:
        """Start an index file inside ``folder``."""
        fd, name = tempfile.mkstemp(prefix="index-", dir=folder)
        self.path: Path = Path(name)
        self._file: IO[bytes] = os.fdopen(fd, "wb")
        self._writer: Any = zstandard.ZstdCompressor(level=3).stream_writer(
            self._file, closefd=False
        )
        self.packs: int = 0
        self._writer.write(_line({"format": INDEX_FORMAT, "version": _VERSION}))

    def add(self, record: PackRecord) -> None:
        """Append one pack's record."""
        self._writer.write(
            _line(
                {
                    "pack": record.pack_id,
                    "size": record.size,
                    "sha256": record.sha256,
                    "blobs": [blob.to_json() for blob in record.blobs],
                }
            )
        )
        self.packs += 1

    def upload(self, storage: SnapshotStorage, paths: PoolPaths, codec: PoolCodec) -> str:
        """Close the file, store it through ``codec`` under a new id; return the storage path."""
        self._writer.write(_line({"end": True, "packs": self.packs}))
        self._writer.close()
        self._file.close()
        path = paths.index(new_object_id())
        with self.path.open("rb") as source:
            put(storage, path, codec.encoding_reader(source))
        self.path.unlink()
        return path

    def discard(self) -> None:
        """Close and remove the local file."""
        self._file.close()
        self.path.unlink(missing_ok=True)


def list_index_files(storage: SnapshotStorage, paths: PoolPaths) -> list[str]:
    """Return the storage paths of the pool's index files, sorted."""
    return [path for path in storage.list(paths.indexes) if paths.index_id(path) is not None]


def _parse_pack(data: dict[str, Any], where: str) -> PackRecord:
    pack_id, size, checksum, blobs = (data.get(key) for key in ("pack", "size", "sha256", "blobs"))
    if not (
        is_object_id(pack_id)
        and isinstance(size, int)
        and isinstance(checksum, str)
        and checksum.startswith("sha256:")
        and isinstance(blobs, list)
    ):
        raise SnapshotIntegrityError(f"{where}: malformed pack record")
    records = tuple(BlobRecord.from_json(item, where) for item in cast("list[object]", blobs))
    return PackRecord(str(pack_id), size, checksum, records)


def download_index(storage: SnapshotStorage, codec: PoolCodec, path: str, dest: Path) -> None:
    """Download the index file at ``path`` and decode it (codec only) into ``dest``."""
    try:
        with storage.read(path) as source, dest.open("wb") as out:
            decoder = codec.decoding_writer(out)
            for chunk in iter_chunks(source):
                decoder.write(chunk)
            decoder.close()
    except SnapshotNotFoundError:
        raise
    except (ValueError, OSError, zstandard.ZstdError) as error:
        raise SnapshotIntegrityError(f"pool index {path!r} cannot be decoded: {error}") from None


def iter_index_file(
    storage: SnapshotStorage, codec: PoolCodec, path: str, scratch: Path
) -> Iterator[PackRecord]:
    """Yield the pack records of the index file at ``path``, checking it is complete."""
    local = Path(tempfile.mkstemp(prefix="index-", dir=scratch)[1])
    try:
        download_index(storage, codec, path, local)
        yield from read_local_index(local, path)
    finally:
        local.unlink(missing_ok=True)


def read_local_index(local: Path, path: str) -> Iterator[PackRecord]:
    """Yield the pack records of a downloaded index file (``path`` names it in messages)."""
    packs = 0
    with local.open("rb") as raw:
        reader = zstandard.ZstdDecompressor().stream_reader(raw)
        lines = io.BufferedReader(reader)
        try:
            for number, line in enumerate(lines, start=1):
                where = f"pool index {path!r} line {number}"
                try:
                    data = json.loads(line)
                except ValueError:
                    raise SnapshotIntegrityError(f"{where} is not JSON") from None
                if not isinstance(data, dict):
                    raise SnapshotIntegrityError(f"{where} is not an object")
                if number == 1:
                    if data.get("format") != INDEX_FORMAT or data.get("version") != _VERSION:  # pyright: ignore[reportUnknownMemberType]
                        raise SnapshotIntegrityError(f"{where} is not a version 1 index header")
                    continue
                if data.get("end") is True:  # pyright: ignore[reportUnknownMemberType]
                    if data.get("packs") != packs:  # pyright: ignore[reportUnknownMemberType]
                        raise SnapshotIntegrityError(f"{where}: the pack count does not match")
                    return
                packs += 1
                yield _parse_pack(data, where)  # pyright: ignore[reportUnknownArgumentType]
        except zstandard.ZstdError as error:
            raise SnapshotIntegrityError(f"pool index {path!r} is corrupt: {error}") from None
    raise SnapshotIntegrityError(f"pool index {path!r} is truncated")


@dataclass
class PoolIndex:
    """Every blob location the pool's index files list, and the packs they name."""

    locations: LocationTable = field(default_factory=LocationTable)
    packs: dict[str, tuple[int, str]] = field(default_factory=dict[str, tuple[int, str]])
    """Stored ``(size, sha256)`` of each indexed pack."""
    files: list[str] = field(default_factory=list[str])
    """The index files read."""

    def pack_record(self, pack_id: str) -> PackRecord:
        """Return the record of an indexed pack (without its blobs)."""
        size, checksum = self.packs[pack_id]
        return PackRecord(pack_id, size, checksum, ())

    def add(self, record: PackRecord) -> None:
        """Add one pack's blobs (first location of an id wins)."""
        self.packs.setdefault(record.pack_id, (record.size, record.sha256))
        number = self.locations.pack_number(record.pack_id)
        for blob in record.blobs:
            location = BlobLocation(number, blob.offset, blob.length, blob.plain_length, blob.flags)
            self.locations.add(bytes.fromhex(blob.id), location)


def load_ids(storage: SnapshotStorage, paths: PoolPaths, codec: PoolCodec, scratch: Path) -> IdSet:
    """Return the set of every content id the pool's index files list (about 32 B each)."""
    ids = IdSet()
    for path in list_index_files(storage, paths):
        for record in iter_index_file(storage, codec, path, scratch):
            for blob in record.blobs:
                ids.add(bytes.fromhex(blob.id))
    return ids


def load_index(
    storage: SnapshotStorage,
    paths: PoolPaths,
    codec: PoolCodec,
    scratch: Path,
    files: Iterable[str] | None = None,
) -> PoolIndex:
    """Read every index file of the pool (or ``files``) into a :class:`PoolIndex`."""
    index = PoolIndex()
    for path in list_index_files(storage, paths) if files is None else files:
        for record in iter_index_file(storage, codec, path, scratch):
            index.add(record)
        index.files.append(path)
    return index
