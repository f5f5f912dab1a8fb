"""Compact in-memory tables keyed by content id, for millions of ids.

A Python ``set`` of 32-byte ids costs about 110 bytes per id; these tables keep fixed
width records in 65,536 ``bytearray`` buckets chosen by the id's first two bytes (ids
are uniformly distributed digests), so an id costs its 30 remaining bytes plus its
payload. :class:`IdSet` is a set of ids; :class:`LocationTable` maps an id to where its
blob lives (pack number, offset, stored length, plain length, flags).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Final, NamedTuple

from django_snapshots.pool.ids import ID_BYTES

__all__ = ["BlobLocation", "IdSet", "LocationTable"]

_PREFIX: Final = 2
_TAIL: Final = ID_BYTES - _PREFIX
_LOCATION: Final = struct.Struct(">IQIIB")


class _Buckets:
    """Fixed-width records ``tail + payload`` in buckets keyed by the id's first bytes."""

    def __init__(self, payload: int) -> None:
        self.width: int = _TAIL + payload
        self.buckets: dict[int, bytearray] = {}
        self.count: int = 0

    def find(self, key: bytes) -> tuple[bytearray, int] | None:
        """Return ``(bucket, position)`` of the record for ``key``, or None."""
        if len(key) != ID_BYTES:
            raise ValueError(f"content ids are {ID_BYTES} bytes, got {len(key)}")
        bucket = self.buckets.get(int.from_bytes(key[:_PREFIX], "big"))
        if bucket is None:
            return None
        tail = key[_PREFIX:]
        start = 0
        while (found := bucket.find(tail, start)) >= 0:
            if found % self.width == 0:
                return bucket, found
            start = found + 1
        return None

    def append(self, key: bytes, payload: bytes) -> None:
        """Add a record (the caller checked that ``key`` is absent)."""
        number = int.from_bytes(key[:_PREFIX], "big")
        bucket = self.buckets.get(number)
        if bucket is None:
            bucket = self.buckets[number] = bytearray()
        bucket += key[_PREFIX:]
        bucket += payload
        self.count += 1

    def records(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield ``(key, payload)`` for every record, in no particular order."""
        for number, bucket in self.buckets.items():
            prefix = number.to_bytes(_PREFIX, "big")
            for start in range(0, len(bucket), self.width):
                record = bytes(bucket[start : start + self.width])
                yield prefix + record[:_TAIL], record[_TAIL:]


class IdSet:
    """A set of content ids (32-byte digests), about 32 bytes per id."""

    def __init__(self) -> None:
        """Create an empty set."""
        self._table = _Buckets(0)

    def __len__(self) -> int:
        """Return the number of ids."""
        return self._table.count

    def __contains__(self, key: object) -> bool:
        """Return True if ``key`` (32 bytes) is in the set."""
        return isinstance(key, bytes) and self._table.find(key) is not None

    def add(self, key: bytes) -> bool:
        """Add ``key``; return True if it was not there yet."""
        if self._table.find(key) is not None:
            return False
        self._table.append(key, b"")
        return True

    def __iter__(self) -> Iterator[bytes]:
        """Yield every id, in no particular order."""
        for key, _ in self._table.records():
            yield key


class BlobLocation(NamedTuple):
    """Where one blob is stored."""

    pack: int
    """Number of the pack in the table's pack list."""
    offset: int
    """Offset of the blob's stored bytes in the decoded pack."""
    length: int
    """Stored (possibly compressed) length."""
    plain_length: int
    """Length of the plain content."""
    flags: int
    """Bit 0: stored compressed with zstd."""


class LocationTable:
    """Map content ids to :class:`BlobLocation`, about 55 bytes per id.

    Packs are numbered in the order :meth:`pack_number` first sees them; the first
    location added for an id wins (later duplicates are ignored).
    """

    def __init__(self) -> None:
        """Create an empty table."""
        self._table = _Buckets(_LOCATION.size)
        self.packs: list[str] = []
        """Pack ids, indexed by pack number."""
        self._numbers: dict[str, int] = {}

    def __len__(self) -> int:
        """Return the number of ids."""
        return self._table.count

    def __contains__(self, key: object) -> bool:
        """Return True if ``key`` (32 bytes) has a location."""
        return isinstance(key, bytes) and self._table.find(key) is not None

    def pack_number(self, pack_id: str) -> int:
        """Return the number of ``pack_id``, assigning the next one if it is new."""
        number = self._numbers.get(pack_id)
        if number is None:
            number = self._numbers[pack_id] = len(self.packs)
            self.packs.append(pack_id)
        return number

    def add(self, key: bytes, location: BlobLocation) -> bool:
        """Record ``location`` for ``key``; return False (and keep the old) if known."""
        if self._table.find(key) is not None:
            return False
        self._table.append(key, _LOCATION.pack(*location))
        return True

    def items(self) -> Iterator[tuple[bytes, BlobLocation]]:
        """Yield ``(id, location)`` for every id, in no particular order."""
        for key, payload in self._table.records():
            yield key, BlobLocation(*_LOCATION.unpack(payload))

    def get(self, key: bytes) -> BlobLocation | None:
        """Return the location of ``key``, or None."""
        found = self._table.find(key)
        if found is None:
            return None
        bucket, position = found
        start = position + _TAIL
        return BlobLocation(*_LOCATION.unpack(bytes(bucket[start : start + _LOCATION.size])))
