"""Static typing cases for the encrypted media pool: PoolEncryption and AgePoolCodec.

Type-checked only; negative cases carry both checkers' error codes (see test_storage).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from typing_extensions import assert_type

from django_snapshots.encryption import AgeEncryption, AgePoolCodec, PoolEncryption
from django_snapshots.encryption.keys import derived_identity
from django_snapshots.encryption.poolcodec import keyed_pool_ids
from django_snapshots.engine.pools import encrypted_pool_options, known_pools
from django_snapshots.pool import ContentIds, HmacSha256Ids, PoolCodec, PoolOptions, Sha256Ids
from django_snapshots.storage import LocalFileSystemBackend


def age_encryption_offers_an_encrypted_pool(capable: PoolEncryption) -> None:
    """AgeEncryption is a PoolEncryption; its codec a PoolCodec; results are typed."""
    age = AgeEncryption(passphrase="pw")
    as_capability: PoolEncryption = age
    assert_type(age.pool_ids(b"k" * 32, {}), HmacSha256Ids)
    assert_type(age.pool_codec(writing=True), AgePoolCodec | None)
    assert_type(capable.pool_ids(b"k" * 32, {}), ContentIds)
    assert_type(capable.pool_codec(writing=False), PoolCodec | None)
    codec: PoolCodec = AgePoolCodec([], [])
    assert_type(codec.encoding_reader(io.BytesIO()).read(), bytes)
    assert_type(keyed_pool_ids(b"k" * 32, ["sha256:00"]), HmacSha256Ids)
    assert_type(str(derived_identity(b"m" * 32, "pool-identity")), str)
    options = encrypted_pool_options(age, b"k" * 32, {}, writing=True)
    assert_type(options, PoolOptions | None)
    storage = LocalFileSystemBackend("/tmp/snapshots")
    assert_type(known_pools(storage, age, writing=False), list[PoolOptions])
    del as_capability, codec


class UnkeyedIds:
    """``pool_ids`` takes no content key: hosts could not agree on the pool."""

    def pool_ids(self) -> ContentIds:
        return Sha256Ids()

    def pool_codec(self, *, writing: bool) -> PoolCodec | None:
        return None


class PositionalWriting:
    """``pool_codec`` takes ``writing`` positionally and returns a string."""

    def pool_ids(self, content_key: bytes, header: Mapping[str, Any]) -> ContentIds:
        return Sha256Ids()

    def pool_codec(self, writing: bool) -> str:
        return ""


# Both checkers reject a capability whose methods do not match the protocol.
unkeyed: PoolEncryption = UnkeyedIds()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
positional: PoolEncryption = PositionalWriting()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
