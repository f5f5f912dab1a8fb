"""The encryption contract: the behaviour every ``SnapshotEncryption`` must have.

Subclass :class:`SnapshotEncryptionContract` in a pytest module (class name
``Test...``) and return your backend from :meth:`~SnapshotEncryptionContract.make_encryption`
and a backend of the same kind with other keys from
:meth:`~SnapshotEncryptionContract.make_other_encryption`::

    class TestMyKms(SnapshotEncryptionContract):
        def make_encryption(self, tmp_path: Path) -> MyKmsEncryption:
            return MyKmsEncryption(key_id="alias/snapshots-test")

        def make_other_encryption(self, tmp_path: Path) -> MyKmsEncryption:
            return MyKmsEncryption(key_id="alias/someone-else")

It pins round trips, a header free of plaintext and of the content key, a stable
content key, seals that refuse any change, a missing seal or header and another
snapshot's, refusal of damaged ciphertext and of other keys, early close, bounded
memory, composition with :mod:`django_snapshots.streams`, and one-line errors.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from django_snapshots.conformance import check_conformance
from django_snapshots.encryption.protocols import (
    BackupSession,
    ManifestVerifier,
    RestoreSession,
    SnapshotEncryption,
)
from django_snapshots.encryption.sealing import canonical_manifest_payload
from django_snapshots.exceptions import (
    SnapshotEncryptionError,
    SnapshotError,
    SnapshotIntegrityError,
)
from django_snapshots.streams import (
    HashingReader,
    HashingWriter,
    binary,
    compressing_reader,
    decompressing_writer,
)
from django_snapshots.testing._sources import (
    BINARY,
    MARKER,
    MIB,
    Source,
    SourceFailure,
    damaged,
    drain,
    generated,
)

__all__ = ["SnapshotEncryptionContract"]


def _raises(what: str, action: Callable[[], object]) -> SnapshotError:
    """Run ``action``; return the SnapshotError it raises, or fail naming ``what``."""
    try:
        action()
    except SnapshotError as error:
        return error
    raise AssertionError(f"{what}: expected a SnapshotError, nothing was raised")


def _one_line(error: BaseException, snapshot: str) -> None:
    """Assert that ``error``'s message is one line naming ``snapshot``."""
    message = str(error)
    assert "\n" not in message, f"the error message spans lines: {message!r}"
    assert snapshot in message, f"the error message does not name {snapshot!r}: {message!r}"


class SnapshotEncryptionContract:
    """The behaviour every :class:`~django_snapshots.encryption.SnapshotEncryption` must have."""

    large_size: ClassVar[int] = 64 * MIB
    """Bytes streamed by the bounded-memory test."""
    memory_limit: ClassVar[int] = 32 * MIB
    """Peak Python allocations allowed while streaming ``large_size`` bytes each way."""

    def make_encryption(self, tmp_path: Path) -> SnapshotEncryption:
        """Return a backend that can back up, verify and restore; ``tmp_path`` is fresh."""
        raise NotImplementedError("implement make_encryption(tmp_path) in your test class")

    def make_other_encryption(self, tmp_path: Path) -> SnapshotEncryption:
        """Return a backend of the same kind holding other keys (it must open nothing)."""
        raise NotImplementedError("implement make_other_encryption(tmp_path) in your test class")

    def _encrypt(self, session: BackupSession, data: bytes, filename: str = "a.bin") -> bytes:
        return drain(session.encrypting_reader(binary(Source(iter([data]))), filename))

    def _manifest(self, name: str, session: BackupSession) -> dict[str, Any]:
        """Return a sealed manifest of snapshot ``name`` as the engine would write it."""
        manifest: dict[str, Any] = {
            "version": "1",
            "name": name,
            "created_at": "2024-05-01T12:00:00+00:00",
            "encrypted": True,
            "artifacts": [{"filename": "a.bin", "size": 3, "checksum": "sha256:00"}],
            "encryption": session.header,
        }
        manifest["authentication"] = session.seal(canonical_manifest_payload(manifest))
        stored: dict[str, Any] = json.loads(json.dumps(manifest))  # as read back from storage
        return stored

    def _restore(self, encryption: SnapshotEncryption, manifest: dict[str, Any]) -> RestoreSession:
        """Open a verified restore session for ``manifest``."""
        session = encryption.begin_restore(manifest["name"], manifest["encryption"])
        session.verify(canonical_manifest_payload(manifest), manifest["authentication"])
        return session

    def _decrypt(self, session: RestoreSession, ciphertext: bytes, step: int = MIB) -> bytes:
        sink = io.BytesIO()
        writer = session.decrypting_writer(sink, "a.bin")
        for start in range(0, len(ciphertext), step):
            writer.write(ciphertext[start : start + step])
        writer.close()
        assert not sink.closed, "closing the decrypting writer closed its sink"
        return sink.getvalue()

    def test_backend_and_sessions_conform_to_their_protocols(self, tmp_path: Path) -> None:
        """The backend, its sessions and its verifier match their protocols' signatures."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-conform")
        manifest = self._manifest("snap-conform", backup)
        verifier = encryption.begin_verify("snap-conform", manifest["encryption"])
        restore = encryption.begin_restore("snap-conform", manifest["encryption"])
        for obj, protocol in (
            (encryption, SnapshotEncryption),
            (backup, BackupSession),
            (verifier, ManifestVerifier),
            (restore, RestoreSession),
        ):
            assert isinstance(obj, protocol), f"{obj!r} is no {protocol.__name__}"
            assert check_conformance(obj, protocol) == []

    def test_round_trip_of_every_byte_value_and_edge_sizes(self, tmp_path: Path) -> None:
        """Empty, one-byte, chunk-sized and binary data decrypt to exactly what was encrypted."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-round")
        restore = self._restore(encryption, self._manifest("snap-round", backup))
        for data in (b"", b"x", bytes(64 * 1024), bytes(64 * 1024 + 1), BINARY):
            ciphertext = self._encrypt(backup, data)
            assert ciphertext != data or not data
            assert self._decrypt(restore, ciphertext, step=7777) == data

    def test_ciphertext_and_header_reveal_no_plaintext_nor_content_key(
        self, tmp_path: Path
    ) -> None:
        """Neither the stored bytes nor the JSON header contain the plaintext or the content key."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-leak")
        ciphertext = self._encrypt(backup, MARKER * 1000)
        assert MARKER not in ciphertext
        header = json.dumps(backup.header)  # JSON-able, or this raises
        assert MARKER.decode() not in header
        key = backup.content_key
        for form in (
            key.hex(),
            key.hex().upper(),
            base64.b64encode(key).decode(),
            key.decode("latin-1"),
        ):
            assert form not in header, "the header holds the content key in the clear"

    def test_content_key_is_stable_and_shared_by_restore(self, tmp_path: Path) -> None:
        """Every snapshot of one backend gets the same content key, of 32 bytes or more."""
        encryption = self.make_encryption(tmp_path)
        first = encryption.begin_backup("snap-key-1")
        second = encryption.begin_backup("snap-key-2")
        assert len(first.content_key) >= 32
        assert first.content_key == second.content_key
        restore = self._restore(encryption, self._manifest("snap-key-2", second))
        assert restore.content_key == first.content_key

    def test_same_plaintext_encrypts_differently_each_time(self, tmp_path: Path) -> None:
        """Encrypting the same bytes twice gives different ciphertexts (fresh keys or nonces)."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-fresh")
        assert self._encrypt(backup, BINARY) != self._encrypt(backup, BINARY)

    def test_seal_refuses_altered_missing_and_foreign_seals(self, tmp_path: Path) -> None:
        """A seal verifies its manifest only: any change, no seal, or another's seal is refused."""
        encryption = self.make_encryption(tmp_path)
        first = self._manifest("snap-seal-a", encryption.begin_backup("snap-seal-a"))
        other = self._manifest("snap-seal-b", encryption.begin_backup("snap-seal-b"))
        verifier = encryption.begin_verify("snap-seal-a", first["encryption"])
        payload = canonical_manifest_payload(first)
        verifier.verify(payload, first["authentication"])
        json.dumps(first["authentication"])
        changed = dict(first, created_at="2024-05-02T12:00:00+00:00")
        cases: dict[str, tuple[bytes, Any]] = {
            "a changed field": (canonical_manifest_payload(changed), first["authentication"]),
            "no seal": (payload, None),
            "another snapshot's seal": (payload, other["authentication"]),
            "a seal of another shape": (payload, {"scheme": "none"}),
        }
        for what, (body, seal) in cases.items():
            error = _raises(what, functools.partial(verifier.verify, body, seal))
            assert isinstance(error, SnapshotEncryptionError), what
            _one_line(error, "snap-seal-a")

    def test_header_of_another_snapshot_or_none_is_refused(self, tmp_path: Path) -> None:
        """A missing header (an unencrypted snapshot) or a swapped-in one is refused."""
        encryption = self.make_encryption(tmp_path)
        first = self._manifest("snap-head-a", encryption.begin_backup("snap-head-a"))
        other = self._manifest("snap-head-b", encryption.begin_backup("snap-head-b"))
        error = _raises("no header", lambda: encryption.begin_restore("snap-head-a", None))
        assert isinstance(error, SnapshotEncryptionError)
        _one_line(error, "snap-head-a")
        error = _raises("no header", lambda: encryption.begin_verify("snap-head-a", None))
        _one_line(error, "snap-head-a")
        swapped = dict(first, encryption=other["encryption"])

        def restore_swapped() -> None:
            session = encryption.begin_restore("snap-head-a", swapped["encryption"])
            session.verify(canonical_manifest_payload(swapped), swapped["authentication"])

        assert isinstance(_raises("swapped header", restore_swapped), SnapshotEncryptionError)

    def test_tampered_truncated_and_extended_ciphertext_is_refused(self, tmp_path: Path) -> None:
        """A flipped byte, a cut end or bytes appended make the decrypting writer raise."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-tamper")
        restore = self._restore(encryption, self._manifest("snap-tamper", backup))
        ciphertext = self._encrypt(backup, BINARY * 4)
        for what, spoiled in damaged(ciphertext).items():
            error = _raises(what, functools.partial(self._decrypt, restore, spoiled))
            assert isinstance(error, (SnapshotIntegrityError, SnapshotEncryptionError)), what
            _one_line(error, "snap-tamper")

    def test_other_keys_open_nothing(self, tmp_path: Path) -> None:
        """A backend with other keys fails before any plaintext reaches the sink."""
        encryption = self.make_encryption(tmp_path)
        other = self.make_other_encryption(tmp_path)
        backup = encryption.begin_backup("snap-other")
        manifest = self._manifest("snap-other", backup)
        ciphertext = self._encrypt(backup, BINARY)
        sink = io.BytesIO()

        def attempt() -> None:
            session = other.begin_restore("snap-other", manifest["encryption"])
            session.verify(canonical_manifest_payload(manifest), manifest["authentication"])
            writer = session.decrypting_writer(sink, "a.bin")
            writer.write(ciphertext)
            writer.close()

        error = _raises("restoring with other keys", attempt)
        assert isinstance(error, SnapshotEncryptionError)
        _one_line(error, "snap-other")
        assert sink.getvalue() == b""

    def test_source_failure_is_raised_by_the_reader(self, tmp_path: Path) -> None:
        """An exception of the plaintext source reaches whoever reads the ciphertext."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-source")
        source = binary(Source(generated(8 * MIB), fail_after=3 * MIB))
        reader = backup.encrypting_reader(source, "a.bin")
        try:
            drain(reader)
        except SourceFailure:
            pass
        else:
            raise AssertionError("the source failed, but reading the ciphertext succeeded")
        finally:
            reader.close()

    def test_closing_streams_early_stops_the_work(self, tmp_path: Path) -> None:
        """Closing a half-read reader, or aborting a half-written writer, leaves no thread."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-early")
        restore = self._restore(encryption, self._manifest("snap-early", backup))
        ciphertext = self._encrypt(backup, BINARY * 40)
        before = threading.active_count()
        reader = backup.encrypting_reader(binary(Source(generated(32 * MIB))), "a.bin")
        reader.read(1024)
        reader.close()
        try:
            with restore.decrypting_writer(io.BytesIO(), "a.bin") as writer:
                writer.write(ciphertext[: len(ciphertext) // 2])
                raise SourceFailure("the restore was interrupted")
        except SourceFailure:
            pass
        assert threading.active_count() == before

    def test_memory_stays_bounded_both_ways(self, tmp_path: Path) -> None:
        """Streaming ``large_size`` bytes through encryption and back stays under the limit."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-large")
        restore = self._restore(encryption, self._manifest("snap-large", backup))
        digest = hashlib.sha256()
        sink = HashingWriter((tmp_path / "large.bin").open("wb", buffering=0))
        tracemalloc.start()
        try:
            reader = backup.encrypting_reader(
                binary(Source(generated(self.large_size))), "large.bin"
            )
            writer = restore.decrypting_writer(binary(sink), "large.bin")
            for chunk in iter(lambda: reader.read(MIB), b""):
                writer.write(chunk)
            writer.close()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            sink.sink.close()
        for chunk in generated(self.large_size):
            digest.update(chunk)
        assert sink.checksum == f"sha256:{digest.hexdigest()}"
        assert peak < self.memory_limit, f"streaming peaked at {peak} bytes of Python memory"

    def test_composes_with_the_stream_stages(self, tmp_path: Path) -> None:
        """compress -> encrypt -> hash on backup and hash -> decrypt -> decompress on restore."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-stages")
        plain = (MARKER + b" row\n") * 50_000
        compressed = HashingReader(compressing_reader(binary(Source(iter([plain]))), "zstd"))
        stored = HashingReader(backup.encrypting_reader(binary(compressed), "db.sqlite3.zst"))
        ciphertext = drain(binary(stored))
        assert MARKER not in ciphertext and stored.size == len(ciphertext)
        restore = self._restore(encryption, self._manifest("snap-stages", backup))
        output = io.BytesIO()
        decompress = decompressing_writer(output, "zstd")
        plain_hash = HashingWriter(decompress)
        fetched = HashingWriter(restore.decrypting_writer(binary(plain_hash), "db.sqlite3.zst"))
        for start in range(0, len(ciphertext), 100_000):
            fetched.write(ciphertext[start : start + 100_000])
        fetched.sink.close()
        decompress.close()
        assert output.getvalue() == plain
        assert fetched.checksum == stored.checksum and fetched.size == stored.size
        assert plain_hash.checksum == compressed.checksum
