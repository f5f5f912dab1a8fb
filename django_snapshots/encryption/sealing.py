"""Manifest authenticity: the canonical bytes of a manifest, and the seals over them.

A seal is stored as the manifest's top-level ``"authentication"`` value and covers
every other key of the manifest, the ``"encryption"`` header included, so changing
any field (a size, a checksum, the connector, the name, the creation time) or
swapping in another snapshot's header breaks it. Two seals exist:

``{"scheme": "hmac-sha256", "mac": <base64>}``
    passphrase mode: HMAC-SHA256 keyed from the passphrase.
``{"scheme": "ed25519", "key": "snapshots-verify-key-…", "signature": <base64>}``
    public-key mode: an Ed25519 signature; ``key`` says which verify key checks it.

Both are computed over :data:`SEAL_CONTEXT` followed by the canonical payload, so a
seal can never be mistaken for a signature over anything else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from django_snapshots.encryption.keys import verify_key_text
from django_snapshots.exceptions import SnapshotEncryptionError, SnapshotIntegrityError

__all__ = [
    "AUTHENTICATION_KEY",
    "SEAL_CONTEXT",
    "Ed25519Signer",
    "Ed25519Verifier",
    "HmacSealer",
    "canonical_manifest_payload",
]

AUTHENTICATION_KEY: Final = "authentication"
"""The manifest's top-level key holding the seal (left out of the sealed payload)."""

SEAL_CONTEXT: Final = b"django-snapshots manifest seal v1\x00"
"""Prefix of the bytes every seal is computed over (domain separation)."""


def canonical_manifest_payload(manifest: Mapping[str, Any]) -> bytes:
    """Return the bytes a seal covers: ``manifest`` without ``"authentication"``, canonically.

    JSON with sorted keys, no insignificant whitespace, ASCII only, and no NaN or
    infinity, so the same manifest always gives the same bytes. Pass the manifest as
    it is stored (``json.loads`` of ``manifest.json``), not as re-parsed by a newer
    schema. A value JSON cannot hold raises
    :class:`~django_snapshots.exceptions.SnapshotIntegrityError`.
    """
    body = {key: value for key, value in manifest.items() if key != AUTHENTICATION_KEY}
    try:
        text = json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
        )
    except (TypeError, ValueError) as error:
        raise SnapshotIntegrityError(
            f"manifest of {manifest.get('name', '?')!r} cannot be sealed: {error}"
        ) from None
    return text.encode("ascii")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _field(snapshot: str, seal: Mapping[str, Any], key: str) -> str:
    """Return the string ``seal[key]``; raise naming the snapshot if absent or not a string."""
    value = seal.get(key)
    if not isinstance(value, str):
        raise SnapshotEncryptionError(
            f"snapshot {snapshot!r}: manifest seal has no valid {key!r} field; refusing it"
        )
    return value


def _unb64(snapshot: str, seal: Mapping[str, Any], key: str) -> bytes:
    """Return the base64-decoded ``seal[key]``; raise naming the snapshot if malformed."""
    try:
        return base64.b64decode(_field(snapshot, seal, key), validate=True)
    except binascii.Error:
        raise SnapshotEncryptionError(
            f"snapshot {snapshot!r}: manifest seal field {key!r} is not base64; refusing it"
        ) from None


def _require(snapshot: str, seal: Mapping[str, Any] | None, scheme: str) -> Mapping[str, Any]:
    """Return ``seal`` if it is a seal of ``scheme``; raise naming the snapshot otherwise."""
    if seal is None:
        raise SnapshotEncryptionError(
            f"snapshot {snapshot!r} has no manifest seal ({AUTHENTICATION_KEY!r}); "
            "refusing an unauthenticated snapshot while encryption is configured"
        )
    given = cast("object", seal)  # read from a manifest: any JSON value
    if not isinstance(given, Mapping):
        raise SnapshotEncryptionError(f"snapshot {snapshot!r}: manifest seal is not an object")
    found = seal.get("scheme")
    if found != scheme:
        raise SnapshotEncryptionError(
            f"snapshot {snapshot!r}: manifest is sealed with {found!r}, expected {scheme!r}"
        )
    return seal


class HmacSealer:
    """Seal and verify manifests with HMAC-SHA256 under one secret key."""

    scheme: Final = "hmac-sha256"

    def __init__(self, snapshot_name: str, key: bytes) -> None:
        """Seal for snapshot ``snapshot_name`` (named in errors) with ``key``."""
        self.snapshot_name: str = snapshot_name
        """The snapshot named in error messages."""
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, SEAL_CONTEXT + payload, hashlib.sha256).digest()

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Return the seal of ``payload``."""
        return {"scheme": self.scheme, "mac": _b64(self._mac(payload))}

    def verify(self, payload: bytes, seal: Mapping[str, Any] | None) -> None:
        """Return if ``seal`` is the MAC of ``payload``; raise a one-line error otherwise."""
        checked = _require(self.snapshot_name, seal, self.scheme)
        mac = _unb64(self.snapshot_name, checked, "mac")
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise SnapshotEncryptionError(
                f"snapshot {self.snapshot_name!r}: manifest authentication failed "
                "(it was changed, or sealed with another passphrase)"
            )


class Ed25519Signer:
    """Seal manifests with an Ed25519 signature."""

    scheme: Final = "ed25519"

    def __init__(self, key: Ed25519PrivateKey) -> None:
        """Sign with ``key``."""
        self._key = key
        self.key_text: str = verify_key_text(key)
        """The text form of the matching verify key, recorded in each seal."""

    def seal(self, payload: bytes) -> dict[str, Any]:
        """Return the signature seal of ``payload``."""
        signature = self._key.sign(SEAL_CONTEXT + payload)
        return {"scheme": self.scheme, "key": self.key_text, "signature": _b64(signature)}


class Ed25519Verifier:
    """Verify Ed25519 manifest seals against a set of trusted verify keys."""

    scheme: Final = "ed25519"

    def __init__(self, snapshot_name: str, keys: Sequence[Ed25519PublicKey]) -> None:
        """Trust ``keys`` for snapshot ``snapshot_name`` (named in errors)."""
        self.snapshot_name: str = snapshot_name
        """The snapshot named in error messages."""
        self._keys = {verify_key_text(key): key for key in keys}

    def verify(self, payload: bytes, seal: Mapping[str, Any] | None) -> None:
        """Return if ``seal`` is a valid signature of ``payload`` by a trusted key."""
        checked = _require(self.snapshot_name, seal, self.scheme)
        key_text = _field(self.snapshot_name, checked, "key")
        signature = _unb64(self.snapshot_name, checked, "signature")
        key = self._keys.get(key_text)
        if key is None:
            raise SnapshotEncryptionError(
                f"snapshot {self.snapshot_name!r} is signed by {key_text!r}, "
                "which is not among the configured verify keys"
            )
        try:
            key.verify(signature, SEAL_CONTEXT + payload)
        except InvalidSignature:
            raise SnapshotEncryptionError(
                f"snapshot {self.snapshot_name!r}: manifest signature is invalid "
                "(the manifest was changed after it was signed)"
            ) from None
