"""The encryption contract itself: it fails backends that break its promises."""

from __future__ import annotations

import io
import unittest
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, ClassVar

import pytest

from django_snapshots.pool.codec import IdentityCodec, PoolCodec
from django_snapshots.pool.ids import ContentIds, HmacSha256Ids, Sha256Ids
from django_snapshots.streams import iter_chunks
from django_snapshots.testing import PoolEncryptionContract, SnapshotEncryptionContract


class _Forward(io.RawIOBase):
    """A writable stream that forwards to its sink unchanged."""

    def __init__(self, sink: IO[bytes]) -> None:
        super().__init__()
        self.sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.sink.write(bytes(data))
        return len(memoryview(data))


class PlainSession:
    """A session that encrypts nothing and accepts every seal."""

    def __init__(self) -> None:
        self.header: dict[str, Any] = {"scheme": "plain"}
        self.content_key: bytes = b"k" * 32

    def encrypting_reader(self, source: IO[bytes], filename: str) -> IO[bytes]:
        return source

    def seal(self, payload: bytes) -> dict[str, Any]:
        return {"scheme": "none"}

    def verify(self, payload: bytes, seal: Mapping[str, Any] | None) -> None:
        return None

    def decrypting_writer(self, sink: IO[bytes], filename: str) -> IO[bytes]:
        return _Forward(sink)  # type: ignore[return-value]  # pyright: ignore[reportReturnType]


class PlainEncryption:
    """A backend that conforms to the protocol but protects nothing."""

    def begin_backup(self, snapshot_name: str) -> PlainSession:
        return PlainSession()

    def begin_verify(self, snapshot_name: str, header: Mapping[str, Any] | None) -> PlainSession:
        return PlainSession()

    def begin_restore(self, snapshot_name: str, header: Mapping[str, Any] | None) -> PlainSession:
        return PlainSession()


class PlainContract(SnapshotEncryptionContract):
    """The contract pointed at the broken backend (``backend``, for both factories)."""

    backend: ClassVar[type[PlainEncryption]] = PlainEncryption

    def make_encryption(self, tmp_path: Path) -> PlainEncryption:
        return self.backend()

    def make_other_encryption(self, tmp_path: Path) -> PlainEncryption:
        return self.backend()


@pytest.mark.parametrize(
    "test",
    [
        "test_ciphertext_and_header_reveal_no_plaintext_nor_content_key",
        "test_same_plaintext_encrypts_differently_each_time",
        "test_seal_refuses_altered_missing_and_foreign_seals",
        "test_header_of_another_snapshot_or_none_is_refused",
        "test_tampered_truncated_and_extended_ciphertext_is_refused",
        "test_other_keys_open_nothing",
    ],
)
def test_contract_fails_a_backend_that_protects_nothing(tmp_path: Path, test: str) -> None:
    """Each security promise of the contract fails for a pass-through backend."""
    with pytest.raises(AssertionError):
        getattr(PlainContract(), test)(tmp_path)


class BufferingSession(PlainSession):
    """A session that reads its whole source into memory first."""

    def encrypting_reader(self, source: IO[bytes], filename: str) -> IO[bytes]:
        return io.BytesIO(source.read())


class BufferingEncryption(PlainEncryption):
    """A backend whose backup sessions buffer whole artifacts."""

    def begin_backup(self, snapshot_name: str) -> BufferingSession:
        return BufferingSession()


class BufferingContract(PlainContract):
    """The contract pointed at a backend that buffers whole artifacts."""

    def make_encryption(self, tmp_path: Path) -> BufferingEncryption:
        return BufferingEncryption()


def test_contract_fails_a_backend_that_buffers_whole_artifacts(tmp_path: Path) -> None:
    """Reading the whole source at once fails the bounded-memory promise."""
    with pytest.raises(AssertionError, match="unbounded"):
        BufferingContract().test_memory_stays_bounded_both_ways(tmp_path)


def test_contract_requires_its_factories(tmp_path: Path) -> None:
    """A contract subclass that does not implement make_encryption fails loudly."""
    with pytest.raises(NotImplementedError, match="make_encryption"):
        SnapshotEncryptionContract().make_encryption(tmp_path)


class PlainPoolEncryption(PlainEncryption):
    """A pool-capable backend whose ids are plain sha256 and whose codec stores plaintext."""

    def pool_ids(self, content_key: bytes, header: Mapping[str, Any]) -> ContentIds:
        return Sha256Ids()

    def pool_codec(self, *, writing: bool) -> PoolCodec | None:
        return IdentityCodec()


class PlainPoolContract(PlainContract, PoolEncryptionContract):
    """The pool contract pointed at the plain pool backend."""

    backend = PlainPoolEncryption


@pytest.mark.parametrize(
    ("test", "message"),
    [
        ("test_backend_and_pool_parts_conform_to_their_protocols", "the plain pool's fingerprint"),
        ("test_content_ids_are_keyed_and_deterministic", "ids are plain sha256"),
        ("test_other_keys_name_another_pool", "other keys share the pool"),
        ("test_stored_objects_reveal_no_plaintext", "shows its plaintext"),
        ("test_objects_of_other_keys_are_refused_in_one_line", "nothing was raised"),
        ("test_damaged_objects_raise_value_error", "a flipped byte: expected an error"),
    ],
)
def test_pool_contract_fails_a_pool_that_protects_nothing(
    tmp_path: Path, test: str, message: str
) -> None:
    """Plain sha256 ids and a codec that does not encrypt fail each pool security promise."""
    with pytest.raises(AssertionError, match=message):
        getattr(PlainPoolContract(), test)(tmp_path)


class WritingBackupHostContract(PlainPoolContract):
    """The pool contract with a backup-only host that still hands out a writing codec."""

    def make_backup_only_encryption(self, tmp_path: Path) -> PlainEncryption:
        return self.backend()


def test_pool_contract_fails_a_backup_host_that_writes_the_pool(tmp_path: Path) -> None:
    """A host that cannot decrypt must get no writing codec (it could not read the index)."""
    with pytest.raises(AssertionError, match="cannot decrypt got the writing codec"):
        WritingBackupHostContract().test_backup_only_host_declines_to_write_the_pool(tmp_path)


class NoPoolContract(PlainContract, PoolEncryptionContract):
    """The pool contract pointed at a backend without the pool capability."""


def test_pool_contract_fails_a_backend_without_the_capability(tmp_path: Path) -> None:
    """A backend without pool_ids and pool_codec is no PoolEncryption."""
    with pytest.raises(AssertionError, match="no pool_ids and pool_codec"):
        NoPoolContract().test_backend_and_pool_parts_conform_to_their_protocols(tmp_path)


def _xor(data: bytes, key: bytes) -> bytes:
    """Return ``data`` XORed with ``key`` repeated: it hides, but neither checks nor refuses."""
    stream = (key * (len(data) // len(key) + 1))[: len(data)]
    mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")
    return mixed.to_bytes(len(data), "big")


class _XorWriter(_Forward):
    """Collect what is written; on close, write it XORed into the sink."""

    def __init__(self, sink: IO[bytes], key: bytes) -> None:
        super().__init__(sink)
        self.key = key
        self.written = bytearray()

    def write(self, data: Any) -> int:
        self.written += bytes(data)
        return len(memoryview(data))

    def close(self) -> None:
        if not self.closed:
            self.sink.write(_xor(bytes(self.written), self.key))
        super().close()


class XorCodec:
    """A codec that hides content under a key but authenticates nothing."""

    def __init__(self, key: bytes) -> None:
        self.name: str = "xor"
        self.key = key

    def encoding_reader(self, source: IO[bytes]) -> IO[bytes]:
        return io.BytesIO(_xor(b"".join(iter_chunks(source)), self.key))

    def decoding_writer(self, sink: IO[bytes]) -> IO[bytes]:
        return _XorWriter(sink, self.key)  # type: ignore[return-value]  # pyright: ignore[reportReturnType]


class XorPoolEncryption(PlainEncryption):
    """Keyed ids and a hiding codec: only the refusal of other keys and damage is missing."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def pool_ids(self, content_key: bytes, header: Mapping[str, Any]) -> ContentIds:
        return HmacSha256Ids(self.key)

    def pool_codec(self, *, writing: bool) -> PoolCodec | None:
        return XorCodec(self.key)


class XorPoolContract(PoolEncryptionContract):
    """The pool contract pointed at the unauthenticated codec."""

    def make_encryption(self, tmp_path: Path) -> XorPoolEncryption:
        return XorPoolEncryption(b"mine" * 8)

    def make_other_encryption(self, tmp_path: Path) -> XorPoolEncryption:
        return XorPoolEncryption(b"them" * 8)


@pytest.mark.parametrize(
    ("test", "fails"),
    [
        ("test_codec_round_trips_objects_of_every_size", False),
        ("test_stored_objects_reveal_no_plaintext", False),
        ("test_other_keys_name_another_pool", False),
        ("test_objects_of_other_keys_are_refused_in_one_line", True),
        ("test_damaged_objects_raise_value_error", True),
    ],
)
def test_pool_contract_fails_a_codec_that_hides_but_does_not_check(
    tmp_path: Path, test: str, fails: bool
) -> None:
    """A codec that hides content passes the hiding tests and fails the refusal ones."""
    if not fails:
        getattr(XorPoolContract(), test)(tmp_path)
        return
    with pytest.raises(AssertionError, match="expected an error, nothing was raised"):
        getattr(XorPoolContract(), test)(tmp_path)


class _NamedSession(PlainSession):
    """A plain session whose header names its snapshot."""

    def __init__(self, snapshot_name: str) -> None:
        super().__init__()
        self.header = {"scheme": "plain", "snapshot": snapshot_name}


class PerSnapshotPoolEncryption(XorPoolEncryption):
    """A backend whose pool key follows the snapshot: each snapshot gets its own pool."""

    def begin_backup(self, snapshot_name: str) -> _NamedSession:
        return _NamedSession(snapshot_name)

    def pool_ids(self, content_key: bytes, header: Mapping[str, Any]) -> ContentIds:
        return HmacSha256Ids(content_key + str(header["snapshot"]).encode())


class PerSnapshotPoolContract(XorPoolContract):
    """The pool contract pointed at the backend with one pool per snapshot."""

    def make_encryption(self, tmp_path: Path) -> PerSnapshotPoolEncryption:
        return PerSnapshotPoolEncryption(b"mine" * 8)


def test_pool_contract_fails_a_pool_per_snapshot(tmp_path: Path) -> None:
    """A fingerprint that changes from one snapshot to the next fails the naming promise."""
    with pytest.raises(AssertionError, match="each snapshot names its own pool"):
        PerSnapshotPoolContract().test_pool_is_named_alike_on_every_host_and_snapshot(tmp_path)


def test_pool_contract_skips_the_backup_only_test_without_such_a_host(tmp_path: Path) -> None:
    """Without make_backup_only_encryption the backup-only test is skipped, not passed."""
    with pytest.raises(unittest.SkipTest):
        PlainPoolContract().test_backup_only_host_declines_to_write_the_pool(tmp_path)
