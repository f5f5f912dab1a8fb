"""AgeEncryption: option checks, what each kind of host can do, and refusals."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any

import pyrage
import pytest
from django.core.exceptions import ImproperlyConfigured

from django_snapshots.encryption import (
    AgeEncryption,
    BackupSession,
    SnapshotEncryption,
    canonical_manifest_payload,
    generate_identity,
    generate_signing_pair,
)
from django_snapshots.encryption.keys import recipient_fingerprint
from django_snapshots.exceptions import SnapshotEncryptionError, SnapshotIntegrityError
from django_snapshots.streams import iter_chunks
from tests.encryption.conftest import PASSPHRASE, KeySet, make_keys

SECRET_MARKERS = (b"card 4111-1111-1111-1111", b"patient: Jane Q. Public", b"\x00\xffsecret\x00")


def encrypt(session: BackupSession, data: bytes, filename: str = "a.bin") -> bytes:
    """Return ``data`` encrypted by ``session``."""
    return b"".join(iter_chunks(session.encrypting_reader(io.BytesIO(data), filename)))


def sealed(name: str, session: BackupSession) -> dict[str, Any]:
    """Return a sealed minimal manifest of snapshot ``name``."""
    manifest: dict[str, Any] = {"name": name, "encrypted": True, "encryption": session.header}
    manifest["authentication"] = session.seal(canonical_manifest_payload(manifest))
    return manifest


def decrypt(encryption: SnapshotEncryption, manifest: dict[str, Any], ciphertext: bytes) -> bytes:
    """Verify ``manifest`` and return ``ciphertext`` decrypted with ``encryption``."""
    session = encryption.begin_restore(manifest["name"], manifest["encryption"])
    session.verify(canonical_manifest_payload(manifest), manifest["authentication"])
    sink = io.BytesIO()
    writer = session.decrypting_writer(sink, "a.bin")
    writer.write(ciphertext)
    writer.close()
    return sink.getvalue()


def refusal(action: Any, kind: type[Exception] = SnapshotEncryptionError) -> str:
    """Run ``action``; return the one-line message of the ``kind`` it raises."""
    with pytest.raises(kind) as caught:
        action()
    message = str(caught.value)
    assert "\n" not in message
    return message


_ID, _RECIPIENT = generate_identity()
_SIGNING, _VERIFY = generate_signing_pair()


@pytest.mark.parametrize(
    ("options", "option", "words"),
    [
        ({}, None, "needs options"),
        ({"passphrase": "pw", "recipients": [_RECIPIENT]}, "passphrase", "cannot be combined"),
        ({"passphrase": ""}, "passphrase", "non-empty string"),
        ({"passphrase": 12345}, "passphrase", "non-empty string"),
        ({"recipients": _RECIPIENT, "signing_key": _SIGNING}, "recipients", "list of strings"),
        ({"recipients": [], "signing_key": _SIGNING}, "recipients", "non-empty list"),
        ({"recipients": ["age1nope"], "signing_key": _SIGNING}, "recipients", "item 0"),
        ({"recipients": [_RECIPIENT]}, "recipients", "needs 'signing_key'"),
        ({"signing_key": _SIGNING, "verify_keys": [_VERIFY]}, "signing_key", "needs 'recipients'"),
        (
            {"recipients": [_RECIPIENT], "signing_key": _SIGNING[:-2] + "AA"},
            "signing_key",
            "damaged",
        ),
        ({"recipients": [_RECIPIENT], "signing_key": _VERIFY}, "signing_key", "must start with"),
        ({"recipients": [_RECIPIENT], "signing_key": 7}, "signing_key", "must be a string"),
        (
            {"identities": [_ID], "identity_file": "x", "verify_keys": [_VERIFY]},
            "identity_file",
            "not both",
        ),
        ({"identities": [_ID]}, "identities", "needs 'verify_keys'"),
        ({"identities": [_ID[:-3] + "QQQ"], "verify_keys": [_VERIFY]}, "identities", "item 0"),
        ({"identities": [_ID], "verify_keys": [_SIGNING]}, "verify_keys", "must start with"),
        ({"verify_keys": [_VERIFY, "snapshots-verify-key-short"]}, "verify_keys", "damaged"),
    ],
)
def test_bad_options_raise_one_line_configuration_errors(
    options: dict[str, Any], option: str | None, words: str
) -> None:
    """Each bad option or combination raises ImproperlyConfigured naming the option."""
    message = refusal(lambda: AgeEncryption(**options), ImproperlyConfigured)
    assert words in message
    if option is not None:
        assert f"option {option!r}" in message


def test_option_errors_never_echo_a_secret() -> None:
    """A mangled identity or signing key is refused without printing it."""
    bad_identity = _ID[:-3] + "QQQ"
    message = refusal(
        lambda: AgeEncryption(identities=[bad_identity], verify_keys=[_VERIFY]),
        ImproperlyConfigured,
    )
    assert bad_identity not in message and _ID[15:40] not in message
    bad_signing = _SIGNING[:-2] + "AA"
    message = refusal(
        lambda: AgeEncryption(recipients=[_RECIPIENT], signing_key=bad_signing),
        ImproperlyConfigured,
    )
    assert _SIGNING[22:40] not in message


def test_identity_file_problems_name_the_file(tmp_path: Path) -> None:
    """A missing identity file, or one with only comments, is refused naming its path."""
    missing = tmp_path / "missing.txt"
    message = refusal(
        lambda: AgeEncryption(identity_file=missing, verify_keys=[_VERIFY]), ImproperlyConfigured
    )
    assert str(missing) in message and "cannot read" in message
    empty = tmp_path / "empty.txt"
    empty.write_text("# created: now\n\n")
    message = refusal(
        lambda: AgeEncryption(identity_file=empty, verify_keys=[_VERIFY]), ImproperlyConfigured
    )
    assert "holds no identity" in message


def test_backup_host_backs_up_but_cannot_restore(keys: KeySet) -> None:
    """A host with only recipients and the signing key writes snapshots it cannot open."""
    host = keys.backup_host()
    session = host.begin_backup("snap-1")
    manifest = sealed("snap-1", session)
    ciphertext = encrypt(session, b"rows")
    message = refusal(lambda: host.begin_restore("snap-1", manifest["encryption"]))
    assert "snap-1" in message and "no age identity" in message
    assert recipient_fingerprint(keys.recipient) in message
    host.begin_verify("snap-1", manifest["encryption"]).verify(
        canonical_manifest_payload(manifest), manifest["authentication"]
    )
    assert decrypt(keys.restore_host(), manifest, ciphertext) == b"rows"


def test_restore_host_cannot_back_up_and_verify_only_host_cannot_restore(keys: KeySet) -> None:
    """A restore-only host refuses backups; a host with only verify keys only verifies."""
    message = refusal(lambda: keys.restore_host().begin_backup("snap-2"))
    assert "snap-2" in message and "'recipients'" in message
    manifest = sealed("snap-2", keys.backup_host().begin_backup("snap-2"))
    verifier = AgeEncryption(verify_keys=[keys.verify_key])
    verifier.begin_verify("snap-2", manifest["encryption"]).verify(
        canonical_manifest_payload(manifest), manifest["authentication"]
    )
    assert "no age identity" in refusal(
        lambda: verifier.begin_restore("snap-2", manifest["encryption"])
    )


def test_wrong_identity_is_refused_at_begin_restore(keys: KeySet, other_keys: KeySet) -> None:
    """Identities that open nothing are refused in one line listing the recipients."""
    manifest = sealed("snap-3", keys.backup_host().begin_backup("snap-3"))
    wrong = AgeEncryption(identities=[other_keys.identity], verify_keys=[keys.verify_key])
    message = refusal(lambda: wrong.begin_restore("snap-3", manifest["encryption"]))
    assert "none of the configured identities" in message
    assert recipient_fingerprint(keys.recipient) in message


def test_untrusted_signer_is_refused(keys: KeySet, other_keys: KeySet) -> None:
    """A manifest signed by a key outside verify_keys is refused, naming that key."""
    manifest = sealed("snap-4", keys.backup_host().begin_backup("snap-4"))
    host = AgeEncryption(identities=[keys.identity], verify_keys=[other_keys.verify_key])
    session = host.begin_restore("snap-4", manifest["encryption"])
    message = refusal(
        lambda: session.verify(canonical_manifest_payload(manifest), manifest["authentication"])
    )
    assert keys.verify_key in message and "not among the configured verify keys" in message


def test_wrong_passphrase_is_refused_at_begin_restore(
    passphrase_encryption: AgeEncryption,
) -> None:
    """Another passphrase is refused as wrong before anything is decrypted."""
    manifest = sealed("snap-5", passphrase_encryption.begin_backup("snap-5"))
    other = AgeEncryption(passphrase=PASSPHRASE + " (not quite)")
    message = refusal(lambda: other.begin_restore("snap-5", manifest["encryption"]))
    assert "snap-5" in message and "wrong passphrase" in message
    assert "wrong passphrase" in refusal(
        lambda: other.begin_verify("snap-5", manifest["encryption"])
    )


def test_mode_mismatch_is_refused(keys: KeySet, passphrase_encryption: AgeEncryption) -> None:
    """A passphrase snapshot under a public-key setup (and the reverse) is refused in one line."""
    by_passphrase = sealed("snap-6", passphrase_encryption.begin_backup("snap-6"))
    by_keys = sealed("snap-6", keys.backup_host().begin_backup("snap-6"))
    message = refusal(lambda: keys.full().begin_restore("snap-6", by_passphrase["encryption"]))
    assert "'age-passphrase'" in message and "public-key mode" in message
    message = refusal(lambda: passphrase_encryption.begin_verify("snap-6", by_keys["encryption"]))
    assert "'age-x25519'" in message and "passphrase mode" in message


def test_header_naming_another_snapshot_or_version_is_refused(keys: KeySet) -> None:
    """A header made for another snapshot name, or of an unknown version, is refused."""
    header = keys.backup_host().begin_backup("snap-7").header
    message = refusal(lambda: keys.full().begin_restore("snap-8", header))
    assert "snap-8" in message and "'snap-7'" in message
    future = dict(header, version=2)
    assert "version 2" in refusal(lambda: keys.full().begin_verify("snap-7", future))


def test_damaged_header_fields_are_integrity_errors(
    keys: KeySet, passphrase_encryption: AgeEncryption
) -> None:
    """A header whose wrapped key is missing or garbled raises a one-line integrity error."""
    header = keys.backup_host().begin_backup("snap-9").header
    for broken in (dict(header, content_key=""), dict(header, content_key="not age")):
        refusal(
            functools.partial(keys.full().begin_restore, "snap-9", broken), SnapshotIntegrityError
        )
    refusal(lambda: keys.full().begin_restore("snap-9", ["a list"]), SnapshotIntegrityError)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    passphrase_header = passphrase_encryption.begin_backup("snap-9").header
    broken = dict(passphrase_header, key_check=None)
    refusal(lambda: passphrase_encryption.begin_restore("snap-9", broken), SnapshotIntegrityError)


def test_decrypting_before_verifying_is_refused(keys: KeySet) -> None:
    """A restore session refuses to decrypt until the manifest seal has been verified."""
    manifest = sealed("snap-10", keys.backup_host().begin_backup("snap-10"))
    session = keys.full().begin_restore("snap-10", manifest["encryption"])
    message = refusal(lambda: session.decrypting_writer(io.BytesIO(), "db.sqlite3.zst"))
    assert "before the manifest has been verified" in message and "db.sqlite3.zst" in message


def test_artifact_of_another_snapshot_does_not_decrypt_in_passphrase_mode(
    passphrase_encryption: AgeEncryption,
) -> None:
    """Each passphrase snapshot has its own key: another snapshot's artifact is refused."""
    first = passphrase_encryption.begin_backup("snap-11")
    second = passphrase_encryption.begin_backup("snap-12")
    foreign = encrypt(second, b"the other snapshot's rows")
    message = refusal(lambda: decrypt(passphrase_encryption, sealed("snap-11", first), foreign))
    assert "not encrypted to this snapshot's key" in message


def test_passphrase_header_wraps_a_fresh_identity_per_snapshot(
    passphrase_encryption: AgeEncryption,
) -> None:
    """The header holds the snapshot's identity as an age passphrase file, never in the clear."""
    first = passphrase_encryption.begin_backup("snap-13").header
    second = passphrase_encryption.begin_backup("snap-14").header
    assert first["scheme"] == "age-passphrase" and first["snapshot"] == "snap-13"
    assert first["identity"].startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    assert first["identity"] != second["identity"]
    assert first["key_check"] == second["key_check"]
    assert "AGE-SECRET-KEY" not in json.dumps(first)
    identity = pyrage.passphrase.decrypt(first["identity"].encode(), PASSPHRASE)
    assert identity.decode().startswith("AGE-SECRET-KEY-1")


def test_public_key_header_lists_fingerprints_only(keys: KeySet, other_keys: KeySet) -> None:
    """The header lists recipient fingerprints (not keys); each recipient opens the snapshot."""
    host = AgeEncryption(
        recipients=[keys.recipient, other_keys.recipient], signing_key=keys.signing_key
    )
    session = host.begin_backup("snap-15")
    header = json.dumps(session.header)
    assert keys.recipient not in header and other_keys.recipient not in header
    assert session.header["recipients"] == [
        recipient_fingerprint(keys.recipient),
        recipient_fingerprint(other_keys.recipient),
    ]
    manifest = sealed("snap-15", session)
    ciphertext = encrypt(session, b"rows for two recipients")
    for identity in (keys.identity, other_keys.identity):
        restore = AgeEncryption(identities=[identity], verify_keys=[keys.verify_key])
        assert decrypt(restore, manifest, ciphertext) == b"rows for two recipients"


def test_rotation_keeps_old_snapshots_readable(keys: KeySet) -> None:
    """After rotating to new keys, a host holding old and new keys opens old and new snapshots."""
    new = make_keys()
    old_session = keys.backup_host().begin_backup("snap-old")
    old_manifest, old_data = sealed("snap-old", old_session), encrypt(old_session, b"old")
    new_session = new.backup_host().begin_backup("snap-new")
    new_manifest = sealed("snap-new", new_session)
    host = AgeEncryption(
        identities=[new.identity, keys.identity], verify_keys=[new.verify_key, keys.verify_key]
    )
    assert decrypt(host, new_manifest, encrypt(new_session, b"new")) == b"new"
    assert decrypt(host, old_manifest, old_data) == b"old"


def test_public_key_content_key_follows_the_signing_key(keys: KeySet, other_keys: KeySet) -> None:
    """The content key follows the signing key: more recipients keep it, a new signer not."""
    base = keys.backup_host().begin_backup("snap-16").content_key
    more_recipients = AgeEncryption(
        recipients=[keys.recipient, other_keys.recipient], signing_key=keys.signing_key
    )
    assert more_recipients.begin_backup("snap-17").content_key == base
    assert other_keys.backup_host().begin_backup("snap-18").content_key != base


def test_marker_strings_never_reach_the_ciphertext(
    keys: KeySet, passphrase_encryption: AgeEncryption
) -> None:
    """In each mode, none of the marker strings appear in what would be stored."""
    plaintext = b"\n".join(marker * 50 for marker in SECRET_MARKERS) * 100
    for session in (
        keys.backup_host().begin_backup("snap-19"),
        passphrase_encryption.begin_backup("snap-19"),
    ):
        stored = encrypt(session, plaintext) + json.dumps(sealed("snap-19", session)).encode()
        for marker in SECRET_MARKERS:
            assert marker not in stored
