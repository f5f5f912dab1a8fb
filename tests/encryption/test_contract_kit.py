"""The encryption contract itself: it fails backends that break its promises."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pytest

from django_snapshots.testing import SnapshotEncryptionContract


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
    """The contract pointed at the broken backend."""

    def make_encryption(self, tmp_path: Path) -> PlainEncryption:
        return PlainEncryption()

    def make_other_encryption(self, tmp_path: Path) -> PlainEncryption:
        return PlainEncryption()


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
