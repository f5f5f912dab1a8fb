"""Manifest seals: the canonical payload, and every kind of change they catch."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from django_snapshots.encryption import canonical_manifest_payload, generate_signing_pair
from django_snapshots.encryption.keys import parse_signing_key, parse_verify_key
from django_snapshots.encryption.protocols import ManifestVerifier
from django_snapshots.encryption.sealing import Ed25519Signer, Ed25519Verifier, HmacSealer
from django_snapshots.exceptions import SnapshotEncryptionError, SnapshotIntegrityError

MANIFEST: dict[str, Any] = {
    "version": "1",
    "name": "nightly",
    "created_at": "2024-05-01T12:00:00+00:00",
    "hostname": "db-1",
    "encrypted": True,
    "pip": ["Django==5.2"],
    "metadata": {"env": "prod", "ratio": 0.5, "city": "Zürich"},
    "artifacts": [
        {
            "type": "database",
            "filename": "default.sqlite3.zst",
            "size": 1234,
            "checksum": "sha256:" + "ab" * 32,
            "stored_size": 1300,
            "stored_checksum": "sha256:" + "cd" * 32,
            "created_at": "2024-05-01T12:00:01+00:00",
            "metadata": {"database": "default", "connector": "django_snapshots.SQLiteConnector"},
        }
    ],
    "encryption": {"scheme": "age-x25519", "version": 1, "snapshot": "nightly"},
}

_SIGNING, _VERIFY = generate_signing_pair()


def _hmac() -> tuple[Callable[[bytes], dict[str, Any]], ManifestVerifier]:
    sealer = HmacSealer("nightly", b"k" * 32)
    return sealer.seal, sealer


def _ed25519() -> tuple[Callable[[bytes], dict[str, Any]], ManifestVerifier]:
    signer = Ed25519Signer(parse_signing_key(_SIGNING))
    return signer.seal, Ed25519Verifier("nightly", [parse_verify_key(_VERIFY)])


SCHEMES = pytest.mark.parametrize("scheme", [_hmac, _ed25519], ids=["hmac", "ed25519"])


def _changed(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    manifest = copy.deepcopy(MANIFEST)
    edit(manifest)
    return manifest


CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "created_at": lambda m: m.update(created_at="2024-05-02T12:00:00+00:00"),
    "name": lambda m: m.update(name="nightly-2"),
    "connector": lambda m: m["artifacts"][0]["metadata"].update(connector="evil.Connector"),
    "checksum": lambda m: m["artifacts"][0].update(checksum="sha256:" + "00" * 32),
    "stored size": lambda m: m["artifacts"][0].update(stored_size=1301),
    "header": lambda m: m["encryption"].update(snapshot="other"),
    "added key": lambda m: m.update(restore_hook="rm -rf /"),
    "removed artifact": lambda m: m.update(artifacts=[]),
    "encrypted flag": lambda m: m.update(encrypted=False),
}


def test_payload_is_canonical_whatever_the_key_order_or_spacing() -> None:
    """Key order, indentation and the seal itself do not change the payload."""
    reordered = json.loads(json.dumps(MANIFEST, indent=4, sort_keys=False))
    reordered = dict(reversed(list(reordered.items())))
    sealed = dict(MANIFEST, authentication={"scheme": "hmac-sha256", "mac": "x"})
    payload = canonical_manifest_payload(MANIFEST)
    assert canonical_manifest_payload(reordered) == payload
    assert canonical_manifest_payload(sealed) == payload
    assert payload.isascii() and b"authentication" not in payload and b" " not in payload[:20]


def test_payload_refuses_values_json_cannot_hold() -> None:
    """NaN or a non-JSON value raises an integrity error naming the snapshot."""
    with pytest.raises(SnapshotIntegrityError, match="'nightly'"):
        canonical_manifest_payload(dict(MANIFEST, metadata={"x": float("nan")}))
    with pytest.raises(SnapshotIntegrityError, match="cannot be sealed"):
        canonical_manifest_payload(dict(MANIFEST, metadata={"x": object()}))


@SCHEMES
def test_seal_verifies_the_unchanged_manifest(
    scheme: Callable[[], tuple[Callable[[bytes], dict[str, Any]], ManifestVerifier]],
) -> None:
    """A seal verifies the manifest it was made for, after a JSON round trip."""
    seal, verifier = scheme()
    stored = json.loads(
        json.dumps(dict(MANIFEST, authentication=seal(canonical_manifest_payload(MANIFEST))))
    )
    verifier.verify(canonical_manifest_payload(stored), stored["authentication"])


@SCHEMES
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_to_the_manifest_breaks_the_seal(
    scheme: Callable[[], tuple[Callable[[bytes], dict[str, Any]], ManifestVerifier]], change: str
) -> None:
    """Changing any field, the header included, makes verification fail in one line."""
    seal, verifier = scheme()
    authentication = seal(canonical_manifest_payload(MANIFEST))
    payload = canonical_manifest_payload(_changed(CHANGES[change]))
    with pytest.raises(SnapshotEncryptionError, match="'nightly'") as caught:
        verifier.verify(payload, authentication)
    assert "\n" not in str(caught.value)


def _without_value(seal: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in seal.items() if key not in ("mac", "signature")}


MANGLED: dict[str, Callable[[dict[str, Any]], object]] = {
    "none": lambda seal: None,
    "string": lambda seal: "a string",
    "empty": lambda seal: {},
    "scheme": lambda seal: {**seal, "scheme": "none"},
    "no-value": _without_value,
    "not-base64": lambda seal: {**seal, "mac": "%%%", "signature": "%%%"},
    "short": lambda seal: {**seal, "mac": "AAAA", "signature": "AAAA"},
}


@SCHEMES
@pytest.mark.parametrize("mangle", sorted(MANGLED))
def test_missing_or_malformed_seals_are_refused(
    scheme: Callable[[], tuple[Callable[[bytes], dict[str, Any]], ManifestVerifier]],
    mangle: str,
) -> None:
    """No seal, a seal of another scheme, or a malformed one is refused naming the snapshot."""
    seal, verifier = scheme()
    payload = canonical_manifest_payload(MANIFEST)
    authentication = MANGLED[mangle](seal(payload))
    with pytest.raises(SnapshotEncryptionError, match="'nightly'") as caught:
        verifier.verify(payload, authentication)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert "\n" not in str(caught.value)


def test_signature_by_an_untrusted_key_names_the_key_on_one_line() -> None:
    """A signature from a key outside the trusted set is refused, the key shown escaped."""
    signer = Ed25519Signer(parse_signing_key(generate_signing_pair()[0]))
    verifier = Ed25519Verifier("nightly", [parse_verify_key(_VERIFY)])
    payload = canonical_manifest_payload(MANIFEST)
    seal = signer.seal(payload)
    with pytest.raises(SnapshotEncryptionError, match=signer.key_text):
        verifier.verify(payload, seal)
    with pytest.raises(SnapshotEncryptionError) as caught:
        verifier.verify(payload, dict(seal, key="evil\nsecond line"))
    assert "\n" not in str(caught.value)


def test_signature_without_its_key_field_is_refused() -> None:
    """A signature seal that does not say which key made it is refused."""
    seal, verifier = _ed25519()
    payload = canonical_manifest_payload(MANIFEST)
    with pytest.raises(SnapshotEncryptionError, match="no valid 'key' field"):
        verifier.verify(payload, dict(seal(payload), key=None))


def test_hmac_seal_under_another_key_is_refused() -> None:
    """A MAC made with another key (another passphrase) does not verify."""
    payload = canonical_manifest_payload(MANIFEST)
    seal = HmacSealer("nightly", b"a" * 32).seal(payload)
    with pytest.raises(SnapshotEncryptionError, match="authentication failed"):
        HmacSealer("nightly", b"b" * 32).verify(payload, seal)
