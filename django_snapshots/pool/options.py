"""What a pool is made with: the content-id scheme, the codec and the object sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from django_snapshots.pool.codec import IdentityCodec, PoolCodec, check_codec_name
from django_snapshots.pool.ids import ContentIds, Sha256Ids

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_PACK_SIZE", "DEFAULT_POOL_OPTIONS", "PoolOptions"]

DEFAULT_CHUNK_SIZE: Final = 4 * 1024 * 1024
"""Files are cut into chunks of this size (the last one shorter): 4 MiB."""

DEFAULT_PACK_SIZE: Final = 16 * 1024 * 1024
"""A pack is closed once its blobs reach this size: 16 MiB."""


def _sha256() -> ContentIds:
    return Sha256Ids()


def _identity() -> PoolCodec:
    return IdentityCodec()


@dataclass(frozen=True)
class PoolOptions:
    """How a pool names, encodes and groups content.

    ``ids`` and ``codec`` decide which pool folder is used (:attr:`name`): changing
    the key or the codec starts a new pool; snapshots written before keep theirs.
    """

    ids: ContentIds = field(default_factory=_sha256)
    """Content ids: plain sha256, or a keyed HMAC when content is encrypted."""
    codec: PoolCodec = field(default_factory=_identity)
    """Applied to every stored pack and index file (identity, zstd, encryption)."""
    chunk_size: int = DEFAULT_CHUNK_SIZE
    pack_size: int = DEFAULT_PACK_SIZE
    lock_wait: float = 900.0
    """Seconds a backup or restore waits for a running garbage collection to finish."""
    workers: int = 4
    """Threads reading, hashing and compressing files during a backup."""

    def __post_init__(self) -> None:
        """Check the sizes and the codec name."""
        check_codec_name(self.codec.name)
        if self.chunk_size < 64 * 1024 or self.chunk_size > 64 * 1024 * 1024:
            raise ValueError("chunk_size must be between 64 KiB and 64 MiB")
        if self.pack_size < self.chunk_size // 4:
            raise ValueError("pack_size must be at least a quarter of chunk_size")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")

    @property
    def name(self) -> str:
        """Return the pool folder name: the ids fingerprint, plus a non-identity codec."""
        if self.codec.name == "identity":
            return self.ids.fingerprint
        return f"{self.ids.fingerprint}-{self.codec.name}"


DEFAULT_POOL_OPTIONS: Final = PoolOptions()
"""Plain sha256 content ids, no codec, default sizes: the pool without encryption."""
