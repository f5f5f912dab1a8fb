"""The pool encryption contract: the behaviour every ``PoolEncryption`` backend must have.

:class:`PoolEncryptionContract` extends
:class:`~django_snapshots.testing.SnapshotEncryptionContract`, so a subclass runs the
whole encryption contract and then the pool's. Its factories are the encryption
contract's two, plus two optional ones for hosts holding half of the keys::

    class TestMyKms(PoolEncryptionContract):
        def make_encryption(self, tmp_path: Path) -> MyKmsEncryption:
            return MyKmsEncryption(key_id="alias/snapshots-test")

        def make_other_encryption(self, tmp_path: Path) -> MyKmsEncryption:
            return MyKmsEncryption(key_id="alias/someone-else")

        def make_restore_encryption(self, tmp_path: Path) -> MyKmsEncryption:
            return MyKmsEncryption(key_id="alias/snapshots-test", decrypt_only=True)

It pins what ``docs/encryption.md`` asks of a pool-capable backend: one pool name
(``f"{ids.fingerprint}-{codec.name}"``) on every host and for every snapshot of the
same keys, another with other keys; keyed, deterministic content ids that are not
plain sha256; codecs that round-trip whole objects of any size as streams and store no
plaintext; a one-line ``SnapshotEncryptionError`` for an object of other keys and a
``ValueError`` for a damaged one; and which host gets which codec, or None.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import unittest
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar, Final

from django_snapshots.conformance import check_conformance
from django_snapshots.encryption.protocols import PoolEncryption, SnapshotEncryption
from django_snapshots.exceptions import SnapshotEncryptionError, SnapshotIntegrityError
from django_snapshots.pool.codec import PoolCodec
from django_snapshots.pool.ids import ContentIds, Sha256Ids, content_id, is_content_id
from django_snapshots.pool.layout import PoolPaths
from django_snapshots.pool.options import PoolOptions
from django_snapshots.streams import binary
from django_snapshots.testing._sources import (
    BINARY,
    MARKER,
    MIB,
    Source,
    damaged,
    drain,
    generated,
)
from django_snapshots.testing.encryption import SnapshotEncryptionContract

__all__ = ["PoolEncryptionContract"]

_FINGERPRINT: Final = re.compile(r"[A-Za-z0-9-]+")
_CONTENTS: Final = (b"", b"x", b"y", BINARY, bytes(MIB))
"""Distinct contents whose ids must all differ."""


def _capable(backend: SnapshotEncryption) -> PoolEncryption:
    """Return ``backend`` as a PoolEncryption, or fail saying it is none."""
    assert isinstance(backend, PoolEncryption), f"{backend!r} has no pool_ids and pool_codec"
    return backend


def _codec(backend: SnapshotEncryption, *, writing: bool) -> PoolCodec:
    """Return ``backend``'s pool codec, or fail if it declines to give one."""
    codec = _capable(backend).pool_codec(writing=writing)
    assert codec is not None, f"{backend!r}.pool_codec(writing={writing}) returned None"
    return codec


def _encode(codec: PoolCodec, chunks: Iterator[bytes]) -> bytes:
    """Return the stored form of the object made of ``chunks``, read as a stream."""
    return drain(codec.encoding_reader(binary(Source(chunks))))


def _decode(
    codec: PoolCodec, stored: bytes, step: int = 7777, sink: io.BytesIO | None = None
) -> bytes:
    """Write ``stored`` through the codec's decoding writer in pieces; return the object."""
    out = io.BytesIO() if sink is None else sink
    writer = codec.decoding_writer(out)
    for start in range(0, len(stored), step):
        writer.write(stored[start : start + step])
    writer.close()
    assert not out.closed, "closing the decoding writer closed its sink"
    return out.getvalue()


def _raised(what: str, action: Callable[[], object]) -> Exception:
    """Run ``action``; return the exception it raises, or fail naming ``what``."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 - the caller checks the kind
        message = str(error)
        assert message and "\n" not in message, f"{what}: not a one-line message: {message!r}"
        return error
    raise AssertionError(f"{what}: expected an error, nothing was raised")


class PoolEncryptionContract(SnapshotEncryptionContract):
    """The behaviour every :class:`~django_snapshots.encryption.PoolEncryption` must have.

    :meth:`make_encryption` must read and write the pool, and so must
    :meth:`make_other_encryption` (its own pool, with other keys).
    """

    large_object: ClassVar[int] = 5 * MIB + 3
    """Bytes of the largest object the codec round trip streams."""

    def make_restore_encryption(self, tmp_path: Path) -> SnapshotEncryption:
        """Return a host of the same keys holding only what a restore needs.

        By default another :meth:`make_encryption` (where every host holds the same
        secret, a passphrase say).
        """
        return self.make_encryption(tmp_path)

    def make_backup_only_encryption(self, tmp_path: Path) -> SnapshotEncryption | None:
        """Return a host of the same keys that backs up but cannot decrypt, or None.

        None (the default) when every host holding the keys decrypts: the backup-only
        test is then skipped.
        """
        return None

    def _ids(self, backend: SnapshotEncryption, snapshot: str) -> ContentIds:
        """Return the content ids a backup of ``snapshot`` by ``backend`` puts media under."""
        session = backend.begin_backup(snapshot)
        return _capable(backend).pool_ids(session.content_key, session.header)

    def test_backend_and_pool_parts_conform_to_their_protocols(self, tmp_path: Path) -> None:
        """Every host is a PoolEncryption; its ids and codecs match their protocols."""
        encryption = self.make_encryption(tmp_path)
        hosts = [encryption, self.make_other_encryption(tmp_path)]
        hosts.append(self.make_restore_encryption(tmp_path))
        backup_only = self.make_backup_only_encryption(tmp_path)
        hosts.extend([backup_only] if backup_only is not None else [])
        for host in hosts:
            problems = check_conformance(_capable(host), PoolEncryption)
            assert problems == [], f"{host!r} is no PoolEncryption: {problems}"
        ids = self._ids(encryption, "snap-pool-conform")
        assert check_conformance(ids, ContentIds) == [], f"{ids!r} is no ContentIds"
        for writing in (True, False):
            codec = _codec(encryption, writing=writing)
            assert check_conformance(codec, PoolCodec) == [], f"{codec!r} is no PoolCodec"
        pool = PoolOptions(ids=ids, codec=_codec(encryption, writing=True)).name
        PoolPaths(pool)  # a valid folder name, or this raises ValueError
        assert _FINGERPRINT.fullmatch(ids.fingerprint), f"bad fingerprint {ids.fingerprint!r}"
        assert ids.fingerprint != Sha256Ids().fingerprint, "the plain pool's fingerprint"

    def test_pool_is_named_alike_on_every_host_and_snapshot(self, tmp_path: Path) -> None:
        """Backups of other snapshots and a restore host with the session's keys agree."""
        encryption = self.make_encryption(tmp_path)
        backup = encryption.begin_backup("snap-pool-host")
        ids = _capable(encryption).pool_ids(backup.content_key, backup.header)
        writing = _codec(encryption, writing=True)
        manifest = self._manifest("snap-pool-host", backup)
        host = self.make_restore_encryption(tmp_path)
        restore = self._restore(host, manifest)
        restored = _capable(host).pool_ids(restore.content_key, manifest["encryption"])
        assert restored.fingerprint == ids.fingerprint, "the restore host names another pool"
        assert content_id(restored, BINARY) == content_id(ids, BINARY)
        later = self._ids(encryption, "snap-pool-host-2")
        assert later.fingerprint == ids.fingerprint, "each snapshot names its own pool"
        assert content_id(later, BINARY) == content_id(ids, BINARY)
        reading = _capable(host).pool_codec(writing=False)
        if reading is not None:
            assert PoolOptions(ids=restored, codec=reading).name == (
                PoolOptions(ids=ids, codec=writing).name
            )

    def test_content_ids_are_keyed_and_deterministic(self, tmp_path: Path) -> None:
        """Equal content gets one id, in pieces or whole; other content and sha256 differ."""
        encryption = self.make_encryption(tmp_path)
        session = encryption.begin_backup("snap-pool-ids")
        ids = _capable(encryption).pool_ids(session.content_key, session.header)
        found = [content_id(ids, data) for data in _CONTENTS]
        assert all(is_content_id(found_id) for found_id in found), found
        assert len(set(found)) == len(found), "different content got the same id"
        assert found == [content_id(ids, data) for data in _CONTENTS], "ids are not stable"
        hasher = ids.hasher()
        for start in range(0, len(BINARY), 1000):
            hasher.update(BINARY[start : start + 1000])
        assert hasher.hexdigest() == content_id(ids, BINARY), "pieces hash differently"
        for data, found_id in zip(_CONTENTS, found, strict=True):
            assert found_id != hashlib.sha256(data).hexdigest(), "ids are plain sha256"
        key = session.content_key.hex()
        assert key[:16] not in ids.fingerprint, "the fingerprint shows the content key"

    def test_other_keys_name_another_pool(self, tmp_path: Path) -> None:
        """A backend with other keys gets another fingerprint and other ids."""
        ids = self._ids(self.make_encryption(tmp_path), "snap-pool-mine")
        other = self._ids(self.make_other_encryption(tmp_path), "snap-pool-theirs")
        assert other.fingerprint != ids.fingerprint, "other keys share the pool"
        assert content_id(other, BINARY) != content_id(ids, BINARY), "other keys share ids"

    def test_codec_round_trips_objects_of_every_size(self, tmp_path: Path) -> None:
        """Empty, tiny, binary and multi-MiB objects stream through encode and decode intact."""
        codec = _codec(self.make_encryption(tmp_path), writing=True)
        for data in (b"", b"x", BINARY):
            stored = _encode(codec, iter([data]))
            assert _decode(codec, stored) == data
            assert _decode(codec, stored, step=1 if len(stored) < 4096 else MIB) == data
        stored = _encode(codec, generated(self.large_object))
        assert _decode(codec, stored, step=MIB + 1) == b"".join(generated(self.large_object))

    def test_codec_name_is_the_same_for_every_host_and_mode(self, tmp_path: Path) -> None:
        """Writing and reading codecs, of every host holding the keys, share one name."""
        encryption = self.make_encryption(tmp_path)
        names = {_codec(encryption, writing=writing).name for writing in (True, False, True)}
        for host in (self.make_restore_encryption(tmp_path), self.make_encryption(tmp_path)):
            for writing in (True, False):
                codec = _capable(host).pool_codec(writing=writing)
                names.update([codec.name] if codec is not None else [])
        assert len(names) == 1, f"the codec names differ: {sorted(names)}"

    def test_stored_objects_reveal_no_plaintext(self, tmp_path: Path) -> None:
        """What the codec stores holds neither the object nor a telling piece of it."""
        codec = _codec(self.make_encryption(tmp_path), writing=True)
        stored = _encode(codec, iter([MARKER * 1000]))
        assert MARKER not in stored, "the stored object shows its plaintext"
        stored = _encode(codec, iter([BINARY]))
        assert BINARY[:64] not in stored and BINARY[-1000:-64] not in stored

    def test_objects_of_other_keys_are_refused_in_one_line(self, tmp_path: Path) -> None:
        """Decoding an object of other keys raises SnapshotEncryptionError, writing nothing."""
        stored = _encode(_codec(self.make_encryption(tmp_path), writing=True), iter([BINARY]))
        other = self.make_other_encryption(tmp_path)
        for writing in (False, True):
            sink = io.BytesIO()
            attempt = functools.partial(_decode, _codec(other, writing=writing), stored, sink=sink)
            error = _raised("decoding an object of other keys", attempt)
            assert isinstance(error, SnapshotEncryptionError), f"{type(error).__name__}: {error}"
            assert sink.getvalue() == b"", "other keys decoded something"

    def test_damaged_objects_raise_value_error(self, tmp_path: Path) -> None:
        """A flipped byte, a cut end, bytes appended or nothing raise ValueError, in one line.

        ``SnapshotIntegrityError`` is accepted too: the pool reports either as a corrupt
        object naming its path.
        """
        codec = _codec(self.make_encryption(tmp_path), writing=True)
        stored = _encode(codec, iter([BINARY * 4]))
        for what, spoiled in damaged(stored).items():
            error = _raised(what, functools.partial(_decode, codec, spoiled))
            assert isinstance(error, (ValueError, SnapshotIntegrityError)), (
                f"{what}: {type(error).__name__} is no ValueError: {error}"
            )

    def test_restore_host_decodes_the_pool_or_declines(self, tmp_path: Path) -> None:
        """A restore host's codec decodes the pool (or is None); a writing one also encodes."""
        encryption = self.make_encryption(tmp_path)
        stored = _encode(_codec(encryption, writing=True), iter([BINARY]))
        assert _decode(_codec(encryption, writing=False), stored) == BINARY
        host = _capable(self.make_restore_encryption(tmp_path))
        reading = host.pool_codec(writing=False)
        if reading is not None:
            assert _decode(reading, stored) == BINARY
        writing = host.pool_codec(writing=True)
        if writing is not None:
            rewritten = _encode(writing, iter([BINARY]))
            assert _decode(writing, rewritten) == BINARY
            assert _decode(_codec(encryption, writing=False), rewritten) == BINARY

    def test_backup_only_host_declines_to_write_the_pool(self, tmp_path: Path) -> None:
        """A host that cannot decrypt gets no writing codec, but names the same pool."""
        backup_only = self.make_backup_only_encryption(tmp_path)
        if backup_only is None:
            raise unittest.SkipTest("every host of this backend can decrypt")
        codec = _capable(backup_only).pool_codec(writing=True)
        assert codec is None, f"a host that cannot decrypt got the writing codec {codec!r}"
        ids = self._ids(backup_only, "snap-pool-backup-only")
        full = self._ids(self.make_encryption(tmp_path), "snap-pool-backup-full")
        assert ids.fingerprint == full.fingerprint, "the backup host names another pool"
