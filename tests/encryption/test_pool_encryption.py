"""AgeEncryption as a PoolEncryption: the pool codec, its keys, and the keyed content ids."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import pytest

from django_snapshots.conformance import check_conformance
from django_snapshots.encryption import (
    AgeEncryption,
    AgePoolCodec,
    PoolEncryption,
    generate_signing_pair,
)
from django_snapshots.encryption.keys import derived_identity, generate_identity
from django_snapshots.exceptions import SnapshotEncryptionError
from django_snapshots.pool.codec import PoolCodec
from django_snapshots.pool.ids import ContentIds, content_id
from django_snapshots.streams import iter_chunks
from tests.encryption.conftest import PASSPHRASE, KeySet

OBJECT = b"MARKER-pool-object " * 40_000 + bytes(range(256))


def _encode(codec: PoolCodec, data: bytes = OBJECT) -> bytes:
    return b"".join(iter_chunks(codec.encoding_reader(io.BytesIO(data))))


def _decode(codec: PoolCodec, stored: bytes) -> bytes:
    sink = io.BytesIO()
    writer = codec.decoding_writer(sink)
    for start in range(0, len(stored), 100_000):
        writer.write(stored[start : start + 100_000])
    writer.close()
    return sink.getvalue()


def _codec(backend: AgeEncryption, *, writing: bool = True) -> PoolCodec:
    codec = backend.pool_codec(writing=writing)
    assert codec is not None
    return codec


def _ids(backend: AgeEncryption, snapshot: str) -> ContentIds:
    session = backend.begin_backup(snapshot)
    return backend.pool_ids(session.content_key, session.header)


def test_age_encryption_offers_a_conforming_pool_capability(
    passphrase_encryption: AgeEncryption, keys: KeySet
) -> None:
    """Both modes implement PoolEncryption, signatures included."""
    for backend in (passphrase_encryption, keys.full(), keys.restore_host()):
        assert isinstance(backend, PoolEncryption)
        assert check_conformance(backend, PoolEncryption) == []


@pytest.mark.parametrize("mode", ["passphrase", "public-key"])
def test_pool_objects_round_trip_and_hide_their_content(
    mode: str, passphrase_encryption: AgeEncryption, keys: KeySet
) -> None:
    """An object encoded by the codec decodes to itself and shows none of its bytes."""
    backend = passphrase_encryption if mode == "passphrase" else keys.full()
    codec = _codec(backend)
    stored = _encode(codec)
    assert codec.name == "age" and stored.startswith(b"age-encryption.org/v1\n")
    assert b"MARKER-pool-object" not in stored
    assert _decode(codec, stored) == OBJECT


def test_passphrase_pool_key_is_stable_and_follows_the_passphrase(
    passphrase_encryption: AgeEncryption,
) -> None:
    """The passphrase derives one pool identity: another instance reads, another passphrase not."""
    stored = _encode(_codec(passphrase_encryption))
    again = AgeEncryption(passphrase=PASSPHRASE)
    assert _decode(_codec(again, writing=False), stored) == OBJECT
    other = AgeEncryption(passphrase=PASSPHRASE + " (not quite)")
    with pytest.raises(SnapshotEncryptionError, match="does not open with this host's key"):
        _decode(_codec(other, writing=False), stored)


def test_derived_identity_is_deterministic_per_purpose() -> None:
    """The same master key and purpose give the same age identity; another purpose not."""
    master = b"m" * 32
    first = derived_identity(master, "pool-identity")
    assert str(first) == str(derived_identity(master, "pool-identity"))
    assert str(first).startswith("AGE-SECRET-KEY-1")
    assert str(first) != str(derived_identity(master, "other"))
    assert str(first) != str(derived_identity(b"n" * 32, "pool-identity"))


def test_public_key_hosts_get_the_codec_they_can_use(keys: KeySet) -> None:
    """Recipients only: no codec; identities only: a reading codec; both: a writing one."""
    assert keys.backup_host().pool_codec(writing=True) is None
    assert keys.backup_host().pool_codec(writing=False) is None
    assert keys.restore_host().pool_codec(writing=True) is None
    reader = _codec(keys.restore_host(), writing=False)
    stored = _encode(_codec(keys.full()))
    assert _decode(reader, stored) == OBJECT
    with pytest.raises(SnapshotEncryptionError, match="no age recipients"):
        reader.encoding_reader(io.BytesIO(b"x"))


def test_a_wrong_identity_or_damage_is_refused(keys: KeySet, other_keys: KeySet) -> None:
    """Another key raises a one-line encryption error; a flipped byte a ValueError."""
    stored = _encode(_codec(keys.full()))
    with pytest.raises(SnapshotEncryptionError) as refused:
        _decode(_codec(other_keys.full()), stored)
    assert "\n" not in str(refused.value)
    damaged = bytearray(stored)
    damaged[len(damaged) // 2] ^= 1
    with pytest.raises(ValueError, match="age decryption failed"):
        _decode(_codec(keys.full()), bytes(damaged))
    with pytest.raises(ValueError, match="age decryption failed"):
        _decode(_codec(keys.full()), stored[:-100])
    with pytest.raises(SnapshotEncryptionError, match="no age identity"):
        AgePoolCodec([], []).decoding_writer(io.BytesIO())


def test_pool_ids_are_keyed_and_equal_on_backup_and_restore_hosts(
    keys: KeySet, passphrase_encryption: AgeEncryption
) -> None:
    """Ids differ from sha256 and between modes; a restore host derives the backup host's."""
    data = b"MARKER-content"
    backup = keys.backup_host().begin_backup("snap")
    ids = keys.backup_host().pool_ids(backup.content_key, backup.header)
    restore = keys.restore_host().begin_restore("snap", backup.header)
    again = keys.restore_host().pool_ids(restore.content_key, backup.header)
    assert again.fingerprint == ids.fingerprint
    assert content_id(again, data) == content_id(ids, data)
    assert content_id(ids, data) != hashlib.sha256(data).hexdigest()
    assert _ids(keys.full(), "later").fingerprint == ids.fingerprint  # stable across snapshots
    passphrase_ids = _ids(passphrase_encryption, "snap")
    assert passphrase_ids.fingerprint != ids.fingerprint
    assert content_id(passphrase_ids, data) != content_id(ids, data)
    assert _ids(AgeEncryption(passphrase=PASSPHRASE), "x").fingerprint == passphrase_ids.fingerprint


def test_a_change_of_recipients_gives_another_pool(keys: KeySet, other_keys: KeySet) -> None:
    """Adding a recipient changes the ids' fingerprint (a new pool), the order of them not."""
    one = AgeEncryption(recipients=[keys.recipient], signing_key=keys.signing_key)
    both = AgeEncryption(
        recipients=[keys.recipient, other_keys.recipient], signing_key=keys.signing_key
    )
    swapped = AgeEncryption(
        recipients=[other_keys.recipient, keys.recipient], signing_key=keys.signing_key
    )
    assert _ids(one, "a").fingerprint != _ids(both, "a").fingerprint
    assert _ids(both, "a").fingerprint == _ids(swapped, "b").fingerprint


def test_the_age_tool_opens_a_pool_object(age: str, tmp_path: Path) -> None:
    """A stored pool object is a standard age file: ``age -d -i identity`` decrypts it."""
    identity, recipient = generate_identity()
    backend = AgeEncryption(
        recipients=[recipient], identities=[identity], signing_key=generate_signing_pair()[0]
    )
    (tmp_path / "identity.txt").write_text(identity + "\n")
    (tmp_path / "object.pack").write_bytes(_encode(_codec(backend)))
    result = subprocess.run(
        [age, "-d", "-i", str(tmp_path / "identity.txt"), str(tmp_path / "object.pack")],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert result.stdout == OBJECT
